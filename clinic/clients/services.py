"""Client registration, duplicate detection and search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple
from weakref import WeakKeyDictionary

from flask import abort
from sqlalchemy import column, func, literal_column, or_, select, table

from clinic import audit
from clinic.clients.models import Client
from clinic.db import SEARCH_INDEX_TABLE
from clinic.extensions import db
from clinic.text import digits, fold

SEARCH_LIMIT = 50
# A search reads at most this many matches: past it the fragment is too
# common to list (100,000 clients hold thousands of "smith"), and the page
# asks for more of the name instead of sorting every match.
SEARCH_CAP = 2 * SEARCH_LIMIT
# Phones match on their last digits, so "+44 7700 900123" finds "07700 900123".
PHONE_MATCH_DIGITS = 9


def get_client_or_404(client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        abort(404)
    return client


class ClientMatch(NamedTuple):
    """A line of a client list: the columns it shows, not a loaded Client (a
    full page of search results cost more to load than to find)."""

    id: int
    given_name: str
    family_name: str
    date_of_birth: date
    phone: str
    email: str
    archived_at: datetime | None

    full_name = property(Client.full_name.fget)
    archived = property(Client.archived.fget)


_MATCH_COLUMNS = select(*(getattr(Client, name) for name in ClientMatch._fields))
_SEARCH_INDEX_FOUND: WeakKeyDictionary = WeakKeyDictionary()


def _matches(stmt) -> list[ClientMatch]:
    return [ClientMatch(*row) for row in db.session.execute(stmt)]


class SearchResult(NamedTuple):
    """What a search found: the first ``limit`` matches by name and how many
    matched (at most ``SEARCH_CAP + 1``: past the cap nothing is listed)."""

    clients: list[ClientMatch]
    found: int

    @property
    def too_many(self) -> bool:
        return self.found > SEARCH_CAP


@dataclass(frozen=True)
class DuplicateCandidate:
    client: Client
    reasons: tuple[str, ...]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_duplicates(
    *,
    given_name: str,
    family_name: str,
    date_of_birth: date | None,
    email: str,
    phone: str,
    exclude_id: int | None = None,
) -> list[DuplicateCandidate]:
    """Existing clients that are probably the same person, with why."""
    name_key = fold(f"{given_name} {family_name}")
    email_key = email.strip().casefold()
    phone_tail = digits(phone)[-PHONE_MATCH_DIGITS:]
    conditions = []
    if name_key and date_of_birth:
        conditions.append(
            (Client.name_key == name_key) & (Client.date_of_birth == date_of_birth)
        )
    if email_key:
        conditions.append(Client.email == email_key)
    if len(phone_tail) >= 6:
        conditions.append(
            Client.phone_digits.like("%" + _escape_like(phone_tail), escape="\\")
        )
    if not conditions:
        return []
    stmt = select(Client).where(or_(*conditions)).order_by(Client.id).limit(10)
    if exclude_id is not None:
        stmt = stmt.where(Client.id != exclude_id)
    found = []
    for client in db.session.scalars(stmt):
        reasons = []
        if client.name_key == name_key and client.date_of_birth == date_of_birth:
            reasons.append("same name and date of birth")
        if email_key and client.email == email_key:
            reasons.append("same email")
        if phone_tail and client.phone_digits.endswith(phone_tail):
            reasons.append("same phone")
        found.append(DuplicateCandidate(client, tuple(reasons)))
    return found


def _apply(client: Client, data: dict) -> None:
    for key, value in data.items():
        setattr(client, key, value)
    client.email = (client.email or "").strip().casefold()
    client.refresh_search_keys()


def create_client(data: dict, *, by_user_id: int) -> Client:
    client = Client(created_by_id=by_user_id)
    _apply(client, data)
    db.session.add(client)
    db.session.flush()
    audit.record(
        "client.created", entity_type="client", entity_id=client.id, client_id=client.id
    )
    return client


def update_client(client: Client, data: dict) -> list[str]:
    """Apply changes; returns the names of the fields that changed."""
    data = {**data, "email": (data.get("email") or "").strip().casefold()}
    changed = [key for key, value in data.items() if getattr(client, key) != value]
    if changed:
        _apply(client, data)
        audit.record(
            "client.updated",
            entity_type="client",
            entity_id=client.id,
            client_id=client.id,
            details="fields: " + ", ".join(sorted(changed)),
        )
    db.session.flush()
    return changed


def archive_client(client: Client, *, by_user_id: int, reason: str) -> None:
    client.archive(by_user_id, reason)
    audit.record(
        "client.archived",
        entity_type="client",
        entity_id=client.id,
        client_id=client.id,
    )
    db.session.flush()


def restore_client(client: Client) -> None:
    client.restore()
    audit.record(
        "client.restored",
        entity_type="client",
        entity_id=client.id,
        client_id=client.id,
    )
    db.session.flush()


def _search_token(token: str) -> str:
    """Phone-like tokens ("+44", "(0)7700") are searched by their digits."""
    if any(ch.isdigit() for ch in token) and all(
        ch.isdigit() or ch in "+()-./" for ch in token
    ):
        return digits(token)
    return fold(token)


# The triggers that keep SQLite's trigram index (migration 0b49fe555a0e) in
# step with ``client.search_text``; without all of them it may be stale.
_SEARCH_TRIGGERS = (
    "client_search_insert",
    "client_search_update",
    "client_search_delete",
)


def _sqlite_search_index() -> bool:
    """Is SQLite's trigram index of ``search_text`` there and maintained?

    Asked once per engine: only a migration adds or removes it.
    """
    engine = db.session.get_bind()
    if engine.dialect.name != "sqlite":
        return False
    if engine not in _SEARCH_INDEX_FOUND:
        _SEARCH_INDEX_FOUND[engine] = _search_index_in_schema()
    return _SEARCH_INDEX_FOUND[engine]


def _search_index_in_schema() -> bool:
    schema = table("sqlite_master", column("type"), column("name"))
    found = db.session.scalar(
        select(func.count())
        .select_from(schema)
        .where(
            or_(
                (schema.c.type == "table") & (schema.c.name == SEARCH_INDEX_TABLE),
                (schema.c.type == "trigger") & schema.c.name.in_(_SEARCH_TRIGGERS),
            )
        )
    )
    return found == 1 + len(_SEARCH_TRIGGERS)


def search_clients(
    query: str, *, include_archived: bool = False, limit: int = SEARCH_LIMIT
) -> SearchResult:
    """Clients matching every word of ``query`` in name, email or phone.

    Bounded work whatever the size of the clinic: at most ``SEARCH_CAP + 1``
    matches are read, in index order; when that many match, the fragment is
    too common to list and the result says so. Otherwise every match was
    read, so the first ``limit`` by name are exactly those.
    """
    tokens = [t for t in (_search_token(word) for word in query.split()) if t][:6]
    if not tokens:
        return SearchResult([], 0)
    conditions = [
        Client.search_text.like(f"%{_escape_like(token)}%", escape="\\")
        for token in tokens
    ]
    if not include_archived:
        conditions.append(Client.archived_at.is_(None))
    found = _MATCH_COLUMNS.where(*conditions)
    # A trigram index finds words of 3 letters or more without reading every
    # client: PostgreSQL uses its own for the LIKE above; SQLite's is a
    # separate FTS5 table that drives the search (the LIKE still decides).
    long_tokens = [token for token in tokens if len(token) >= 3]
    if long_tokens and _sqlite_search_index():
        index = table(SEARCH_INDEX_TABLE)
        phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_tokens)
        found = found.select_from(
            index.join(
                Client, Client.id == literal_column(f"{SEARCH_INDEX_TABLE}.rowid")
            )
        ).where(literal_column(SEARCH_INDEX_TABLE).op("MATCH")(phrases))
    found = found.limit(SEARCH_CAP + 1).subquery()
    stmt = (
        select(*found.c, func.count().over().label("found"))
        .order_by(found.c.family_name, found.c.given_name, found.c.id)
        .limit(limit)
    )
    result = db.session.execute(stmt)
    first = result.fetchone()
    if first is None:
        return SearchResult([], 0)
    if first.found > SEARCH_CAP:
        result.close()  # the rest is not shown
        return SearchResult([], first.found)
    rows = [first, *result]
    return SearchResult([ClientMatch(*row[:-1]) for row in rows], first.found)


def recent_clients(limit: int = 20) -> list[ClientMatch]:
    return _matches(
        _MATCH_COLUMNS.where(Client.archived_at.is_(None))
        .order_by(Client.created_at.desc(), Client.id.desc())
        .limit(limit)
    )
