"""Series: booking all sessions or none, their gaps and order, progress,
re-booking a session and moving the sessions still to come (flush, never
commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic import audit, crashpoint
from clinic.catalogue.models import Protocol
from clinic.clients.models import Client
from clinic.clock import clinic_tz
from clinic.extensions import db
from clinic.scheduling import booking, planner
from clinic.scheduling.booking import BookingError, Placement
from clinic.scheduling.history import audit_appointment, record_event
from clinic.scheduling.locks import lock_for_booking
from clinic.scheduling.models import (
    HOLDING,
    Appointment,
    AppointmentStatus,
    Series,
    SeriesStatus,
)


@dataclass(frozen=True)
class SessionConflict:
    """Why one session cannot be booked as it is. A session that only breaks
    the protocol's gaps (``gaps``) may be booked anyway, given a reason."""

    number: int
    message: str
    gaps: bool = False


class SeriesConflict(BookingError):
    """One or more sessions could not be booked: none was."""

    def __init__(self, conflicts: list[SessionConflict]):
        super().__init__(
            "Nothing was booked: "
            + "; ".join(f"session {c.number}: {c.message}" for c in conflicts)
        )
        self.conflicts = conflicts

    @property
    def only_gaps(self) -> bool:
        """True if a reason to break the protocol's gaps would settle it."""
        return all(c.gaps for c in self.conflicts)


def notes_by_session(conflicts) -> dict[int, str]:
    """Session number -> every problem of that session, in one note."""
    notes: dict[int, list[str]] = {}
    for conflict in conflicts:
        notes.setdefault(conflict.number, []).append(conflict.message)
    return {number: " ".join(messages) for number, messages in notes.items()}


GAPS_NEED_A_REASON = "Give a reason to book outside the protocol's gaps."


def gap_rules(source: Protocol | Series) -> planner.Protocol:
    """The gaps a series keeps: its protocol's, as copied when it was booked."""
    return planner.Protocol(
        sessions=source.sessions_total
        if isinstance(source, Series)
        else source.sessions,
        min_gap_days=source.min_gap_days,
        preferred_gap_days=source.preferred_gap_days,
        max_gap_days=source.max_gap_days,
    )


def _checked_series(
    client: Client,
    protocol: Protocol,
    placements: list[Placement],
    now: datetime | None,
) -> tuple[list[SessionConflict], list[tuple]]:
    """Every problem of a proposed series (the protocol's gaps and the
    sessions' order included), and the room and device each session would
    take (None for a session that cannot be booked)."""
    service = protocol.service
    conflicts, resources = [], []
    length = timedelta(minutes=service.duration_minutes + service.buffer_minutes)
    # Every session's locks in one batch: taken session by session, two
    # series sharing estheticians could each wait for the other.
    lock_for_booking(
        key
        for placement in placements
        for key in booking.placement_locks(client, placement)
    )
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
    tz = clinic_tz()
    days = {n: p.start.astimezone(tz).date() for n, p in enumerate(placements, 1)}
    for number, message in planner.check_session_gaps(
        days, gap_rules(protocol)
    ).items():
        conflicts.append(SessionConflict(number, message, gaps=True))
    conflicts.sort(key=lambda c: c.number)
    return conflicts, resources


def check_series(
    client: Client,
    protocol: Protocol,
    placements: list[Placement],
    now: datetime | None = None,
) -> list[SessionConflict]:
    """Every problem of a proposed series, without booking anything."""
    return _checked_series(client, protocol, placements, now)[0]


def book_series(
    client: Client,
    protocol: Protocol,
    placements: list[Placement],
    *,
    by_user_id: int | None,
    gap_reason: str = "",
    now: datetime | None = None,
) -> Series:
    """Book every session or none (raises SeriesConflict; the caller rolls back).

    The checks run first, inside the booking's locks, so that every conflict
    is reported at once; the sessions are then written in one flush, and the
    database still refuses any overlap (the exclusion constraints on
    PostgreSQL). Sessions outside the protocol's gaps or out of order are
    conflicts too, unless ``gap_reason`` says why (kept in each session's
    history).
    """
    service = protocol.service
    if len(placements) != protocol.sessions:
        raise BookingError(
            f"The protocol has {protocol.sessions} sessions; {len(placements)} given."
        )
    conflicts, resources = _checked_series(client, protocol, placements, now)
    if gap_reason:
        conflicts = [c for c in conflicts if not c.gaps]
    if conflicts:
        raise SeriesConflict(conflicts)
    gap_note = f"outside the protocol's gaps: {gap_reason}" if gap_reason else ""
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
                    details=gap_note,
                )
                for number, (placement, (room, device)) in enumerate(
                    zip(placements, resources, strict=True), start=1
                )
            ]
    except booking.SlotTaken as exc:
        # Only a booking that bypassed the lock could get here: name the
        # sessions it took, as the checks now see them.
        taken = [
            c for c in check_series(client, protocol, placements, now) if not c.gaps
        ]
        raise SeriesConflict(taken or [SessionConflict(1, str(exc))]) from exc
    crashpoint.series_flushed()  # inert outside the crash-safety test
    # Audit only once every allocation is in: the audit chain's lock (held to
    # the commit) must not be waited for while holding half a series, or two
    # colliding series can deadlock on PostgreSQL instead of one losing cleanly.
    for number, appointment in enumerate(booked, start=1):
        audit_appointment("appointment.booked", appointment, f"series session {number}")
    audit.record(
        "series.booked",
        entity_type="series",
        entity_id=series.id,
        client_id=client.id,
        details=f"{protocol.sessions} sessions"
        + ("; outside the protocol's gaps" if gap_reason else ""),
    )
    return series


