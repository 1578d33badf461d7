"""Arrange visits and drive the visit pages the way a browser does.

Everything touching the database opens its own short app context and returns
plain values, so tests can keep sending requests without an open context
(a shared context would leak the session and the signed-in user).

The tests run at a fixed clinic time (``NOW``): a Tuesday morning in winter,
when London is on UTC, so dates on pages are literal.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import time_machine
from sqlalchemy import func, select

from clinic.audit import AuditEvent
from clinic.catalogue.models import Protocol, Service
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.intake.screening import Answer
from clinic.scheduling import series_services
from clinic.scheduling import services as scheduling_services
from clinic.scheduling.booking import Placement
from clinic.scheduling.models import Appointment
from clinic.visits.models import Amendment, Visit, ZoneNote
from tests.helpers import submit
from tests.scheduling.support import (
    Clinic,
    _Forms,
    add_client,
    build_clinic,
    local,
    signed_in_browser,
)

NOW = datetime(2030, 3, 5, 9, 0, tzinfo=UTC)
TODAY = date(2030, 3, 5)
# The client's intake on file, well before the visit.
INTAKE_SIGNED_AT = datetime(2030, 1, 20, 10, 0, tzinfo=UTC)
INTAKE_DATE_TEXT = "20 January 2030"

COLD_SORE = {"cold_sore": Answer("cold_sore", True, zones=("perioral",))}


@contextmanager
def frozen_clock(at: datetime = NOW):
    """Travel to ``at``; the clock keeps ticking so events stay ordered."""
    with time_machine.travel(at, tick=True):
        yield


# --- arranging -----------------------------------------------------------------


@contextmanager
def database(app):
    with app.app_context():
        yield db.session
        db.session.commit()


def clinic_with_client(app, name: str = "Clara Client", yes=None):
    """Two estheticians (devices configured to 500 µA max) and one client."""
    clinic = build_clinic(app)
    client_id = add_client(app, name, yes=yes, signed_at=INTAKE_SIGNED_AT)
    return clinic, client_id


def book(
    app,
    clinic: Clinic,
    client_id: int,
    *,
    esthetician: int = 0,
    at=time(10, 0),
    day=TODAY,
) -> int:
    """Book one appointment (not checked in) through the booking service."""
    with database(app) as session:
        appointment = scheduling_services.book_single(
            session.get(Client, client_id),
            session.get(Service, clinic.service_id),
            Placement(local(day, at), clinic.estheticians[esthetician]),
            by_user_id=clinic.estheticians[esthetician],
        )
        return appointment.id


def check_in(app, appointment_id: int) -> None:
    with database(app) as session:
        appointment = session.get(Appointment, appointment_id)
        scheduling_services.check_in(
            appointment,
            by_user_id=appointment.esthetician_id,
            now=appointment.starts_at,
        )


def checked_in(app, clinic: Clinic, client_id: int, **kw) -> int:
    appointment_id = book(app, clinic, client_id, **kw)
    check_in(app, appointment_id)
    return appointment_id


def book_series_of_six(app, clinic: Clinic, client_id: int) -> list[int]:
    """The seeded "6 sessions, about 10 days apart" protocol from today, 10:00."""
    with database(app) as session:
        protocol = session.scalar(select(Protocol).where(Protocol.sessions == 6))
        series = series_services.book_series(
            session.get(Client, client_id),
            protocol,
            [
                Placement(
                    local(TODAY + timedelta(days=10 * n), time(10, 0)),
                    clinic.estheticians[0],
                )
                for n in range(6)
            ],
            by_user_id=clinic.estheticians[0],
        )
        return [
            a.id for a in sorted(series.appointments, key=lambda a: a.session_number)
        ]


def browser(app, clinic: Clinic, esthetician: int = 0):
    """A test client signed in as one of the clinic's estheticians."""
    return signed_in_browser(app, clinic.esthetician_emails[esthetician])


# --- the pages ------------------------------------------------------------------


def start_url(appointment_id: int) -> str:
    return f"/appointments/{appointment_id}/visit"


def visit_url(visit_id: int, action: str = "") -> str:
    return f"/visits/{visit_id}" + (f"/{action}" if action else "")


def post(browser_, url: str, data: dict | None = None, **kw):
    """POST with a CSRF token from the dashboard (reading it audits nothing)."""
    return submit(browser_, url, data, page="/dashboard", **kw)


