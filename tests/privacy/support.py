"""A client with a full record (intake with answers and clearance, a signed
visit with zone notes, an amendment, an aftercare print, a cancelled
appointment, a tablet link), arranged through the real services, and helpers
to read the database and scan it for identifying strings.

Everything touching the database opens its own short app context and returns
plain values, so tests can keep sending requests without an open context.
The record is made at the aftercare tests' fixed time (``NOW``, 26 March 2027).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, inspect, select, text

from clinic.aftercare import services as aftercare_services
from clinic.audit import AuditEvent
from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.clients.services import create_client
from clinic.extensions import db
from clinic.intake import services as intake_services
from clinic.intake.screening import Answer
from clinic.scheduling import services as scheduling_services
from clinic.scheduling.models import Appointment
from clinic.text import fold
from clinic.visits import services as visit_services
from clinic.visits.models import Rescreen
from tests.aftercare.support import (
    NOW,
    TODAY,
    book,
    cancel,
    database,
    frozen_clock,
    zone_input,
)
from tests.scheduling.support import add_client, build_clinic, submit_intake

__all__ = ["NOW", "TODAY", "frozen_clock"]

GIVEN = "Σοφία"
FAMILY = "Nguyễn <b>Quillane</b> & Co"
FULL_NAME = f"{GIVEN} {FAMILY}"
BIRTH = date(1984, 7, 19)
CONTACT = {
    "given_name": GIVEN,
    "family_name": FAMILY,
    "date_of_birth": BIRTH,
    "phone": "+44 7700 900461",
    "email": "sofia.quillane@example.org",
    "address": "7 Kettle Yard\nCambridge CB3 0AQ",
    "emergency_contact_name": "Dimitri Lanakis",
    "emergency_contact_phone": "+44 7700 900999",
    "notes": "Parks at Orchid Mews",
}
DIABETES_DETAILS = "Type 1, insulin pump Medtronic-QX"
COLD_SORE_DETAILS = "Cold sore near Zephyrine's lip"
CLEARANCE_REASON = "GP letter from Dr Quillfeather"
CLEARANCE_REF = "QF-88123"
VISIT_FIELDS = {
    "skin_before": "Dry patches, Blueberry serum reaction",
    "general_notes": "Σοφία spoke about Marrowfield Lane",
    "products_after": "Brambleton balm",
    "client_feedback": "Loved it, Wistow hydration",
    "aftercare_note": "Drink water, Σοφία <i>please</i>",
}
OBSERVATION = "Visible lift near Pellinore scar"
AMENDMENT = "Client phoned from Thornbury: mild tingling"
CANCEL_REASON = "Σοφία flying to Thessaloniki"

# What must not survive erasure anywhere in the database (compared folded:
# case- and accent-insensitive, so "σοφια" in a search key counts too).
IDENTIFYING = (
    GIVEN,
    "Nguyễn",
    "Quillane",
    "sofia.quillane",
    "7700 900461",
    "7700900461",
    "Kettle Yard",
    "CB3 0AQ",
    "Lanakis",
    "900999",
    "Orchid Mews",
    "Medtronic-QX",
    "Zephyrine",
    "Quillfeather",
    "QF-88123",
    "Blueberry",
    "Marrowfield",
    "Brambleton",
    "Wistow",
    "Pellinore",
    "Thornbury",
    "Thessaloniki",
    BIRTH.isoformat(),
)


@dataclass
class Record:
    client_id: int
    other_client_id: int
    visit_id: int
    print_id: int
    intake_id: int
    appointment_ids: list[int]
    esthetician_id: int
    esthetician_email: str


def arrange_record(app) -> Record:
    """The full record, made at ``NOW`` (call inside ``frozen_clock``).

    The last clinical activity is the cancelled appointment of 29 March 2027.
    """
    clinic = build_clinic(app)
    esthetician_id = clinic.estheticians[0]
    other = add_client(app, "Olive Other")
    with database(app) as session:
        client = create_client(CONTACT, by_user_id=None)
        intake = submit_intake(
            client,
            {
                "diabetes": Answer("diabetes", True, details=DIABETES_DETAILS),
                "cold_sore": Answer(
                    "cold_sore", True, zones=("perioral",), details=COLD_SORE_DETAILS
                ),
            },
            signed_at=NOW - timedelta(days=10),
        )
        intake_services.record_clearance(
            intake,
            by_user_id=esthetician_id,
            reason=CLEARANCE_REASON,
            physician_note_ref=CLEARANCE_REF,
            cleared_on=TODAY - timedelta(days=5),
        )
        intake_services.create_link(client, by_user_id=esthetician_id)
        client_id, intake_id = client.id, intake.id
    visit_appointment = book(app, clinic, client_id, day=TODAY, at=time(10, 0))
    visit_id = _record_visit(app, visit_appointment)
    with database(app) as session:
        user = session.get(User, esthetician_id)
        visit = aftercare_services.visit_for_sheet(visit_id)
        record, _pdf = aftercare_services.print_visit(visit, by_user_id=user.id)
        print_id = record.id
        visit_services.amend_visit(visit, AMENDMENT, user=user)
    cancelled = book(app, clinic, client_id, day=TODAY + timedelta(days=3))
    cancel(app, cancelled, reason=CANCEL_REASON)
    return Record(
        client_id=client_id,
        other_client_id=other,
        visit_id=visit_id,
        print_id=print_id,
        intake_id=intake_id,
        appointment_ids=[visit_appointment, cancelled],
        esthetician_id=esthetician_id,
        esthetician_email=clinic.esthetician_emails[0],
    )


def _record_visit(app, appointment_id: int) -> int:
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
        zones = [
            dataclasses.replace(zone_input("forehead"), observation=OBSERVATION),
            zone_input("cheek_left"),
        ]
        visit_services.save_visit(visit, dict(VISIT_FIELDS), zones, user=user)
        visit_services.sign_visit(visit, user=user)
        return visit.id


# --- reading the database ----------------------------------------------------


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def load_client(app, client_id: int) -> Client:
    with app.app_context():
        client = db.session.get(Client, client_id)
        db.session.expunge(client)
        return client


def audit_actions(app, client_id: int) -> list[tuple[str, int | None, str]]:
    """(action, user_id, details) of the client's audit rows, in order."""
    with app.app_context():
        return [
            (e.action, e.user_id, e.details)
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.client_id == client_id)
                .order_by(AuditEvent.seq)
            )
        ]


def _as_text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="ignore")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return None


def find_strings(app, needles) -> list[tuple[str, str, str]]:
    """(table, column, needle) wherever a needle appears in any table's values.

    Every table the database has (not only the models: SQLite's search index
    tables too), every column, text and binary alike, compared folded.
    """
    folded = [(needle, fold(needle)) for needle in needles]
    found = []
    with app.app_context():
        engine = db.engine
        names = inspect(engine).get_table_names()
        with engine.connect() as connection:
            for name in names:
                result = connection.execute(text(f'SELECT * FROM "{name}"'))
                columns = list(result.keys())
                for row in result:
                    for column, value in zip(columns, row, strict=True):
                        shown = _as_text(value)
                        if not shown:
                            continue
                        haystack = fold(shown)
                        for needle, key in folded:
                            if key and key in haystack:
                                found.append((name, column, needle))
    return sorted(set(found))
