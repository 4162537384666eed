"""saved cart line: a logged-in shopper's cart, kept for their next login (emarket.saved_carts)

Revision ID: emarket_0005
Revises: emarket_0004
Create Date: 2026-12-04 23:50:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import db.base


# revision identifiers, used by Alembic.
revision: str = 'emarket_0005'
down_revision: Union[str, Sequence[str], None] = 'emarket_0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


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
    """Downgrade schema."""
    op.drop_table('saved_cart_line')
