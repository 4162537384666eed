"""initial account schema

Created 2026-11-25 13:19.

"""
import sqlalchemy as sa
from alembic import op

import db.base

# What Alembic reads: this migration's id and the one it follows (no branches, no dependencies).
revision = 'account_0001'
down_revision = None


def upgrade() -> None:
    op.create_table('credential',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential')),
    sa.UniqueConstraint('email', name=op.f('uq_credential_email'))
    )
    op.create_table('user',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('e_wallet',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('frozen', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_e_wallet_balance_non_negative')),
    sa.CheckConstraint('frozen >= 0', name=op.f('ck_e_wallet_frozen_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_e_wallet_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_e_wallet'))
    )
    op.create_table('topup',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('bank_account', sa.String(length=34), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('hold_id', sa.String(length=36), nullable=True),
    sa.Column('confirm_url', sa.String(length=500), nullable=True),
    sa.Column('failure', sa.String(length=200), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('initiated', 'pending_confirmation', 'captured', 'credited', 'failed', 'expired')", name=op.f('ck_topup_status_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_topup_amount_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['e_wallet.user_id'], name=op.f('fk_topup_user_id_e_wallet')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topup')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_topup_user_id_idempotency_key'))
    )
    with op.batch_alter_table('topup', schema=None) as batch_op:
        batch_op.create_index('ix_topup_status_updated_at', ['status', 'updated_at'], unique=False)
        batch_op.create_index('ix_topup_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('wallet_entry',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=True),
    sa.Column('topup_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('topup', 'debit', 'refund', 'adjustment')", name=op.f('ck_wallet_entry_kind_known')),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_wallet_entry_amount_non_zero')),
    sa.ForeignKeyConstraint(['user_id'], ['e_wallet.user_id'], name=op.f('fk_wallet_entry_user_id_e_wallet')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_entry')),
    sa.UniqueConstraint('order_id', 'kind', name=op.f('uq_wallet_entry_order_id_kind')),
    sa.UniqueConstraint('topup_id', name=op.f('uq_wallet_entry_topup_id'))
    )
    with op.batch_alter_table('wallet_entry', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_entry_user_id_id', ['user_id', 'id'], unique=False)

    op.create_table('wallet_hold',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('frozen', 'debited', 'unfrozen')", name=op.f('ck_wallet_hold_status_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_wallet_hold_amount_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['e_wallet.user_id'], name=op.f('fk_wallet_hold_user_id_e_wallet')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_hold')),
    sa.UniqueConstraint('order_id', name=op.f('uq_wallet_hold_order_id'))
    )
    with op.batch_alter_table('wallet_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_hold_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('wallet_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_hold_user_id'))

    op.drop_table('wallet_hold')
    with op.batch_alter_table('wallet_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_entry_user_id_id')

    op.drop_table('wallet_entry')
    with op.batch_alter_table('topup', schema=None) as batch_op:
        batch_op.drop_index('ix_topup_user_id_created_at')
        batch_op.drop_index('ix_topup_status_updated_at')

    op.drop_table('topup')
    op.drop_table('e_wallet')
    op.drop_table('user')
    op.drop_table('credential')
