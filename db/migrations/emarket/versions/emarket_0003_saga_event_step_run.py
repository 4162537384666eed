"""saga event step run: the Celery task id, worker, attempt and error of the step that recorded it

Created 2026-12-04 19:30.

"""
import sqlalchemy as sa
from alembic import op

# What Alembic reads: this migration's id and the one it follows (no branches, no dependencies).
revision = 'emarket_0003'
down_revision = 'emarket_0002'


def upgrade() -> None:
    """Upgrade schema: nullable columns only, so existing events stay valid and no table rewrite."""
    with op.batch_alter_table('saga_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('worker', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('attempt', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('error', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('saga_event', schema=None) as batch_op:
        batch_op.drop_column('error')
        batch_op.drop_column('attempt')
        batch_op.drop_column('worker')
        batch_op.drop_column('task_id')
