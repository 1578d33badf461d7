"""Booking: the one place where appointments take resources.

Every path that books, reschedules or re-books checks each placement with
``check_placement`` (the client's eligibility, DESIGN.md guarantee 2, the
esthetician's hours and blocks, free resources) and writes it inside
``taking_slots``: ``place`` for one appointment, ``move`` for a reschedule,
and the series service for all its sessions at once. Overlap is refused twice: a
query inside the serialised transaction gives the friendly answer, and the
database (exclusion constraint on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)
guarantees it when two requests race. Functions flush, never commit.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, null, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from clinic.auth.models import User
from clinic.catalogue.models import Device, Room, Service
from clinic.clients.models import Client
from clinic.clock import clinic_tz, utcnow
from clinic.db import UTCDateTime, once_per_transaction
from clinic.extensions import db
from clinic.intake.eligibility import Status, evaluate, format_day, latest_intake
from clinic.roles import Role
from clinic.scheduling import availability
from clinic.scheduling.models import (
    ALLOCATION_EXCLUSION,
    Allocation,
    Appointment,
    AppointmentEvent,
    Block,
    BlockKind,
    ResourceKind,
    WorkingHours,
)

SLOT_TAKEN = "That time was just taken. Choose another time."


class BookingError(ValueError):
    """A booking the rules refuse; ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class SlotTaken(BookingError):
    """Another booking holds one of the resources at that time (a lost race)."""

    def __init__(self, message: str = SLOT_TAKEN, field: str | None = "start"):
        super().__init__(message, field)


@dataclass(frozen=True)
class Placement:
    """Where and when one appointment goes."""

    start: datetime
    esthetician_id: int
    room_id: int | None = None  # None: the first free room
    device_id: int | None = None  # None: the first free device (if needed)


def _once_per_transaction(key, load):
    """``load()`` at most once per transaction: a series checks each of its
    sessions, and what those checks read besides the slot itself (the
    esthetician, their weekly hours, the client's latest intake, the booking
    lock) cannot change under a transaction that is booking."""
    return once_per_transaction(db.session(), ("booking", key), load)


def eligibility_problem(client: Client, service: Service, day: date) -> str | None:
    """Why ``client`` may not have ``service`` on ``day``, or None."""
    if not service.needs_screening:
        return None
    intake = _once_per_transaction(
        ("intake", client.id), lambda: latest_intake(client.id)
    )
    eligibility = evaluate(intake, day, current_app.config["INTAKE_VALID_MONTHS"])
    if eligibility.may_treat:
        return None
    if eligibility.status is Status.DEFERRED:
        # Lower only the first letter: the month in "Deferred until 9 December".
        label = eligibility.label
        return (
            f"Not before {format_day(eligibility.eligible_from)}: the client is "
            f"{label[:1].lower()}{label[1:]}."
        )
    return f"{eligibility.label}: {eligibility.explanation}"


def _overlapping_query(kind: ResourceKind, resource_id, start, end, exclude=None):
    """Active allocations of the resource overlapping ``[start, end)``."""
    stmt = select(Allocation.id).where(
        Allocation.resource_kind == kind,
        Allocation.resource_id == resource_id,
        Allocation.active.is_(True),
        Allocation.starts_at < end,
        Allocation.ends_at > start,
    )
    if exclude is not None:
        stmt = stmt.where(Allocation.appointment_id != exclude)
    return stmt


def _blocked_query(kind: BlockKind, column, resource_id, start, end):
    """Blocks of the resource overlapping ``[start, end)``."""
    return select(Block).where(
        Block.kind == kind,
        column == resource_id,
        Block.cancelled_at.is_(None),
        Block.starts_at < end,
        Block.ends_at > start,
    )


def _overlapping(kind: ResourceKind, resource_id: int, start, end, exclude=None):
    stmt = _overlapping_query(kind, resource_id, start, end, exclude)
    return db.session.scalar(stmt.limit(1)) is not None


