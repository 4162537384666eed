"""initial emarket schema

Created 2026-11-25 13:19.

"""
import sqlalchemy as sa
from alembic import op

import db.base

# What Alembic reads: this migration's id and the one it follows (no branches, no dependencies).
revision = 'emarket_0001'
down_revision = None


def upgrade() -> None:
    op.create_table('order',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('total', sa.BigInteger(), nullable=True),
    sa.Column('payment_deadline', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('payment_request_id', sa.String(length=64), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('accepted', 'processing', 'awaiting_payment', 'payment_started', 'completed', 'cancelled')", name=op.f('ck_order_status_known')),
    sa.CheckConstraint('total IS NULL OR total >= 0', name=op.f('ck_order_total_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_order_user_id_idempotency_key'))
    )
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.create_index('ix_order_status_updated_at', ['status', 'updated_at'], unique=False)
        batch_op.create_index('ix_order_user_id_created_at_id', ['user_id', 'created_at', 'id'], unique=False)

    op.create_table('product_desc',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_desc'))
    )
    op.create_table('order_item',
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('price IS NULL OR price > 0', name=op.f('ck_order_item_price_positive')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_item_quantity_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_order_item_order_id_order')),
    sa.PrimaryKeyConstraint('order_id', 'product_id', name=op.f('pk_order_item'))
    )
    op.create_table('product_accounting',
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_product_accounting_count_non_negative')),
    sa.CheckConstraint('price > 0', name=op.f('ck_product_accounting_price_positive')),
    sa.CheckConstraint('reserved <= count', name=op.f('ck_product_accounting_reserved_within_count')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_product_accounting_reserved_non_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['product_desc.id'], name=op.f('fk_product_accounting_product_id_product_desc')),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_product_accounting'))
    )
    op.create_table('saga_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_saga_event_order_id_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saga_event')),
    sa.UniqueConstraint('order_id', 'name', name=op.f('uq_saga_event_order_id_name'))
    )
    with op.batch_alter_table('saga_event', schema=None) as batch_op:
        batch_op.create_index('ix_saga_event_order_id_at', ['order_id', 'at'], unique=False)

    op.create_table('reservation',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('held', 'sold', 'released')", name=op.f('ck_reservation_status_known')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservation_quantity_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['product_accounting.product_id'], name=op.f('fk_reservation_product_id_product_accounting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation')),
    sa.UniqueConstraint('order_id', 'product_id', name=op.f('uq_reservation_order_id_product_id'))
    )


def downgrade() -> None:
    op.drop_table('reservation')
    with op.batch_alter_table('saga_event', schema=None) as batch_op:
        batch_op.drop_index('ix_saga_event_order_id_at')

    op.drop_table('saga_event')
    op.drop_table('product_accounting')
    op.drop_table('order_item')
    op.drop_table('product_desc')
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_user_id_created_at_id')
        batch_op.drop_index('ix_order_status_updated_at')

    op.drop_table('order')
