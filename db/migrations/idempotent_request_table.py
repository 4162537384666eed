"""The ``idempotent_request`` table as the migrations account_0002, emarket_0004 and bank_0002
create it in each database (one mechanism, one table shape), in place of the key columns each
of those databases kept on a table of its own before. Frozen like the migrations that use
it: a later change to the table is a new migration, never an edit here."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base


def create() -> None:
    op.create_table(
        "idempotent_request",
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotent_request")),
    )
    with op.batch_alter_table("idempotent_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotent_request_created_at"), ["created_at"], unique=False)


def drop() -> None:
    with op.batch_alter_table("idempotent_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotent_request_created_at"))
    op.drop_table("idempotent_request")


def replace_key_columns(table: str, unique_on: list[str]) -> None:
    """The shared table in place of ``table``'s own key columns (keys stored there are not
    carried over: a retry after the upgrade is a new request)."""
    create()
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f"uq_{table}_{'_'.join(unique_on)}"), type_="unique")
        batch_op.drop_column("request_hash")
        batch_op.drop_column("idempotency_key")


def restore_key_columns(table: str, unique_on: list[str]) -> None:
    """``replace_key_columns`` undone: the columns back (empty), the shared table dropped."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.VARCHAR(length=255), nullable=True))
        batch_op.add_column(sa.Column("request_hash", sa.VARCHAR(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_{'_'.join(unique_on)}"), unique_on)
    drop()
