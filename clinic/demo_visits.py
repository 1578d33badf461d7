"""Demo visits for ``seed-demo``: signed zone notes for the demo series.

Every completed demo series session gets a visit with zone notes whose
settings change over the series (so the trend charts show something); one
visit carries an amendment, one past visit shows an excluded zone, and the
most recent session of one series is left unsigned for the dashboard.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from clinic.admin import services as staff_services
from clinic.catalogue.models import Service
from clinic.clients.models import Client
from clinic.clock import clinic_today, clinic_tz
from clinic.extensions import db
from clinic.intake.eligibility import latest_intake
from clinic.scheduling import services as scheduling
from clinic.scheduling.booking import BookingError, Placement
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.visits.models import (
    Amendment,
    Applicator,
    Polarity,
    Rescreen,
    Sensation,
    Visit,
    VisitStatus,
    Waveform,
    ZoneNote,
)

TREATED = ["neck", "jaw_left", "jaw_right", "cheek_left", "cheek_right", "forehead"]


def _visit(appointment: Appointment, number: int, *, sign: bool, skip=()) -> Visit:
    intake = latest_intake(appointment.client_id)
    visit = Visit(
        appointment=appointment,
        client_id=appointment.client_id,
        esthetician_id=appointment.esthetician_id,
        started_at=appointment.starts_at,
        started_by_id=appointment.esthetician_id,
        rescreen=Rescreen.NO_CHANGE,
        rescreened_at=appointment.starts_at,
        intake_id=intake.id if intake else None,
        excluded_zones=",".join(intake.excluded_zone_codes) if intake else "",
        device_id=appointment.device_id,
        conductive_product="Hydrating conductive gel",
        skin_before="Dehydrated, mild dullness" if number == 1 else "Even, hydrated",
        client_feedback="Felt relaxed; light tingling on the jawline.",
        aftercare_note="Drink plenty of water today.",
    )
    for code in TREATED:
        if code in skip:
            continue
        visit.zone_notes.append(
            ZoneNote(
                zone=code,
                current_ua=max(80.0, 320.0 - 25 * number),
                frequency_hz=max(0.5, round(10.0 / number, 1)),
                waveform=Waveform.RAMPED,
                polarity=Polarity.ALTERNATING,
                applicator=Applicator.PROBES,
                duration_seconds=90,
                sensation=Sensation.TWITCHING
                if number == 2 and code == "jaw_left"
                else Sensation.TINGLING,
                adverse=number == 2 and code == "jaw_left",
                observation="Visible lift" if number > 2 else "",
            )
        )
    db.session.add(visit)
    db.session.flush()
    if sign:
        visit.status = VisitStatus.SIGNED
        visit.signed_at = appointment.ends_at
        visit.signed_by_id = appointment.esthetician_id
        db.session.flush()
    return visit


def seed_visits() -> int:
    """Add visits to completed demo appointments that have none; returns count."""
    done = db.session.scalars(
        select(Appointment)
        .outerjoin(Visit, Visit.appointment_id == Appointment.id)
        .where(Appointment.status == AppointmentStatus.COMPLETED, Visit.id.is_(None))
        .order_by(Appointment.series_id, Appointment.session_number)
    ).all()
    if not done:
        return 0
    latest_per_series = {}
    for appointment in done:
        if appointment.series_id is not None:
            latest_per_series[appointment.series_id] = appointment.id
    unsigned_series = min(latest_per_series) if latest_per_series else None
    created = []
    for appointment in done:
        number = appointment.session_number or 1
        unsigned = (
            appointment.series_id == unsigned_series
            and latest_per_series[unsigned_series] == appointment.id
        )
        created.append(_visit(appointment, number, sign=not unsigned))
    first = created[0]
    if first.signed:
        db.session.add(
            Amendment(
                visit=first,
                author_id=first.esthetician_id,
                created_at=first.signed_at + timedelta(hours=2),
                text="Correction: the client also reported a slight metallic taste "
                "at the end of the session.",
            )
        )
    created.append(_excluded_zone_visit())
    db.session.flush()
    return len([v for v in created if v is not None])


def _excluded_zone_visit() -> Visit | None:
    """A past visit of the client with a cold sore: the mouth zone left out."""
    client = db.session.scalar(
        select(Client).where(Client.email == "amelie@example.com")
    )
    esthetician = staff_services.find_user_by_email("esthetician@demo.clinic")
    service = db.session.scalar(select(Service).order_by(Service.id))
    if client is None or esthetician is None or service is None:
        return None
    day = clinic_today() - timedelta(days=1)
    start = datetime.combine(day, time(15, 0), tzinfo=clinic_tz()).astimezone(UTC)
    try:
        appointment = scheduling.book_single(
            client,
            service,
            Placement(start, esthetician.id),
            by_user_id=esthetician.id,
            now=start - timedelta(days=1),
        )
    except BookingError:
        return None
    appointment.check_in(start)
    appointment.complete(appointment.ends_at)
    return _visit(appointment, 3, sign=True, skip=("perioral",))
