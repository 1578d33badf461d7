"""audit table append-only on PostgreSQL

Placeholder owned by the security work (issue 9): a trigger that rejects
UPDATE and DELETE on ``audit_event`` on PostgreSQL.

Revision ID: 5f1c2a7e9b10
Revises: 0b49fe555a0e
Create Date: 2026-11-26 10:30:00.000000

"""

# revision identifiers, used by Alembic.
revision = "5f1c2a7e9b10"
down_revision = "0b49fe555a0e"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
