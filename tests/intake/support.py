"""Helpers shared by the intake HTTP tests: clients, questionnaires, page parsing.

Every database read or arrangement opens its own short app context: requests
from the test client must never share an app context (and so ``g``, the
SQLAlchemy session and Flask-Login's cached user) with the test's own reads.

The tests run at a fixed clinic time (``NOW``, see ``frozen_clock``) so that
expected dates such as "Deferred until 14 March 2030" are literal.
"""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import time_machine
from sqlalchemy import func, select

from clinic.audit import AuditEvent
from clinic.clients.models import Client
from clinic.clients.services import create_client
from clinic.extensions import db
from clinic.intake.models import Clearance, Intake, IntakeAnswer, IntakeLink, RuleSet
from tests.helpers import DEFAULT_PASSWORD, login, submit

# A Tuesday morning in winter time: London is on UTC, no daylight-saving change
# within a month either side, and 14 days after 28 February is 14 March.
NOW = datetime(2030, 3, 5, 9, 0, tzinfo=UTC)
TODAY = date(2030, 3, 5)
ADULT_BIRTH_DATE = date(1990, 6, 15)


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@contextmanager
def frozen_clock():
    """Travel to ``NOW``; the clock keeps ticking so submissions stay ordered."""
    with time_machine.travel(NOW, tick=True):
        yield


@contextmanager
def database(app):
    """``with database(app) as session:`` read or arrange rows, then commit."""
    with app.app_context():
        yield db.session
        db.session.commit()


# --- arranging ---------------------------------------------------------------


def make_client(app, **overrides) -> int:
    """Register a client directly (the clients pages are tested elsewhere)."""
    data = {
        "given_name": "Ana",
        "family_name": "Example",
        "date_of_birth": ADULT_BIRTH_DATE,
        "phone": "",
        "email": "",
        "address": "",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "notes": "",
    }
    data.update(overrides)
    with database(app):
        return create_client(data, by_user_id=None).id


def signed_in_client(app, make_user, role):
    """A second browser, signed in through the real form as a new ``role`` user."""
    user = make_user(role)
    browser = app.test_client()
    response = login(browser, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 302, response.status_code
    return browser, user


def active_rules(app) -> list[tuple[str, str]]:
    """(code, class) of every rule the current questionnaire asks, in order."""
    with app.app_context():
        rule_set = db.session.scalar(select(RuleSet).order_by(RuleSet.version.desc()))
        return [(r.code, r.rule_class.value) for r in rule_set.active_rules()]


def questionnaire(app, yes: dict | None = None, **overrides) -> dict:
    """A complete, signed questionnaire answering "no" to everything except ``yes``.

    ``yes`` maps a rule code to its follow-ups: ``{"date": date, "zones": [...],
    "details": "..."}`` (any may be left out). ``overrides`` replace or add
    fields; a value of ``None`` removes the field (as an unticked box would).
    """
    yes = yes or {}
    data: dict = {}
    codes = {code for code, _ in active_rules(app)}
    unknown = set(yes) - codes
    assert not unknown, f"not asked: {unknown}"
    for code in codes:
        answer = yes.get(code)
        data[f"q_{code}"] = "no" if answer is None else "yes"
        if answer:
            if answer.get("date") is not None:
                data[f"q_{code}__date"] = answer["date"].isoformat()
            if answer.get("zones"):
                data[f"q_{code}__zones"] = list(answer["zones"])
            if answer.get("details"):
                data[f"q_{code}__details"] = answer["details"]
    data.update(
        consent_treatment="y",
        consent_data="y",
        signature_name="Ana Example",
        confirm="y",
    )
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def staff_intake_url(client_id: int) -> str:
    return f"/clients/{client_id}/intake/new"


def submit_staff_intake(browser, client_id: int, data: dict):
    return submit(browser, staff_intake_url(client_id), data)


def intake_id_from(response) -> int:
    """The intake id of the detail page a successful submission redirects to."""
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/intakes/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def registered_name(app, client_id: int) -> str:
    """The client's full name as registered: what signs an intake."""
    with app.app_context():
        return db.session.get(Client, client_id).full_name


def staff_intake(app, browser, client_id: int, yes: dict | None = None, **kw) -> int:
    """Submit a valid intake through the staff page, signed with the client's
    registered name (unless ``signature_name`` is given); returns its id."""
    kw.setdefault("signature_name", registered_name(app, client_id))
    response = submit_staff_intake(browser, client_id, questionnaire(app, yes, **kw))
    return intake_id_from(response)


def create_link(browser, client_id: int):
    """POST "Start a tablet intake" from the profile; the response (link page)."""
    return submit(
        browser, f"/clients/{client_id}/intake-link", page=f"/clients/{client_id}"
    )


def link_from(response) -> str:
    """The tablet link shown on the link page, as a path for the test client."""
    assert response.status_code == 200, response.status_code
    match = re.search(r'id="tablet-url"[^>]*value="([^"]+)"', page(response))
    assert match, "no link on the page"
    url = html.unescape(match.group(1))
    assert url.startswith("http://localhost/tablet/intake/"), url
    return url.removeprefix("http://localhost")


def clearance(browser, intake_id: int, **fields):
    """POST a clearance (valid unless ``fields`` say otherwise) from the detail page."""
    data = {"reason": "GP letter seen", "cleared_on": TODAY.isoformat()}
    data.update(fields)
    return submit(
        browser, f"/intakes/{intake_id}/clearance", data, page=f"/intakes/{intake_id}"
    )


# --- reading the database ----------------------------------------------------


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def intake_count(app, client_id: int | None = None) -> int:
    where = () if client_id is None else (Intake.client_id == client_id,)
    return count(app, Intake, *where)


def answer_count(app) -> int:
    return count(app, IntakeAnswer)


def clearance_count(app) -> int:
    return count(app, Clearance)


def audit_rows(app, action: str, client_id: int | None = None) -> list:
    """(user_id, client_id, entity_id, details) of every ``action`` event."""
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if client_id is not None:
        stmt = stmt.where(AuditEvent.client_id == client_id)
    with app.app_context():
        return [
            SimpleNamespace(
                user_id=e.user_id,
                client_id=e.client_id,
                entity_id=e.entity_id,
                details=e.details,
            )
            for e in db.session.scalars(stmt.order_by(AuditEvent.seq))
        ]


def all_audit_details(app) -> str:
    with app.app_context():
        return "\n".join(db.session.scalars(select(AuditEvent.details)))


def load_intake(app, intake_id: int) -> SimpleNamespace:
    """A plain snapshot of the stored intake, its answers, consents, clearance."""
    with app.app_context():
        intake = db.session.get(Intake, intake_id)
        clear = intake.clearance
        return SimpleNamespace(
            id=intake.id,
            client_id=intake.client_id,
            rules_version=intake.rule_set.version,
            submitted_at=intake.submitted_at,
            screened_on=intake.screened_on,
            entered_via=intake.entered_via.value,
            entered_by_id=intake.entered_by_id,
            ip=intake.ip,
            signature_name=intake.signature_name,
            signature_agreed=intake.signature_agreed,
            outcome=intake.outcome.value,
            eligible_from=intake.eligible_from,
            excluded_zones=intake.excluded_zone_codes,
            needs_clearance=intake.needs_clearance,
            finding_codes=[f.rule_code for f in intake.result().findings],
            treatment_consent=intake.treatment_consent.version,
            data_consent=intake.data_consent.version,
            photo_consent=intake.photo_consent.version
            if intake.photo_consent
            else None,
            answers={
                a.rule_code: SimpleNamespace(
                    position=a.position,
                    question=a.question,
                    yes=a.yes,
                    event_date=a.event_date,
                    zones=a.zone_codes,
                    details=a.details,
                )
                for a in intake.answers
            },
            clearance=None
            if clear is None
            else SimpleNamespace(
                reason=clear.reason,
                physician_note_ref=clear.physician_note_ref,
                cleared_on=clear.cleared_on,
                cleared_by_id=clear.cleared_by_id,
            ),
        )


def client_intake_ids(app, client_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Intake.id)
                .where(Intake.client_id == client_id)
                .order_by(Intake.id)
            )
        )


