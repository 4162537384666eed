"""idempotent requests: one table of Idempotency-Keys and first replies (emarket.idempotency)
replaces the key columns of the bank_hold table; keys stored there before are not carried over.

Created 2026-12-04 19:07.

"""
from db.migrations import idempotent_request_table

# What Alembic reads: this migration's id and the one it follows (no branches, no dependencies).
revision = 'bank_0002'
down_revision = 'bank_0001'


def upgrade() -> None:
    idempotent_request_table.replace_key_columns('bank_hold', ['idempotency_key'])


def downgrade() -> None:
    idempotent_request_table.restore_key_columns('bank_hold', ['idempotency_key'])