def _blocked(kind: BlockKind, column, resource_id: int, start, end) -> Block | None:
    return db.session.scalar(
        _blocked_query(kind, column, resource_id, start, end).limit(1)
    )


def _weekly_hours(esthetician_id: int) -> dict[int, list]:
    rows = db.session.scalars(
        select(WorkingHours).where(WorkingHours.user_id == esthetician_id)
    ).all()
    weekly: dict[int, list] = {}
    for row in rows:
        weekly.setdefault(row.weekday, []).append((row.start_time, row.end_time))
    return weekly


def _within_hours(esthetician_id: int, start: datetime, end: datetime) -> bool:
    tz = clinic_tz()
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    weekly = _once_per_transaction(
        ("hours", esthetician_id), lambda: _weekly_hours(esthetician_id)
    )
    windows = availability.expand_hours(weekly, first, last, tz)
    return any(w.start <= start and end <= w.end for w in windows)


def _first_free(
    model, kind: ResourceKind, block_kind, block_column, start, end, exclude
):
    """The id of the first active one by name that is neither blocked nor
    booked, as a scalar subquery (None when all are taken)."""
    booked = _overlapping_query(kind, model.id, start, end, exclude)
    blocked = _blocked_query(block_kind, block_column, model.id, start, end)
    return (
        select(model.id)
        .where(model.active.is_(True), ~booked.exists(), ~blocked.exists())
        .order_by(model.name)
        .limit(1)
        .scalar_subquery()
    )


def _pick(
    model,
    kind: ResourceKind,
    block_kind,
    block_column,
    chosen,
    first_free_id,
    start,
    end,
    exclude,
):
    """The chosen resource if free, else the first free active one (its id
    found by ``_first_free`` in the placement's one query)."""
    if chosen is not None:
        resource = db.session.get(model, chosen)
        if resource is None or not resource.active:
            raise BookingError(f"That {kind.value} is not in use.", kind.value)
        block = _blocked(block_kind, block_column, resource.id, start, end)
        if block is not None:
            raise BookingError(
                f"{resource.name} is blocked then ({block.reason or 'unavailable'}).",
                kind.value,
            )
        if _overlapping(kind, resource.id, start, end, exclude):
            raise SlotTaken(
                f"{resource.name} is already booked at that time.", kind.value
            )
        return resource
    if first_free_id is None:
        raise SlotTaken(f"No {kind.value} is free at that time.", "start")
    return db.session.get(model, first_free_id)  # a series mostly reuses one


_ROOMS = (Room, ResourceKind.ROOM, BlockKind.ROOM, Block.room_id)
_DEVICES = (Device, ResourceKind.DEVICE, BlockKind.DEVICE, Block.device_id)


@cache
def _placement_query(
    *, first_free_room: bool, first_free_device: bool, excluding: bool
):
    """Time off and other bookings of the esthetician, and the first free room
    and device unless chosen, in one statement (it was three per session).
    Built once per shape, with bound parameters ``start``, ``end``,
    ``esthetician_id`` and ``exclude``: building it for every session was
    about a sixth of booking a 12-session series on PostgreSQL."""
    start = bindparam("start", type_=UTCDateTime())
    end = bindparam("end", type_=UTCDateTime())
    esthetician = bindparam("esthetician_id", type_=Integer())
    exclude = bindparam("exclude", type_=Integer()) if excluding else None
    return select(
        _blocked_query(
            BlockKind.TIME_OFF, Block.user_id, esthetician, start, end
        ).exists(),
        _overlapping_query(
            ResourceKind.ESTHETICIAN, esthetician, start, end, exclude
        ).exists(),
        _first_free(*_ROOMS, start, end, exclude) if first_free_room else null(),
        _first_free(*_DEVICES, start, end, exclude) if first_free_device else null(),
    )


