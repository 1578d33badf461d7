"""The audit log page: who read or changed which record, filtered and paged.

Reads only; the views write the page's own audit row and keep a whole-chain
check through ``clinic.audit``. Pages are cut by ``seq`` (keyset), not by
offset: every view of the page appends a row to the log, so an offset would
shift by one on each click, and a deep offset reads every row it skips.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from clinic.audit import AuditEvent
from clinic.auth.models import User
from clinic.clients import services as client_services
from clinic.clients.models import Client
from clinic.clock import clinic_tz, to_clinic_time
from clinic.extensions import db
from clinic.text import spreadsheet_safe

PAGE_SIZE = 50
EXPORT_BATCH = 2000
# Rows written with nobody signed in: the tablet, the command line, sign-in
# attempts for an unknown account.
NOBODY = "none"
_CLIENT_NUMBER = re.compile(r"^#\s*([0-9]{1,9})$")


class FilterError(ValueError):
    """A client filter that names no client, or too many; for the user."""


class Person(NamedTuple):
    id: int
    name: str
    active: bool


def people() -> list[Person]:
    """Every staff account, deactivated ones too (their old rows stay)."""
    return [
        Person(*row)
        for row in db.session.execute(
            select(User.id, User.name, User.active).order_by(User.name, User.id)
        )
    ]


def logged_actions() -> list[str]:
    """The distinct actions in the log, in order.

    A recursive "next action after this one" walk of the (action, seq) index:
    one probe per distinct action (a few dozen), where DISTINCT reads every
    row. 210,000 rows, 12 actions: 0.4 ms on SQLite and 1.6 ms on PostgreSQL,
    against 16 and 58 ms for DISTINCT, which grows with the log.
    """
    first = select(func.min(AuditEvent.action).label("action"))
    walk = first.cte("logged", recursive=True)
    following = (
        select(func.min(AuditEvent.action))
        .where(AuditEvent.action > walk.c.action)
        .scalar_subquery()
    )
    walk = walk.union_all(select(following).where(walk.c.action.is_not(None)))
    return list(
        db.session.scalars(select(walk.c.action).where(walk.c.action.is_not(None)))
    )


class ClientChoice(NamedTuple):
    id: int
    name: str


def find_clients(text: str) -> list[ClientChoice]:
    """Clients for the client filter: "#123" is one client by number, any
    other text is a search by name, phone or email (archived included: their
    records were read too). FilterError if none, or too many, match."""
    number = _CLIENT_NUMBER.match(text)
    if number:
        client = db.session.get(Client, int(number.group(1)))
        if client is None:
            raise FilterError(f"No client has the number #{number.group(1)}.")
        return [ClientChoice(client.id, client.full_name)]
    found = client_services.search_clients(
        text, include_archived=True, limit=client_services.SEARCH_CAP
    )
    if found.too_many:
        raise FilterError(
            f"More than {client_services.SEARCH_CAP} clients match “{text}”: "
            "type more of the name, or the client's number (#123)."
        )
    if not found.clients:
        raise FilterError(f"No client matches “{text}”.")
    return [ClientChoice(c.id, c.full_name) for c in found.clients]


@dataclass(frozen=True)
class AuditFilter:
    """What the page shows; every part is optional."""

    person: int | str | None = None  # a user id, NOBODY, or None for anyone
    clients: tuple[ClientChoice, ...] = ()  # empty: any client
    action: str | None = None
    start: datetime | None = None  # UTC, inclusive
    end: datetime | None = None  # UTC, exclusive

    def conditions(self) -> list:
        where = []
        if self.person == NOBODY:
            where.append(AuditEvent.user_id.is_(None))
        elif self.person is not None:
            where.append(AuditEvent.user_id == self.person)
        if self.clients:
            where.append(AuditEvent.client_id.in_([c.id for c in self.clients]))
        if self.action:
            where.append(AuditEvent.action == self.action)
        if self.start:
            where.append(AuditEvent.occurred_at >= self.start)
        if self.end:
            where.append(AuditEvent.occurred_at < self.end)
        return where

    @property
    def single_client_id(self) -> int | None:
        return self.clients[0].id if len(self.clients) == 1 else None

    def describe(self) -> str:
        """For the audit row of a view or an export: ids, never names."""
        parts = [
            f"person={self.person}" if self.person is not None else "",
            "clients=" + ",".join(str(c.id) for c in self.clients)
            if self.clients
            else "",
            f"action={self.action}" if self.action else "",
            f"from={self.start.isoformat()}" if self.start else "",
            f"to={self.end.isoformat()}" if self.end else "",
        ]
        return " ".join(part for part in parts if part) or "no filter"


def build_filter(
    *,
    person: str | None,
    clients: Iterable[ClientChoice],
    action: str | None,
    first_day: date | None,
    last_day: date | None,
) -> AuditFilter:
    """The filter of the page's form, once validated (``clients`` from
    ``find_clients``). Days are the clinic's, both included."""
    tz = clinic_tz()

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)

    return AuditFilter(
        person=int(person) if person and person.isdigit() else (person or None),
        clients=tuple(clients),
        action=action or None,
        start=midnight(first_day) if first_day else None,
        end=midnight(last_day + timedelta(days=1)) if last_day else None,
    )


