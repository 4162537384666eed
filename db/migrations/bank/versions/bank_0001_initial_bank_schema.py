"""initial bank schema

Created 2026-11-25 13:19.

"""
import sqlalchemy as sa
from alembic import op

import db.base

# What Alembic reads: this migration's id and the one it follows (no branches, no dependencies).
revision = 'bank_0001'
down_revision = None


def upgrade() -> None:
    op.create_table('bank_account',
    sa.Column('number', sa.String(length=34), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('pin_hash', sa.String(length=255), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_bank_account_balance_non_negative')),
    sa.CheckConstraint('held >= 0', name=op.f('ck_bank_account_held_non_negative')),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_bank_account'))
    )
    op.create_table('bank_hold',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_number', sa.String(length=34), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('wrong_pins', sa.Integer(), nullable=False),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending_confirmation', 'captured', 'released', 'expired')", name=op.f('ck_bank_hold_status_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_bank_hold_amount_positive')),
    sa.CheckConstraint('wrong_pins >= 0', name=op.f('ck_bank_hold_wrong_pins_non_negative')),
    sa.ForeignKeyConstraint(['account_number'], ['bank_account.number'], name=op.f('fk_bank_hold_account_number_bank_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_hold')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_bank_hold_idempotency_key'))
    )
    with op.batch_alter_table('bank_hold', schema=None) as batch_op:
        batch_op.create_index('ix_bank_hold_status_expires_at', ['status', 'expires_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('bank_hold', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_hold_status_expires_at')

    op.drop_table('bank_hold')
    op.drop_table('bank_account')
