"""no frozen money: a payment debits in one step (emarket.wallet.charge), so nothing is ever held
between steps. The wallet's ``frozen`` column, always 0, goes, and a hold row's status can only
be ``debited`` (``frozen`` and ``unfrozen`` were never written).

Created 2026-12-04 23:45.
"""
import sqlalchemy as sa
from alembic import op

# What Alembic reads: this migration's id and the one it follows (no branches, no dependencies).
revision = 'account_0003'
down_revision = 'account_0002'


def upgrade() -> None:
    with op.batch_alter_table('e_wallet', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_e_wallet_frozen_non_negative'), type_='check')
        batch_op.drop_column('frozen')
    with op.batch_alter_table('wallet_hold', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_wallet_hold_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_wallet_hold_status_known'), "status IN ('debited')")


def downgrade() -> None:
    """Downgrade schema: the column comes back as 0 for every wallet, as it always was."""
    with op.batch_alter_table('wallet_hold', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_wallet_hold_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_wallet_hold_status_known'),
                                         "status IN ('frozen', 'debited', 'unfrozen')")
    with op.batch_alter_table('e_wallet', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frozen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(op.f('ck_e_wallet_frozen_non_negative'), 'frozen >= 0')
    with op.batch_alter_table('e_wallet', schema=None) as batch_op:
        batch_op.alter_column('frozen', server_default=None)
