"""allocation indexes led by ends_at

Overlap checks (booking) and availability ask for allocations that end after
the start of a window lying ahead. The old index, led by starts_at, made
them read every allocation of the resource since the clinic opened (years of
history at a busy clinic); led by ends_at, they read only what is still to
come. ``ix_allocation_ends_at`` serves the availability query, which spans
every resource, from the index alone (it carries every column the query
reads). Index changes only: no table is rebuilt, on SQLite either.

Revision ID: ec3796de27f5
Revises: b8359c643279
Create Date: 2026-11-26 08:49:37.525731

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ec3796de27f5'
down_revision = 'b8359c643279'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_resource_time'))
        batch_op.create_index('ix_allocation_ends_at', ['ends_at', 'starts_at', 'resource_kind', 'resource_id', 'active'], unique=False)
        batch_op.create_index('ix_allocation_resource_ends', ['resource_kind', 'resource_id', 'ends_at', 'starts_at'], unique=False)


def downgrade():
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index('ix_allocation_resource_ends')
        batch_op.drop_index('ix_allocation_ends_at')
        batch_op.create_index(batch_op.f('ix_allocation_resource_time'), ['resource_kind', 'resource_id', 'starts_at', 'ends_at'], unique=False)