def visit_id_from(response) -> int:
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/visits/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def start_no_change(browser_, appointment_id: int) -> int:
    """Answer "No, nothing changed" and return the new draft's id."""
    return visit_id_from(post(browser_, start_url(appointment_id), {"changed": "no"}))


def open_draft(app, clinic: Clinic, client_id: int, *, esthetician: int = 0, **kw):
    """A checked-in appointment and its draft visit: (browser, appointment, visit)."""
    appointment_id = checked_in(app, clinic, client_id, esthetician=esthetician, **kw)
    user = browser(app, clinic, esthetician)
    return user, appointment_id, start_no_change(user, appointment_id)


def zone(code: str, current="200", frequency="10", duration="60", **more) -> dict:
    """The form fields of one treated zone (override with ``more``)."""
    values = {
        "treated": "y",
        "current_ua": current,
        "frequency_hz": frequency,
        "duration_seconds": duration,
        "holds": "",
        "waveform": "square",
        "polarity": "alternating",
        "applicator": "probes",
        "sensation": "tingling",
        "observation": "",
        **more,
    }
    return {
        f"z_{code}-{key}": value for key, value in values.items() if value is not None
    }


def form_fields(browser_, visit_id: int) -> dict:
    """The save form's fields as the visit page renders them."""
    response = browser_.get(visit_url(visit_id))
    assert response.status_code == 200, response.status_code
    return save_form(response)


class _FormsWithText(_Forms):
    """``forms_of``'s parser, also reading <textarea> contents as a browser
    submits them."""

    def __init__(self):
        super().__init__()
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        name = dict(attrs).get("name")
        if tag == "textarea" and name and self.forms:
            self._textarea = name
            self.forms[-1]["fields"][name] = ""

    def handle_data(self, data):
        if self._textarea:
            fields = self.forms[-1]["fields"]
            fields[self._textarea] += data

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        if tag == "textarea" and self._textarea:
            fields = self.forms[-1]["fields"]
            # HTML drops one newline right after <textarea> (WTForms writes one).
            text = fields[self._textarea]
            fields[self._textarea] = text.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None


def save_form(response) -> dict:
    """The fields the visit page's save form would submit."""
    parser = _FormsWithText()
    parser.feed(response.get_data(as_text=True))
    found = [f for f in parser.forms if f["action"].endswith("/save")]
    assert len(found) == 1, [f["action"] for f in parser.forms]
    return dict(found[0]["fields"])


def untick_all_zones(fields: dict) -> dict:
    return {
        key: value
        for key, value in fields.items()
        if not (key.startswith("z_") and key.endswith("-treated"))
    }


def save(browser_, visit_id: int, *zones: dict, button: str = "save", **fields):
    """Post the visit form as a browser would: what the page shows, every zone
    unticked except ``zones``, plus ``fields`` (e.g. general_notes=...)."""
    data = untick_all_zones(form_fields(browser_, visit_id))
    for extra in zones:
        data.update(extra)
    data.update(fields)
    if button != "save":
        data[button] = "1"
    return browser_.post(visit_url(visit_id, "save"), data=data)


class _FormsWithButtons(_FormsWithText):
    """Also each form's submit buttons (``<input type="submit">``), and only
    the controls inside a form: a button belongs to the form that holds it."""

    def __init__(self):
        super().__init__()
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self._in_form = True
        elif not self._in_form:
            return
        super().handle_starttag(tag, attrs)
        found = dict(attrs)
        if tag == "input" and found.get("type") == "submit":
            self.forms[-1].setdefault("buttons", []).append(found)

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        if tag == "form":
            self._in_form = False


def button_form(response, label: str) -> tuple[str, dict] | None:
    """(URL, fields) a browser posts when ``label`` is pressed on the page: the
    fields of the form holding the button, to the button's formaction."""
    parser = _FormsWithButtons()
    parser.feed(response.get_data(as_text=True))
    for form in parser.forms:
        for button in form.get("buttons", ()):
            if button.get("value") == label:
                fields = dict(form["fields"])
                if button.get("name"):
                    fields[button["name"]] = label
                return button.get("formaction") or form["action"], fields
    return None


