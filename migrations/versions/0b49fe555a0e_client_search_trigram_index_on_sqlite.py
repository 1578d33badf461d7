"""client search trigram index on SQLite

Client search looks for a fragment anywhere in ``client.search_text``
(``LIKE '%frag%'``). PostgreSQL answers that from the trigram index
``ix_client_search_trgm``; SQLite read every client instead, which grows
with the clinic. This adds SQLite's equivalent: an FTS5 table with the
trigram tokenizer over ``search_text`` (external content: it stores only the
index), kept in step by triggers. The search narrows with it and still
applies the same LIKE conditions, so results do not change.

SQLite without FTS5 or the trigram tokenizer (before 3.34) gets nothing
here and keeps scanning. A batch migration that rebuilds ``client`` drops
the triggers: it must create them again (the search only uses the index
while all three triggers exist).

Written by hand: autogenerate does not see virtual tables or triggers
(``clinic.db.include_object_for`` hides them from it).

Revision ID: 0b49fe555a0e
Revises: ec3796de27f5
Create Date: 2026-11-26 09:00:44.196037

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0b49fe555a0e'
down_revision = 'ec3796de27f5'
branch_labels = None
depends_on = None

TRIGGERS = {
    "client_search_insert": (
        "AFTER INSERT ON client BEGIN "
        "INSERT INTO client_search (rowid, search_text) "
        "VALUES (new.id, new.search_text); END"
    ),
    "client_search_update": (
        "AFTER UPDATE OF search_text ON client BEGIN "
        "INSERT INTO client_search (client_search, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO client_search (rowid, search_text) "
        "VALUES (new.id, new.search_text); END"
    ),
    "client_search_delete": (
        "AFTER DELETE ON client BEGIN "
        "INSERT INTO client_search (client_search, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    ),
}


def _trigram_supported(bind) -> bool:
    try:
        bind.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize='trigram')"
        )
    except sa.exc.OperationalError:
        return False
    bind.exec_driver_sql("DROP TABLE temp.trigram_probe")
    return True


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if not _trigram_supported(bind):
        logging.getLogger("alembic").warning(
            "SQLite %s has no FTS5 trigram tokenizer: client search will scan.",
            bind.dialect.dbapi.sqlite_version,
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE client_search USING fts5("
        "search_text, content='client', content_rowid='id', tokenize='trigram')"
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO client_search (client_search) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS client_search")