def links_of(app, client_id: int) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            SimpleNamespace(
                id=link.id,
                token_hash=link.token_hash,
                used_at=link.used_at,
                revoked_at=link.revoked_at,
                intake_id=link.intake_id,
                created_at=link.created_at,
                expires_at=link.expires_at,
            )
            for link in db.session.scalars(
                select(IntakeLink)
                .where(IntakeLink.client_id == client_id)
                .order_by(IntakeLink.id)
            )
        ]


def archive(app, client_id: int, by_user_id: int) -> None:
    with database(app) as session:
        session.get(Client, client_id).archive(by_user_id, "moved away")


# --- reading pages -----------------------------------------------------------


def page(response) -> str:
    """The page's text with HTML entities decoded (``&#39;`` -> ``'``)."""
    return html.unescape(response.get_data(as_text=True))


def plain(response) -> str:
    """The page's text: tags removed, entities decoded, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def badge(response) -> str:
    """The text of the screening (eligibility) badge on the page."""
    found = re.findall(
        r'<span class="[^"]*eligibility-badge[^"]*" data-status="[^"]+">([^<]*)</span>',
        response.get_data(as_text=True),
    )
    assert len(found) == 1, found
    return html.unescape(found[0]).strip()


def excluded(response) -> str:
    """The "Excluded zones: ..." badge text, or "" when there is none."""
    found = re.findall(r">\s*(Excluded zones:[^<]*)<", response.get_data(as_text=True))
    assert len(found) <= 1, found
    return html.unescape(found[0]).strip() if found else ""


def field_error(response, field_id: str) -> str:
    """The error text rendered next to the field ``field_id`` ("" if none)."""
    match = re.search(
        rf'<div id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>',
        response.get_data(as_text=True),
        re.DOTALL,
    )
    if not match:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def table_rows(response) -> list[list[str]]:
    """The cells (tags stripped, entities decoded) of every <tbody> row."""
    body = response.get_data(as_text=True)
    rows = []
    for tbody in re.findall(r"<tbody>(.*?)</tbody>", body, re.DOTALL):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, re.DOTALL):
            cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)
            rows.append(
                [
                    " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
                    for c in cells
                ]
            )
    return rows