class Entry(NamedTuple):
    """One line of the page: the row and the names it refers to."""

    seq: int
    occurred_at: datetime
    user_id: int | None
    staff_name: str | None
    ip: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    client_id: int | None
    client_name: str | None
    details: str


_ENTRY_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.user_id,
    User.name,
    AuditEvent.ip,
    AuditEvent.action,
    AuditEvent.entity_type,
    AuditEvent.entity_id,
    AuditEvent.client_id,
    Client.given_name,
    Client.family_name,
    AuditEvent.details,
)


def _entries(where: Iterable, *, newest_first: bool = True, limit: int):
    """One statement for the rows and both names (no query per row)."""
    order = AuditEvent.seq.desc() if newest_first else AuditEvent.seq.asc()
    stmt = (
        select(*_ENTRY_COLUMNS)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Client, Client.id == AuditEvent.client_id)
        .where(*where)
        .order_by(order)
        .limit(limit)
    )
    return [
        Entry(*row[:9], _name(row.given_name, row.family_name), row.details)
        for row in db.session.execute(stmt)
    ]


def _name(given: str | None, family: str | None) -> str | None:
    return None if given is None else f"{given} {family or ''}".strip()


@dataclass(frozen=True)
class AuditPage:
    entries: list[Entry]
    older: int | None  # ``before`` of the next older page, if there is one
    newer: int | None  # ``after`` of the next newer page, if there is one


def read_page(
    where: AuditFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """A page of ``size`` rows, newest first, older than ``before`` or newer
    than ``after`` (neither: the newest). One row more is read on the side
    being paged to, and one row on the other side, to know whether to link."""
    conditions = where.conditions()
    if after is not None:
        rows = _entries(
            [*conditions, AuditEvent.seq > after], newest_first=False, limit=size + 1
        )
        has_newer = len(rows) > size
        entries = rows[:size][::-1]
        has_older = True  # the row ``after`` itself matched
    else:
        bound = [AuditEvent.seq < before] if before is not None else []
        rows = _entries([*conditions, *bound], limit=size + 1)
        entries = rows[:size]
        has_older = len(rows) > size
        has_newer = before is not None and bool(
            _entries([*conditions, AuditEvent.seq >= before], limit=1)
        )
    return AuditPage(
        entries,
        older=entries[-1].seq if entries and has_older else None,
        newer=entries[0].seq if entries and has_newer else None,
    )


def export_entries(where: AuditFilter, batch: int = EXPORT_BATCH) -> Iterator[Entry]:
    """Every matching row, newest first, read in keyset batches.

    The transaction ends after each batch: on SQLite every transaction holds
    the write lock (``BEGIN IMMEDIATE``), and a download of the whole log
    must not stop the clinic writing while it streams.
    """
    conditions = where.conditions()
    before = None
    while True:
        bound = [AuditEvent.seq < before] if before is not None else []
        rows = _entries([*conditions, *bound], limit=batch)
        db.session.rollback()
        yield from rows
        if len(rows) < batch:
            return
        before = rows[-1].seq


CSV_HEADER = (
    "Row",
    "Time (clinic)",
    "Staff",
    "Staff id",
    "Action",
    "Client",
    "Client id",
    "Entity",
    "Entity id",
    "IP",
    "Details",
)


def csv_lines(entries: Iterable[Entry]) -> Iterator[str]:
    """The CSV text, a line at a time; every cell is spreadsheet-safe (names
    and details come from people and must not run as formulas)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
        return buffer.getvalue()

    yield line(CSV_HEADER)
    for e in entries:
        yield line(
            (
                e.seq,
                to_clinic_time(e.occurred_at).isoformat(timespec="seconds"),
                e.staff_name,
                e.user_id,
                e.action,
                e.client_name,
                e.client_id,
                e.entity_type,
                e.entity_id,
                e.ip,
                e.details,
            )
        )