def check_placement(
    client: Client,
    service: Service,
    placement: Placement,
    *,
    exclude_appointment: int | None = None,
    now: datetime | None = None,
) -> tuple[Room, Device | None]:
    """Validate one placement; returns the room and device it will use.

    Raises BookingError (eligibility, past, hours, blocks) or SlotTaken.
    """
    serialise_bookings()
    start = placement.start
    end = start + timedelta(minutes=service.duration_minutes)
    held_until = end + timedelta(minutes=service.buffer_minutes)
    if not service.active:
        raise BookingError("This service is no longer offered.", "service")
    if client.archived:
        raise BookingError("This client is archived.", "client")
    if start < (now or utcnow()):
        raise BookingError("That time is in the past.", "start")
    problem = eligibility_problem(client, service, start.astimezone(clinic_tz()).date())
    if problem:
        raise BookingError(problem, "start")
    esthetician = _once_per_transaction(
        ("user", placement.esthetician_id),
        lambda: db.session.get(User, placement.esthetician_id),
    )
    if (
        esthetician is None
        or not esthetician.active
        or esthetician.role != Role.ESTHETICIAN
    ):
        raise BookingError("Choose an active esthetician.", "esthetician")
    if not _within_hours(esthetician.id, start, held_until):
        raise BookingError(
            f"{esthetician.name} is not working for all of that time.", "start"
        )
    params = {"start": start, "end": held_until, "esthetician_id": esthetician.id}
    if exclude_appointment is not None:
        params["exclude"] = exclude_appointment
    off, booked, free_room, free_device = db.session.execute(
        _placement_query(
            first_free_room=placement.room_id is None,
            first_free_device=service.needs_device and placement.device_id is None,
            excluding=exclude_appointment is not None,
        ),
        params,
    ).one()
    if off:
        raise BookingError(f"{esthetician.name} is off at that time.", "start")
    if booked:
        raise SlotTaken(f"{esthetician.name} is already booked at that time.", "start")
    room = _pick(
        *_ROOMS, placement.room_id, free_room, start, held_until, exclude_appointment
    )
    device = None
    if service.needs_device:
        device = _pick(
            *_DEVICES,
            placement.device_id,
            free_device,
            start,
            held_until,
            exclude_appointment,
        )
    return room, device


def _allocate(appointment: Appointment) -> None:
    resources = [
        (ResourceKind.ESTHETICIAN, appointment.esthetician_id),
        (ResourceKind.ROOM, appointment.room_id),
    ]
    if appointment.device_id is not None:
        resources.append((ResourceKind.DEVICE, appointment.device_id))
    for kind, resource_id in resources:
        appointment.allocations.append(
            Allocation(
                resource_kind=kind,
                resource_id=resource_id,
                starts_at=appointment.starts_at,
                ends_at=appointment.blocked_until,
                active=True,
            )
        )


# PostgreSQL's deadlock_detected: two transactions inserting allocations that
# overlap each other's can each wait for the other on the exclusion constraint;
# the server then aborts one of them. That one lost the race for the slot.
DEADLOCK_DETECTED = "40P01"


# An arbitrary constant naming the PostgreSQL advisory lock of the booking book.
_PG_BOOKING_LOCK = 724_501_114


