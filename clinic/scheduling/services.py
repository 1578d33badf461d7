"""Appointment and series operations behind the pages (flush, never commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic import audit, crashpoint
from clinic.catalogue.models import Protocol, Service
from clinic.clients.models import Client
from clinic.clock import clinic_tz, utcnow
from clinic.extensions import db
from clinic.scheduling import booking, planner
from clinic.scheduling.booking import BookingError, Placement
from clinic.scheduling.models import (
    HOLDING,
    Appointment,
    AppointmentStatus,
    Series,
    SeriesStatus,
    TransitionError,
)


def _audit(action: str, appointment: Appointment, details: str = "") -> None:
    audit.record(
        action,
        entity_type="appointment",
        entity_id=appointment.id,
        client_id=appointment.client_id,
        details=details,
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
    _audit("appointment.booked", appointment)
    return appointment


@dataclass(frozen=True)
class SessionConflict:
    number: int
    message: str


class SeriesConflict(BookingError):
    """One or more sessions could not be booked: none was."""

    def __init__(self, conflicts: list[SessionConflict]):
        super().__init__(
            "Nothing was booked: "
            + "; ".join(f"session {c.number}: {c.message}" for c in conflicts)
        )
        self.conflicts = conflicts


def _checked_series(
    client: Client,
    service: Service,
    placements: list[Placement],
    now: datetime | None,
) -> tuple[list[SessionConflict], list[tuple]]:
    """Every problem of a proposed series, and the room and device each
    session would take (None for a session that cannot be booked)."""
    conflicts, resources = [], []
    length = timedelta(minutes=service.duration_minutes + service.buffer_minutes)
    for number, placement in enumerate(placements, start=1):
        try:
            resources.append(
                booking.check_placement(client, service, placement, now=now)
            )
        except BookingError as exc:
            conflicts.append(SessionConflict(number, str(exc)))
            resources.append(None)
            continue
        # One client, one session at a time: this also keeps two sessions of
        # the series from taking the same room or device, which the checks
        # above cannot see (nothing of the series is written yet).
        for other_number, other in enumerate(placements[: number - 1], start=1):
            if (
                other.start < placement.start + length
                and placement.start < other.start + length
            ):
                conflicts.append(
                    SessionConflict(number, f"overlaps session {other_number}.")
                )
    return conflicts, resources


def check_series(
    client: Client,
    service: Service,
    placements: list[Placement],
    now: datetime | None = None,
) -> list[SessionConflict]:
    """Every problem of a proposed series, without booking anything."""
    return _checked_series(client, service, placements, now)[0]


def book_series(
    client: Client,
    protocol: Protocol,
    placements: list[Placement],
    *,
    by_user_id: int,
    now: datetime | None = None,
) -> Series:
    """Book every session or none (raises SeriesConflict; the caller rolls back).

    The checks run first, inside the serialised booking transaction, so that
    every conflict is reported at once; the sessions are then written in one
    flush, and the database still refuses any overlap (the exclusion
    constraint on PostgreSQL).
    """
    service = protocol.service
    if len(placements) != protocol.sessions:
        raise BookingError(
            f"The protocol has {protocol.sessions} sessions; {len(placements)} given."
        )
    conflicts, resources = _checked_series(client, service, placements, now)
    if conflicts:
        raise SeriesConflict(conflicts)
    series = Series(
        client=client,
        protocol=protocol,
        service=service,
        sessions_total=protocol.sessions,
        min_gap_days=protocol.min_gap_days,
        preferred_gap_days=protocol.preferred_gap_days,
        max_gap_days=protocol.max_gap_days,
        created_by_id=by_user_id,
    )
    db.session.add(series)
    try:
        with booking.taking_slots():
            booked = [
                booking.new_appointment(
                    client,
                    service,
                    placement,
                    room,
                    device,
                    by_user_id=by_user_id,
                    series=series,
                    session_number=number,
                )
                for number, (placement, (room, device)) in enumerate(
                    zip(placements, resources, strict=True), start=1
                )
            ]
    except booking.SlotTaken as exc:
        # Only a booking that bypassed the lock could get here: name the
        # sessions it took, as the checks now see them.
        taken = check_series(client, service, placements, now=now)
        raise SeriesConflict(taken or [SessionConflict(1, str(exc))]) from exc
    crashpoint.series_flushed()  # inert outside the crash-safety test
    # Audit only once every allocation is in: the audit chain's lock (held to
    # the commit) must not be waited for while holding half a series, or two
    # colliding series can deadlock on PostgreSQL instead of one losing cleanly.
    for number, appointment in enumerate(booked, start=1):
        _audit("appointment.booked", appointment, f"series session {number}")
    audit.record(
        "series.booked",
        entity_type="series",
        entity_id=series.id,
        client_id=client.id,
        details=f"{protocol.sessions} sessions",
    )
    return series


def _local_day(appointment: Appointment) -> date:
    return appointment.starts_at.astimezone(clinic_tz()).date()


def gap_problems(appointment: Appointment, new_day: date) -> list[str]:
    """Protocol gaps broken if this series session moved to ``new_day``."""
    series = appointment.series
    if series is None:
        return []
    days = []
    for other in active_sessions(series):
        days.append(new_day if other.id == appointment.id else _local_day(other))
    days.sort()
    protocol = planner.Protocol(
        sessions=max(len(days), 1),
        min_gap_days=series.min_gap_days,
        preferred_gap_days=series.preferred_gap_days,
        max_gap_days=series.max_gap_days,
    )
    return planner.check_gaps(days, protocol)


def reschedule(
    appointment: Appointment, placement: Placement, *, reason: str, by_user_id: int
) -> None:
    """Move a booked appointment; breaking the series gaps needs a reason."""
    if not appointment.can_move():
        raise BookingError(
            f"A {appointment.status.label.lower()} appointment cannot be moved."
        )
    new_day = placement.start.astimezone(clinic_tz()).date()
    problems = gap_problems(appointment, new_day)
    if problems and not reason:
        raise BookingError(
            " ".join(problems) + " Give a reason to move it anyway.", "reason"
        )
    before = appointment.starts_at
    details = f"from {before.isoformat()} to {placement.start.isoformat()}"
    if reason:
        details += f"; reason: {reason}"
    booking.move(appointment, placement, by_user_id=by_user_id, details=details)
    _audit("appointment.rescheduled", appointment)


def _transition(appointment: Appointment, change, kind: str, by_user_id, details=""):
    try:
        change()
    except TransitionError as exc:
        raise BookingError(str(exc)) from exc
    if not appointment.holds_resources:
        booking.release(appointment)
    booking.record_event(appointment, kind, details, by_user_id)
    db.session.flush()
    _audit(f"appointment.{kind}", appointment)


def cancel(appointment: Appointment, *, reason: str, by_user_id: int) -> None:
    now = utcnow()
    _transition(
        appointment,
        lambda: appointment.cancel(reason, now, booking.late_cancel_threshold()),
        "cancelled",
        by_user_id,
        reason,
    )


def check_in(appointment: Appointment, *, by_user_id: int) -> None:
    _transition(
        appointment, lambda: appointment.check_in(utcnow()), "checked_in", by_user_id
    )


def complete(appointment: Appointment, *, by_user_id: int) -> None:
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


# --- series progress -------------------------------------------------------


def active_sessions(series: Series) -> list[Appointment]:
    return [a for a in series.appointments if a.status in HOLDING]


def completed_sessions(series: Series) -> list[Appointment]:
    return [a for a in series.appointments if a.status is AppointmentStatus.COMPLETED]


def open_session_numbers(series: Series) -> list[int]:
    """Session numbers with no booked or done appointment: can be re-booked."""
    taken = {a.session_number for a in active_sessions(series)}
    return [n for n in range(1, series.sessions_total + 1) if n not in taken]


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    upcoming: int
    to_rebook: list[int]

    @property
    def remaining(self) -> int:
        return self.total - self.done


def progress(series: Series) -> Progress:
    done = len(completed_sessions(series))
    upcoming = len(
        [a for a in series.appointments if a.status is AppointmentStatus.BOOKED]
    ) + len(
        [a for a in series.appointments if a.status is AppointmentStatus.CHECKED_IN]
    )
    return Progress(series.sessions_total, done, upcoming, open_session_numbers(series))


def rebook_session(
    series: Series, number: int, placement: Placement, *, by_user_id: int
) -> Appointment:
    """Book a replacement for a cancelled or missed session of the series."""
    if series.status is not SeriesStatus.ACTIVE:
        raise BookingError("This series is not active.")
    if number not in open_session_numbers(series):
        raise BookingError(f"Session {number} is already booked or done.", "session")
    appointment = booking.place(
        series.client,
        series.service,
        placement,
        by_user_id=by_user_id,
        series=series,
        session_number=number,
    )
    booking.record_event(appointment, "rebooked", f"session {number}", by_user_id)
    _audit("appointment.booked", appointment, f"series session {number} re-booked")
    return appointment


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


def client_series(client_id: int) -> list[Series]:
    """The client's series with their sessions (progress needs them all)."""
    return list(
        db.session.scalars(
            select(Series)
            .where(Series.client_id == client_id)
            .options(joinedload(Series.protocol), selectinload(Series.appointments))
            .order_by(Series.id.desc())
        )
    )
