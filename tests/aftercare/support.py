"""Arrange visits for aftercare tests, print through the pages, read the PDFs.

Everything touching the database opens its own short app context and returns
plain values, so tests can keep sending requests without an open context.
Visits are arranged through the real services (book, check in, start, save,
sign); the sheets are printed through HTTP with CSRF tokens from real pages.

The tests run at a fixed clinic time (``NOW``): Friday 26 March 2027, two days
before London moves its clocks forward (Sunday 28 March, 01:00 UTC).
"""

from __future__ import annotations

import hashlib
import io
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import time_machine
from pypdf import PdfReader
from sqlalchemy import func, select

from clinic.aftercare.models import AftercareBatch, AftercarePrint, AftercareTemplate
from clinic.audit import AuditEvent
from clinic.auth.models import User
from clinic.catalogue.models import Protocol, Service
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.scheduling import series_services
from clinic.scheduling import services as scheduling_services
from clinic.scheduling.booking import Placement
from clinic.scheduling.models import Appointment
from clinic.visits import services as visit_services
from clinic.visits.models import Rescreen
from tests.helpers import submit
from tests.scheduling.support import TZ, Clinic, forms_of, local

NOW = datetime(2027, 3, 26, 7, 30, tzinfo=UTC)
TODAY = date(2027, 3, 26)  # a Friday, on GMT; BST starts on Sunday 28 March
# Lets arranged bookings lie before NOW (the booking service refuses the past).
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

CLINIC_SETTINGS = {
    "CLINIC_NAME": "Lumen Microcurrent Studio",
    "CLINIC_ADDRESS": "12 Harbour Street, Brighton BN1 2AB",
    "CLINIC_PHONE": "01273 555 019",
}
# The seeded template (migration b8359c643279): text and hours of each item.
SEEDED_ITEMS = [
    ("Drink plenty of water today (about 0.5 litre after the session)", None),
    ("Cleanse gently with a non-alcohol cleanser", 24),
    ("Moisturise morning and evening", None),
    ("Use SPF and avoid strong sun", 48),
    ("Avoid sauna, steam rooms and heavy exercise", 24),
    ("Avoid exfoliants and retinol", 72),
]
RETINOL = "Avoid exfoliants and retinol"


@contextmanager
def frozen_clock(at: datetime = NOW):
    """Travel to ``at``; the clock keeps ticking so events stay ordered."""
    with time_machine.travel(at, tick=True):
        yield


@contextmanager
def database(app):
    with app.app_context():
        yield db.session
        db.session.commit()


# --- arranging ---------------------------------------------------------------


def zone_input(code: str) -> visit_services.ZoneInput:
    return visit_services.ZoneInput(
        zone=code,
        current_ua=200.0,
        frequency_hz=10.0,
        waveform="square",
        polarity="alternating",
        applicator="probes",
        duration_seconds=60,
        holds=None,
        sensation="tingling",
        observation="",
        adverse=False,
        override_reason="",
    )


def book(
    app,
    clinic: Clinic,
    client_id: int,
    *,
    day: date = TODAY,
    at: time = time(10, 0),
    esthetician: int = 0,
    service_id: int | None = None,
) -> int:
    with database(app) as session:
        appointment = scheduling_services.book_single(
            session.get(Client, client_id),
            session.get(Service, service_id or clinic.service_id),
            Placement(local(day, at), clinic.estheticians[esthetician]),
            by_user_id=clinic.estheticians[esthetician],
            now=LONG_AGO,
        )
        return appointment.id


def book_series(
    app, clinic: Clinic, client_id: int, days: list[date], at: time = time(10, 0)
) -> list[int]:
    """The seeded 6-session protocol on ``days``; appointment ids by session."""
    with database(app) as session:
        protocol = session.scalar(select(Protocol).where(Protocol.sessions == 6))
        series = series_services.book_series(
            session.get(Client, client_id),
            protocol,
            [Placement(local(day, at), clinic.estheticians[0]) for day in days],
            by_user_id=clinic.estheticians[0],
            now=LONG_AGO,
        )
        return [
            a.id for a in sorted(series.appointments, key=lambda a: a.session_number)
        ]


def record_visit(
    app,
    appointment_id: int,
    *,
    zones: tuple[str, ...] = ("forehead", "cheek_left", "cheek_right"),
    aftercare_note: str = "",
    sign: bool = True,
) -> int:
    """Check in, start, record ``zones`` and (by default) sign; the visit's id."""
    with database(app) as session:
        appointment = session.get(Appointment, appointment_id)
        scheduling_services.check_in(
            appointment,
            by_user_id=appointment.esthetician_id,
            now=appointment.starts_at,
        )
    with database(app) as session:
        appointment = session.get(Appointment, appointment_id)
        user = session.get(User, appointment.esthetician_id)
        visit, eligibility = visit_services.start_visit(
            appointment, user=user, rescreen=Rescreen.NO_CHANGE
        )
        assert visit is not None, eligibility
        visit_services.save_visit(
            visit,
            {"aftercare_note": aftercare_note},
            [zone_input(code) for code in zones],
            user=user,
        )
        if sign:
            visit_services.sign_visit(visit, user=user)
        return visit.id


