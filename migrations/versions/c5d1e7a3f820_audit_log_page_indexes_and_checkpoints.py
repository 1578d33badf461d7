"""audit log page: indexes led by each filter, and chain checkpoints

The admin audit log page filters by person, client or action and lists the
newest rows first. The single-column indexes on ``audit_event.user_id``,
``client_id`` and ``action`` become ``(column, seq)`` indexes, so a filtered
page is read in index order from its newest match instead of sorting every
match (they still serve every lookup the old ones did). Creating and dropping
indexes is allowed by the append-only triggers, which refuse only UPDATE and
DELETE; plain ``op.create_index`` is used, not batch mode, which on SQLite
could copy the table and lose its triggers.

``audit_checkpoint`` keeps the result of each whole-chain check (the
``verify-audit`` command, the page's button) so the page checks only rows
written since the last one.

Revision ID: c5d1e7a3f820
Revises: c41d7e2a9f05
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c5d1e7a3f820"
down_revision = "c41d7e2a9f05"
branch_labels = None
depends_on = None

COLUMNS = ("user_id", "client_id", "action")


def upgrade():
    for column in COLUMNS:
        op.create_index(
            f"ix_audit_event_{column}_seq", "audit_event", [column, "seq"], unique=False
        )
        op.drop_index(f"ix_audit_event_{column}", table_name="audit_event")

    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("through_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("first_bad_seq", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.String(length=200), nullable=True),
        sa.Column("milliseconds", sa.Integer(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "through_seq >= 0",
            name=op.f("ck_audit_checkpoint_through_seq_not_negative"),
        ),
        sa.CheckConstraint(
            "length(head_hash) = 64", name=op.f("ck_audit_checkpoint_head_hash_length")
        ),
        sa.CheckConstraint(
            "(ok AND first_bad_seq IS NULL AND problem IS NULL) OR "
            "(NOT ok AND first_bad_seq IS NOT NULL AND problem IS NOT NULL)",
            name=op.f("ck_audit_checkpoint_ok_or_names_the_bad_row"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )


def downgrade():
    op.drop_table("audit_checkpoint")
    for column in reversed(COLUMNS):
        op.create_index(
            f"ix_audit_event_{column}", "audit_event", [column], unique=False
        )
        op.drop_index(f"ix_audit_event_{column}_seq", table_name="audit_event")
