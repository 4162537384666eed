"""saved cart line: a logged-in shopper's cart, kept for their next login (emarket.saved_carts)

Created 2026-12-04 23:50.
"""
import sqlalchemy as sa
from alembic import op

import db.base

# What Alembic reads: this migration's id and the one it follows (no branches, no dependencies).
revision = 'emarket_0005'
down_revision = 'emarket_0004'


def upgrade() -> None:
    """Upgrade schema: a new table only."""
    op.create_table(
        'saved_cart_line',
        sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('product_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('quantity BETWEEN 1 AND 1000', name=op.f('ck_saved_cart_line_quantity_in_range')),
        sa.PrimaryKeyConstraint('user_id', 'product_id', name=op.f('pk_saved_cart_line')),
    )


def downgrade() -> None:
    op.drop_table('saved_cart_line')