def serialise_bookings() -> None:
    """Let one booking transaction at a time check and take allocations.

    SQLite already does (``BEGIN IMMEDIATE``). On PostgreSQL the exclusion
    constraint alone is correct, but racing requests then wait on each other
    inside the constraint and deadlock (about 180 in 10 rounds of 50). A
    transaction-level advisory lock queues them instead; the constraint stays
    the guarantee. A clinic books a few times a minute, so the queue is short.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # Held to the end of the transaction: taken once per transaction.
        _once_per_transaction(
            "booking_lock",
            lambda: db.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_BOOKING_LOCK}
            ),
        )


@contextmanager
def taking_slots():
    """Write what the block adds in a savepoint; the database refusing an
    overlap becomes SlotTaken and leaves the transaction usable.

    ``begin_nested()`` flushes whatever is already pending before it sends
    SAVEPOINT, so the block must create the rows it writes. Only the overlap
    constraint means "taken": any other integrity error is a bug and
    propagates.
    """
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as exc:
        if ALLOCATION_EXCLUSION in str(exc.orig):
            raise SlotTaken() from exc
        raise
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == DEADLOCK_DETECTED:
            raise SlotTaken() from exc
        raise


def record_event(appointment: Appointment, kind: str, details: str, by_user_id) -> None:
    appointment.events.append(
        AppointmentEvent(kind=kind, details=details, by_user_id=by_user_id, at=utcnow())
    )


def new_appointment(
    client: Client,
    service: Service,
    placement: Placement,
    room: Room,
    device: Device | None,
    *,
    by_user_id: int | None,
    series=None,
    session_number: int | None = None,
) -> Appointment:
    """An appointment with its allocations and "booked" event, added to the
    session (not flushed): the caller has checked the placement."""
    end = placement.start + timedelta(minutes=service.duration_minutes)
    appointment = Appointment(
        client=client,
        service=service,
        esthetician_id=placement.esthetician_id,
        room_id=room.id,
        device_id=device.id if device else None,
        starts_at=placement.start,
        ends_at=end,
        blocked_until=end + timedelta(minutes=service.buffer_minutes),
        series=series,
        session_number=session_number,
        created_by_id=by_user_id,
    )
    _allocate(appointment)
    record_event(appointment, "booked", "", by_user_id)
    db.session.add(appointment)
    return appointment


def place(
    client: Client,
    service: Service,
    placement: Placement,
    *,
    by_user_id: int | None,
    series=None,
    session_number: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book one appointment (flushes). Raises BookingError or SlotTaken.

    ``now`` moves "the past" back, for importing or demo history only.
    """
    room, device = check_placement(client, service, placement, now=now)
    with taking_slots():
        appointment = new_appointment(
            client,
            service,
            placement,
            room,
            device,
            by_user_id=by_user_id,
            series=series,
            session_number=session_number,
        )
    return appointment


def move(
    appointment: Appointment, placement: Placement, *, by_user_id: int, details: str
) -> None:
    """Move an appointment to a new placement, re-checking everything."""
    room, device = check_placement(
        appointment.client,
        appointment.service,
        placement,
        exclude_appointment=appointment.id,
    )
    service = appointment.service
    with taking_slots():
        for allocation in appointment.allocations:
            allocation.active = False
        # The old rows must be inactive in the database before the new ones.
        db.session.flush()
        appointment.starts_at = placement.start
        appointment.ends_at = placement.start + timedelta(
            minutes=service.duration_minutes
        )
        appointment.blocked_until = appointment.ends_at + timedelta(
            minutes=service.buffer_minutes
        )
        appointment.esthetician_id = placement.esthetician_id
        appointment.room_id = room.id
        appointment.device_id = device.id if device else None
        _allocate(appointment)
        record_event(appointment, "rescheduled", details, by_user_id)


def release(appointment: Appointment) -> None:
    for allocation in appointment.allocations:
        allocation.active = False


def allocations_overlapping_anywhere() -> list[tuple[int, int]]:
    """Pairs of active allocations of one resource that overlap (should be none)."""
    a, b = Allocation.__table__.alias("a"), Allocation.__table__.alias("b")
    rows = db.session.execute(
        select(a.c.id, b.c.id).where(
            a.c.id < b.c.id,
            a.c.resource_kind == b.c.resource_kind,
            a.c.resource_id == b.c.resource_id,
            a.c.active.is_(True),
            b.c.active.is_(True),
            and_(a.c.starts_at < b.c.ends_at, b.c.starts_at < a.c.ends_at),
        )
    )
    return [tuple(row) for row in rows]


def late_cancel_threshold() -> timedelta:
    return timedelta(hours=current_app.config["LATE_CANCEL_HOURS"])
