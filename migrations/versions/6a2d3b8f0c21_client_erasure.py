"""client erasure

Placeholder owned by the privacy work (issue 9): what erasure of a client
record needs in the schema.

Revision ID: 6a2d3b8f0c21
Revises: 5f1c2a7e9b10
Create Date: 2026-11-26 10:30:00.000000

"""

# revision identifiers, used by Alembic.
revision = "6a2d3b8f0c21"
down_revision = "5f1c2a7e9b10"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
