"""client erasure

What erasure of a client record (issue 9, right to erasure) needs in the
schema: when the client was anonymised (``erased_at``) and why
(``erasure_reason``; who did it is in the audit log).

Both columns are added with plain ``ALTER TABLE ... ADD COLUMN`` (batch mode
does not rebuild ``client`` on SQLite for an added column), and dropped with
``ALTER TABLE ... DROP COLUMN`` (SQLite 3.35+), never by a table rebuild: a
rebuild would drop the FTS5 search triggers of migration 0b49fe555a0e and,
with foreign keys on, could not drop a ``client`` table that intakes and
appointments point at.

Revision ID: 6a2d3b8f0c21
Revises: 5f1c2a7e9b10
Create Date: 2026-11-26 10:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6a2d3b8f0c21"
down_revision = "5f1c2a7e9b10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("client", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "erasure_reason",
                sa.String(length=200),
                nullable=False,
                server_default="",
            )
        )


def downgrade():
    with op.batch_alter_table("client", recreate="never") as batch_op:
        batch_op.drop_column("erasure_reason")
        batch_op.drop_column("erased_at")
