"""audit table append-only on PostgreSQL (and SQLite)

The database itself refuses to change or remove audit rows (issue 9): on
PostgreSQL a plpgsql function raised by BEFORE UPDATE OR DELETE (per row) and
BEFORE TRUNCATE (per statement) triggers; on SQLite BEFORE UPDATE and BEFORE
DELETE triggers that RAISE(ABORT). Inserts are untouched, so the app's own
audit writes go on as before. A superuser (or whoever holds the SQLite file)
can still drop or disable the triggers; the hash chain and ``verify-audit``
are there to catch that.

Revision ID: 5f1c2a7e9b10
Revises: 0b49fe555a0e
Create Date: 2026-11-26 10:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5f1c2a7e9b10"
down_revision = "0b49fe555a0e"
branch_labels = None
depends_on = None

MESSAGE = "audit_event is append-only"

PG_FUNCTION = f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""

SQLITE_TRIGGERS = {
    "audit_event_no_update": "UPDATE",
    "audit_event_no_delete": "DELETE",
}


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_event_append_only "
            "BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate "
            "BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    elif dialect == "sqlite":
        for name, operation in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} refused'); END"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    elif dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