def visit_on(app, clinic: Clinic, client_id: int, **kw) -> int:
    """Book, check in, record and sign one visit; returns the visit id."""
    record = {k: kw.pop(k) for k in ("zones", "aftercare_note", "sign") if k in kw}
    return record_visit(app, book(app, clinic, client_id, **kw), **record)


def cancel(app, appointment_id: int, reason: str = "Client is travelling") -> None:
    with database(app) as session:
        appointment = session.get(Appointment, appointment_id)
        scheduling_services.cancel(
            appointment, reason=reason, by_user_id=appointment.esthetician_id
        )


def add_service(app, name: str = "Lymphatic lift", minutes: int = 45) -> int:
    """A second service (no aftercare template of its own)."""
    with database(app) as session:
        service = Service(name=name, duration_minutes=minutes, buffer_minutes=0)
        session.add(service)
        session.flush()
        return service.id


# --- printing through the pages ----------------------------------------------


def print_url(visit_id: int) -> str:
    return f"/visits/{visit_id}/aftercare"


def print_sheet(browser, visit_id: int, **kw):
    """Press "Print" (CSRF token from the dashboard, as any page's form)."""
    return submit(browser, print_url(visit_id), page="/dashboard", **kw)


def print_day(browser, day: date | str):
    shown = day if isinstance(day, str) else day.isoformat()
    return submit(browser, "/aftercare/day", {"day": shown}, page="/dashboard")


def form_posting_to(response, action: str) -> dict:
    """The fields of the page's form that posts to ``action`` (fails if none)."""
    found = [f for f in forms_of(response) if f["action"] == action]
    assert found, [f["action"] for f in forms_of(response)]
    return found[0]["fields"]


# --- reading PDFs ------------------------------------------------------------


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, whitespace collapsed."""
    assert data.startswith(b"%PDF-"), data[:40]
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return " ".join(pdf_pages(data))


def page_boxes(data: bytes) -> list[tuple[float, float]]:
    return [
        (float(p.mediabox.width), float(p.mediabox.height))
        for p in PdfReader(io.BytesIO(data)).pages
    ]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def long_local(value: datetime) -> str:
    """ "Monday 29 March, 12:00": how the sheet writes a local date and time."""
    shown = value.astimezone(TZ)
    return f"{shown:%A} {shown.day} {shown:%B}, {shown:%H:%M}"


def filename_of(response) -> str:
    disposition = response.headers["Content-Disposition"]
    match = re.fullmatch(r'inline; filename="([^"]+)"', disposition)
    assert match, disposition
    return match.group(1)


# --- reading the database ----------------------------------------------------


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def prints(app) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            SimpleNamespace(
                id=p.id,
                visit_id=p.visit_id,
                client_id=p.client_id,
                template_id=p.template_id,
                template_version=p.template.version,
                batch_id=p.batch_id,
                position=p.position,
                printed_at=p.printed_at,
                printed_by_id=p.printed_by_id,
                page_size=p.page_size,
                sha256=p.sha256,
                draft=p.draft,
            )
            for p in db.session.scalars(
                select(AftercarePrint).order_by(AftercarePrint.id)
            )
        ]


def batches(app) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            SimpleNamespace(
                id=b.id,
                day=b.day,
                printed_by_id=b.printed_by_id,
                sha256=b.sha256,
                print_ids=[p.id for p in b.prints],
            )
            for b in db.session.scalars(
                select(AftercareBatch).order_by(AftercareBatch.id)
            )
        ]


def templates_of(app, service_id: int) -> list[SimpleNamespace]:
    """Every version of a service's template, oldest first."""
    with app.app_context():
        return [
            SimpleNamespace(
                id=t.id,
                version=t.version,
                title=t.title,
                general_notes=t.general_notes,
                contact_if=t.contact_if,
                created_by_id=t.created_by_id,
                items=[(i.text, i.duration_hours) for i in t.items],
            )
            for t in db.session.scalars(
                select(AftercareTemplate)
                .where(AftercareTemplate.service_id == service_id)
                .order_by(AftercareTemplate.version)
            )
        ]


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


def days_after(day: date, *offsets: int) -> list[date]:
    return [day + timedelta(days=n) for n in offsets]