def sign(browser_, visit_id: int, *changes: dict, confirm: bool = True, **fields):
    """Press "Sign the visit" as a browser does: the form holding the button as
    the page shows it, with ``changes`` (e.g. ``zone("neck", current="260")``)
    and ``fields`` typed in and the confirmation ticked, sent to the button's
    formaction.

    A page without the button (a signed visit, another's visit) gets what a
    hand-made request would send: the record form's fields, if the page has
    one, and the confirmation, posted to /sign.
    """
    page = browser_.get(visit_url(visit_id))
    pressed = button_form(page, "Sign the visit") if page.status_code == 200 else None
    if pressed is None:
        url = visit_url(visit_id, "sign")
        parser = _FormsWithText()
        parser.feed(page.get_data(as_text=True))
        records = [f for f in parser.forms if f["action"].endswith("/save")]
        data = dict(records[0]["fields"]) if records else {}
    else:
        url, data = pressed
    for extra in changes:
        data.update(extra)
    data.update(fields)
    if confirm:
        data["confirm"] = "y"
    else:
        data.pop("confirm", None)
    if pressed is None:
        return post(browser_, url, data)
    return browser_.post(url, data=data)


def amend(browser_, visit_id: int, text: str):
    return post(browser_, visit_url(visit_id, "amend"), {"text": text})


# --- reading the database -------------------------------------------------------


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def visits_of(app, appointment_id: int) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            snapshot_visit(v)
            for v in db.session.scalars(
                select(Visit).where(Visit.appointment_id == appointment_id)
            )
        ]


def snapshot_visit(visit: Visit) -> SimpleNamespace:
    return SimpleNamespace(
        id=visit.id,
        appointment_id=visit.appointment_id,
        client_id=visit.client_id,
        esthetician_id=visit.esthetician_id,
        started_by_id=visit.started_by_id,
        started_at=visit.started_at,
        rescreen=visit.rescreen.value,
        rescreened_at=visit.rescreened_at,
        intake_id=visit.intake_id,
        excluded_zones=visit.excluded_zones,
        device_id=visit.device_id,
        conductive_product=visit.conductive_product,
        skin_before=visit.skin_before,
        general_notes=visit.general_notes,
        products_after=visit.products_after,
        client_feedback=visit.client_feedback,
        adverse_kinds=visit.adverse_kinds,
        adverse_details=visit.adverse_details,
        aftercare_note=visit.aftercare_note,
        status=visit.status.value,
        signed_at=visit.signed_at,
        signed_by_id=visit.signed_by_id,
    )


def load_visit(app, visit_id: int) -> SimpleNamespace:
    with app.app_context():
        return snapshot_visit(db.session.get(Visit, visit_id))


def notes_of(app, visit_id: int) -> dict[str, SimpleNamespace]:
    """The stored zone notes of a visit, by zone code."""
    with app.app_context():
        return {
            note.zone: SimpleNamespace(
                current_ua=note.current_ua,
                frequency_hz=note.frequency_hz,
                waveform=note.waveform.value if note.waveform else None,
                polarity=note.polarity.value if note.polarity else None,
                applicator=note.applicator.value if note.applicator else None,
                duration_seconds=note.duration_seconds,
                holds=note.holds,
                sensation=note.sensation.value if note.sensation else None,
                observation=note.observation,
                adverse=note.adverse,
                override_reason=note.override_reason,
            )
            for note in db.session.scalars(
                select(ZoneNote).where(ZoneNote.visit_id == visit_id)
            )
        }


def zone_note_count(app) -> int:
    return count(app, ZoneNote)


def amendments_of(app, visit_id: int) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            SimpleNamespace(text=a.text, author_id=a.author_id, created_at=a.created_at)
            for a in db.session.scalars(
                select(Amendment)
                .where(Amendment.visit_id == visit_id)
                .order_by(Amendment.id)
            )
        ]


def appointment_status(app, appointment_id: int) -> str:
    with app.app_context():
        return db.session.get(Appointment, appointment_id).status.value


def audit_events(app, action: str) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            SimpleNamespace(
                user_id=e.user_id,
                client_id=e.client_id,
                entity_type=e.entity_type,
                entity_id=e.entity_id,
                details=e.details,
            )
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.seq)
            )
        ]


def audit_counts(app) -> dict[str, int]:
    """How many audit rows each ``visit.*`` action has."""
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.action, func.count())
            .where(AuditEvent.action.like("visit.%"))
            .group_by(AuditEvent.action)
        ).all()
    return {action: n for action, n in rows}
