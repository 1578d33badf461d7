"""two-factor sign-in

Placeholder owned by the two-factor work (issue 9): TOTP secrets and
recovery codes per staff account.

Revision ID: 7b3e4c9a1d32
Revises: 6a2d3b8f0c21
Create Date: 2026-11-26 10:30:00.000000

"""

# revision identifiers, used by Alembic.
revision = "7b3e4c9a1d32"
down_revision = "6a2d3b8f0c21"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
