"""product hidden: an admin can take a product out of the catalogue (and put it back)

Created 2026-12-07 05:00.
"""
import sqlalchemy as sa
from alembic import op

# What Alembic reads: this migration's id and the one it follows (no branches, no dependencies).
revision = 'emarket_0006'
down_revision = 'emarket_0005'


def upgrade() -> None:
    """One column with a default: every existing product stays in the catalogue."""
    op.add_column('product_desc', sa.Column('hidden', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('product_desc', 'hidden')
