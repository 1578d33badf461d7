"""Appointment operations behind the pages: book one, move, cancel, check in
and its undo, complete, no-show (flush, never commit). Series are in
``series_services``."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clinic.catalogue.models import Service
from clinic.clients.models import Client
from clinic.clock import clinic_today, clinic_tz, utcnow
from clinic.extensions import db
from clinic.scheduling import booking
from clinic.scheduling.bookable import eligibility_problem
from clinic.scheduling.booking import BookingError, Placement
from clinic.scheduling.desk import Desk
from clinic.scheduling.history import audit_appointment, record_event
from clinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    SeriesStatus,
    TransitionError,
)
from clinic.scheduling.series_services import (
    completed_sessions,
    require_gap_reason,
    session_gap_problems,
)


def book_single(
    client: Client,
    service: Service,
    placement: Placement,
    *,
    by_user_id: int,
    now: datetime | None = None,
) -> Appointment:
    appointment = booking.place(
        client, service, placement, by_user_id=by_user_id, now=now
    )
    audit_appointment("appointment.booked", appointment)
    return appointment


def reschedule(
    appointment: Appointment, placement: Placement, *, reason: str, by_user_id: int
) -> None:
    """Move a booked appointment; breaking the series gaps needs a reason."""
    if not appointment.can_move():
        raise BookingError(
            f"A {appointment.status.label.lower()} appointment cannot be moved."
        )
    new_day = placement.start.astimezone(clinic_tz()).date()
    if appointment.series is not None:
        problems = session_gap_problems(
            appointment.series,
            appointment.session_number,
            new_day,
            moving=appointment,
        )
        require_gap_reason(problems, reason, "move")
    before = appointment.starts_at
    details = f"from {before.isoformat()} to {placement.start.isoformat()}"
    if reason:
        details += f"; reason: {reason}"
    booking.move(appointment, placement, by_user_id=by_user_id, details=details)
    audit_appointment("appointment.rescheduled", appointment)


def _transition(appointment: Appointment, change, kind: str, by_user_id, details=""):
    try:
        change()
    except TransitionError as exc:
        raise BookingError(str(exc)) from exc
    if not appointment.holds_resources:
        booking.release(appointment)
    record_event(appointment, kind, details, by_user_id)
    db.session.flush()
    audit_appointment(f"appointment.{kind}", appointment)


def _no_visit_started(appointment: Appointment, action: str) -> None:
    if appointment.visit is not None:
        raise BookingError(
            f"The visit has started: the appointment cannot be {action}."
        )


def cancel(appointment: Appointment, *, reason: str, by_user_id: int) -> None:
    """Cancel with a reason; a checked-in appointment only before its visit."""
    _no_visit_started(appointment, "cancelled")
    now = utcnow()
    _transition(
        appointment,
        lambda: appointment.cancel(reason, now, booking.late_cancel_threshold()),
        "cancelled",
        by_user_id,
        reason,
    )


def desk(now: datetime | None = None) -> Desk:
    """The front desk's rules at ``now`` (default: this moment)."""
    config = current_app.config
    return Desk(
        now=now or utcnow(),
        tz=clinic_tz(),
        check_in_opens=timedelta(minutes=config["CHECK_IN_OPENS_MINUTES"]),
        late_after=timedelta(minutes=config["LATE_AFTER_MINUTES"]),
    )


def check_in(
    appointment: Appointment, *, by_user_id: int, now: datetime | None = None
) -> None:
    """Check in, on the appointment's day from the opening time only."""
    rules = desk(now)
    problem = rules.check_in_problem(appointment)
    if problem:
        raise BookingError(problem)
    _transition(
        appointment,
        lambda: appointment.check_in(rules.now),
        "checked_in",
        by_user_id,
    )


def undo_check_in(appointment: Appointment, *, by_user_id: int) -> None:
    """Back to booked (checked in by mistake, or the client left), until the
    visit starts."""
    if appointment.visit is not None:
        raise BookingError("The visit has started: the check-in cannot be undone.")
    _transition(appointment, appointment.undo_check_in, "check_in_undone", by_user_id)


def treatment_problem(appointment: Appointment) -> str | None:
    """Why the client may not be treated at this appointment today, or None."""
    return eligibility_problem(appointment.client, appointment.service, clinic_today())


def complete(appointment: Appointment, *, by_user_id: int) -> None:
    """Complete without notes (the visit record completes it when signed);
    refused when the client may not be treated today."""
    if appointment.visit is None and appointment.status is AppointmentStatus.CHECKED_IN:
        problem = treatment_problem(appointment)
        if problem:
            raise BookingError(f"{problem} Cancel the appointment or move it instead.")
    _transition(
        appointment, lambda: appointment.complete(utcnow()), "completed", by_user_id
    )
    series = appointment.series
    if series is not None and len(completed_sessions(series)) >= series.sessions_total:
        series.status = SeriesStatus.COMPLETED


def no_show(appointment: Appointment, *, by_user_id: int) -> None:
    _transition(
        appointment, lambda: appointment.mark_no_show(utcnow()), "no_show", by_user_id
    )


def client_upcoming(client_id: int, limit: int = 50) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.client_id == client_id,
                Appointment.starts_at >= utcnow() - timedelta(hours=12),
            )
            .options(
                joinedload(Appointment.service),
                joinedload(Appointment.esthetician),
                joinedload(Appointment.series),
            )
            .order_by(Appointment.starts_at)
            .limit(limit)
        )
    )
