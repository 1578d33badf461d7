"""Operations tests: a clinic full of real data, and a fingerprint of every table.

``populate`` goes through the services the pages use (so every row is one the
app would write, audit rows included): clinic, two clients with intakes, a
6-session series, a single booking cancelled with a reason, a signed visit
with zone notes and an amendment-free chart, and a printed aftercare sheet.

``snapshot`` reads every table (ordered by primary key, every column) so two
moments of a database can be compared table by table, on the columns both
have: a migration that drops a column does not make the rest "different".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import time

from sqlalchemy import MetaData, inspect, select

from clinic.db import SEARCH_INDEX_TABLE
from clinic.extensions import db
from tests.aftercare.support import (
    TODAY,
    book,
    book_series,
    cancel,
    days_after,
    frozen_clock,
    record_visit,
)
from tests.scheduling.support import add_client, build_clinic

# Derived, not data: Alembic's bookkeeping and SQLite's search index.
SKIPPED = {"alembic_version"}


def populate(app) -> dict:
    """Fill the database at head through the services; returns some ids."""
    from clinic.aftercare import services as aftercare_services
    from clinic.visits.models import Visit

    with frozen_clock():
        clinic = build_clinic(app)
        clara = add_client(app, "Clara Client")
        dora = add_client(app, "Dora Daley")
        sessions = book_series(
            app, clinic, clara, days_after(TODAY, 0, 10, 20, 30, 40, 50)
        )
        single = book(app, clinic, dora, day=days_after(TODAY, 3)[0], at=time(14))
        cancel(app, single)
        visit_id = record_visit(app, sessions[0], aftercare_note="Drink water.")
        with app.app_context():
            visit = db.session.get(Visit, visit_id)
            aftercare_services.print_visit(visit, by_user_id=visit.esthetician_id)
            db.session.commit()
    return {
        "clinic": clinic,
        "clients": [clara, dora],
        "series_appointments": sessions,
        "visit": visit_id,
    }


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    def project(self, columns) -> tuple[tuple, ...]:
        index = [self.columns.index(c) for c in columns]
        return tuple(tuple(row[i] for i in index) for row in self.rows)

    def checksum(self, columns=None) -> str:
        rows = self.project(columns or self.columns)
        return hashlib.sha256(repr(rows).encode()).hexdigest()


def data_tables(connection) -> list[str]:
    return sorted(
        name
        for name in inspect(connection).get_table_names()
        if name not in SKIPPED
        and name != SEARCH_INDEX_TABLE
        and not name.startswith(SEARCH_INDEX_TABLE + "_")
    )


def snapshot(app) -> dict[str, Table]:
    """Every data table: its columns and its rows in primary-key order."""
    with app.app_context(), db.engine.connect() as connection:
        metadata = MetaData()
        names = data_tables(connection)
        metadata.reflect(bind=connection, only=names)
        found = {}
        for name in names:
            table = metadata.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).all()
            found[name] = Table(
                tuple(c.name for c in table.columns), tuple(tuple(r) for r in rows)
            )
        return found


def differences(before: dict[str, Table], after: dict[str, Table], tables=None):
    """Tables (of ``tables``, default: those in both) whose shared columns differ."""
    names = tables if tables is not None else sorted(before.keys() & after.keys())
    problems = []
    for name in names:
        if name not in after:
            problems.append(f"{name}: missing")
            continue
        shared = [c for c in before[name].columns if c in after[name].columns]
        old, new = before[name].project(shared), after[name].project(shared)
        if old != new:
            problems.append(f"{name}: {len(old)} rows before, {len(new)} after")
    return problems


def fingerprint(tables: dict[str, Table]) -> dict[str, tuple[int, str]]:
    """(row count, checksum) per table, for messages and figures."""
    return {name: (len(t.rows), t.checksum()[:12]) for name, t in tables.items()}