def _local_day(appointment: Appointment) -> date:
    return appointment.starts_at.astimezone(clinic_tz()).date()


def session_gap_problems(
    series: Series, number: int, new_day: date, *, moving: Appointment | None = None
) -> list[str]:
    """The protocol's gaps (and the sessions' order) that session ``number``
    of ``series`` would break on ``new_day``: its gap after the session before
    it and the next one's after it. ``moving``: the appointment that holds
    the session now (a reschedule), left out of the others."""
    days = {
        other.session_number: _local_day(other)
        for other in active_sessions(series)
        if other is not moving
    }
    days[number] = new_day
    problems = planner.check_session_gaps(days, gap_rules(series))
    later = [n for n in sorted(days) if n > number][:1]
    return [problems[n] for n in (number, *later) if n in problems]


def require_gap_reason(problems: list[str], reason: str, verb: str) -> None:
    if problems and not reason:
        raise BookingError(
            " ".join(problems) + f" Give a reason to {verb} it anyway.", "reason"
        )


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
    series: Series,
    number: int,
    placement: Placement,
    *,
    by_user_id: int,
    reason: str = "",
) -> Appointment:
    """Book a replacement for a cancelled or missed session of the series;
    breaking the series' gaps needs a reason."""
    if series.status is not SeriesStatus.ACTIVE:
        raise BookingError("This series is not active.")
    if number not in open_session_numbers(series):
        raise BookingError(f"Session {number} is already booked or done.", "session")
    new_day = placement.start.astimezone(clinic_tz()).date()
    require_gap_reason(session_gap_problems(series, number, new_day), reason, "book")
    appointment = booking.place(
        series.client,
        series.service,
        placement,
        by_user_id=by_user_id,
        series=series,
        session_number=number,
    )
    details = f"session {number}"
    if reason:
        details += f"; outside the protocol's gaps: {reason}"
    record_event(appointment, "rebooked", details, by_user_id)
    audit_appointment(
        "appointment.booked", appointment, f"series session {number} re-booked"
    )
    return appointment


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


def sessions_to_move(series: Series, today: date) -> list[Appointment]:
    """The sessions still to come from ``today`` on: booked, or checked in
    with no visit started (a client turned away at the re-screen)."""
    tz = clinic_tz()
    return [
        a
        for a in series.appointments
        if a.starts_at.astimezone(tz).date() >= today
        and (
            a.status is AppointmentStatus.BOOKED
            or (a.status is AppointmentStatus.CHECKED_IN and a.visit is None)
        )
    ]


def check_moves(
    series: Series, moves: list[tuple[Appointment, Placement]], gap_reason: str = ""
) -> tuple[list[SessionConflict], bool]:
    """What refuses moving ``moves`` of ``series`` at once, and whether they
    leave the protocol's gaps (allowed with ``gap_reason``)."""
    tz = clinic_tz()
    moving = tuple(appointment.id for appointment, _ in moves)
    days = {
        a.session_number: _local_day(a)
        for a in active_sessions(series)
        if a.id not in moving
    }
    for appointment, placement in moves:
        days[appointment.session_number] = placement.start.astimezone(tz).date()
    moved = {appointment.session_number for appointment, _ in moves}
    numbers = sorted(days)
    before = dict(zip(numbers[1:], numbers, strict=False))  # the session before
    gaps = [
        SessionConflict(number, message, gaps=True)
        for number, message in planner.check_session_gaps(
            days, gap_rules(series)
        ).items()
        if number in moved or before.get(number) in moved
    ]
    lock_for_booking(
        key
        for appointment, placement in moves
        for key in booking.placement_locks(appointment.client, placement)
    )
    conflicts = [] if gap_reason else list(gaps)
    for appointment, placement in moves:
        try:
            booking.check_placement(
                appointment.client, appointment.service, placement, moving=moving
            )
        except BookingError as exc:
            conflicts.append(SessionConflict(appointment.session_number, str(exc)))
    return sorted(conflicts, key=lambda c: c.number), bool(gaps)


def move_sessions(
    series: Series,
    moves: list[tuple[Appointment, Placement]],
    *,
    reason: str,
    gap_reason: str = "",
    by_user_id: int | None,
) -> None:
    """Move several sessions of ``series`` at once, all or nothing (raises
    SeriesConflict or BookingError; the caller rolls back). A checked-in
    session is set back to booked first; sessions outside the protocol's
    gaps, or out of order, need ``gap_reason``."""
    if series.status is not SeriesStatus.ACTIVE:
        raise BookingError("This series is not active.")
    conflicts, outside_gaps = check_moves(series, moves, gap_reason)
    if conflicts:
        raise SeriesConflict(conflicts)
    for appointment, _ in moves:
        if appointment.status is AppointmentStatus.CHECKED_IN:
            appointment.undo_check_in()
            record_event(appointment, "check_in_undone", reason, by_user_id)
    note = f"; reason: {reason}" + (
        f"; outside the protocol's gaps: {gap_reason}" if outside_gaps else ""
    )
    booking.move_many(
        [
            (
                appointment,
                placement,
                f"from {appointment.starts_at.isoformat()} to "
                f"{placement.start.isoformat()}{note}",
            )
            for appointment, placement in moves
        ],
        by_user_id=by_user_id,
    )
    for appointment, _ in moves:
        audit_appointment("appointment.rescheduled", appointment, "series moved")
