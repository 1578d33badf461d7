"""Booking: the one place where appointments take resources.

Every path that books, reschedules or re-books checks each placement with
``check_placement`` (the client's eligibility, DESIGN.md guarantee 2, the
esthetician's hours and blocks, free resources, the client's own other
appointments) and writes it inside ``taking_slots``: ``place`` for one
appointment, ``move`` for a reschedule, and the series service for all its
sessions at once. Overlap is refused twice: a query inside the booking's
transaction gives the friendly answer, and the database guarantees it when
two requests race (exclusion constraints on PostgreSQL, ``BEGIN IMMEDIATE``
on SQLite). On PostgreSQL a booking first locks what it touches (the client,
the esthetician, the rooms and devices it names; ``lock_for_booking``), so
bookings of other people and resources never wait for it. Functions flush,
never commit.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import pairwise

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, null, select
from sqlalchemy.exc import IntegrityError, OperationalError

from clinic.auth.models import User
from clinic.catalogue.models import Device, Room, Service
from clinic.clients.models import Client
from clinic.clock import clinic_tz, to_clinic_time, utcnow
from clinic.db import UTCDateTime, once_per_transaction
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import availability
from clinic.scheduling.bookable import eligibility_problem
from clinic.scheduling.history import record_event
from clinic.scheduling.locks import LockKey, LockSpace, lock_for_booking, try_lock
from clinic.scheduling.models import (
    EXCLUSIONS,
    HOLDING,
    Allocation,
    Appointment,
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


def client_clash_message(client: Client, other: Appointment) -> str:
    start, end = to_clinic_time(other.starts_at), to_clinic_time(other.ends_at)
    return (
        f"{client.full_name} already has an appointment then: "
        f"{other.service.name} with {other.esthetician.name}, "
        f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}-{end:%H:%M}."
    )


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


def _overlapping_query(kind: ResourceKind, resource_id, start, end, exclude=None):
    # ``exclude``: appointment ids (a list, or an expanding bind parameter)
    # whose own time counts as free, being moved.
    """Active allocations of the resource overlapping ``[start, end)``."""
    stmt = select(Allocation.id).where(
        Allocation.resource_kind == kind,
        Allocation.resource_id == resource_id,
        Allocation.active.is_(True),
        Allocation.starts_at < end,
        Allocation.ends_at > start,
    )
    if exclude is not None:
        stmt = stmt.where(Allocation.appointment_id.not_in(exclude))
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


def _client_overlapping_query(client_id, start, end, exclude=None):
    """The client's other appointments that hold time overlapping
    ``[start, end)`` (the treatment itself: a buffer is the room's)."""
    stmt = select(Appointment.id).where(
        Appointment.client_id == client_id,
        Appointment.status.in_(HOLDING),
        Appointment.starts_at < end,
        Appointment.ends_at > start,
    )
    if exclude is not None:
        stmt = stmt.where(Appointment.id.not_in(exclude))
    return stmt


def client_clash(client: Client, start, end, exclude=None) -> Appointment | None:
    """The first of the client's appointments overlapping ``[start, end)``."""
    stmt = _client_overlapping_query(client.id, start, end, exclude)
    found = db.session.scalar(stmt.order_by(Appointment.starts_at).limit(1))
    return None if found is None else db.session.get(Appointment, found)


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


def _free_ids(model, kind: ResourceKind, block_kind, block_column, start, end, exclude):
    """Ids of the active ones, by name, neither blocked nor booked then."""
    booked = _overlapping_query(kind, model.id, start, end, exclude)
    blocked = _blocked_query(block_kind, block_column, model.id, start, end)
    return (
        select(model.id)
        .where(model.active.is_(True), ~booked.exists(), ~blocked.exists())
        .order_by(model.name)
    )


def _first_free(
    model, kind: ResourceKind, block_kind, block_column, start, end, exclude
):
    """The first of ``_free_ids`` as a scalar subquery (None: all taken)."""
    return (
        _free_ids(model, kind, block_kind, block_column, start, end, exclude)
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
    if first_free_id is not None and not try_lock(kind, first_free_id):
        # Another booking is taking that one right now: the next free one.
        first_free_id = next(
            (
                resource_id
                for resource_id in db.session.scalars(
                    _free_ids(
                        model, kind, block_kind, block_column, start, end, exclude
                    )
                )
                if try_lock(kind, resource_id)
            ),
            None,
        )
    if first_free_id is None:
        raise SlotTaken(f"No {kind.value} is free at that time.", "start")
    return db.session.get(model, first_free_id)  # a series mostly reuses one


_ROOMS = (Room, ResourceKind.ROOM, BlockKind.ROOM, Block.room_id)
_DEVICES = (Device, ResourceKind.DEVICE, BlockKind.DEVICE, Block.device_id)


@cache
def _placement_query(
    *, first_free_room: bool, first_free_device: bool, excluding: bool
):
    """Time off and other bookings of the esthetician, the client's other
    appointments, and the first free room and device unless chosen, in one
    statement. Built once per shape, with bound parameters ``start``,
    ``end``, ``treatment_end``, ``esthetician_id``, ``client_id`` and
    ``exclude``: building it for every session was about a sixth of booking
    a 12-session series on PostgreSQL."""
    start = bindparam("start", type_=UTCDateTime())
    end = bindparam("end", type_=UTCDateTime())
    treatment_end = bindparam("treatment_end", type_=UTCDateTime())
    esthetician = bindparam("esthetician_id", type_=Integer())
    client = bindparam("client_id", type_=Integer())
    exclude = bindparam("exclude", expanding=True) if excluding else None
    return select(
        _blocked_query(
            BlockKind.TIME_OFF, Block.user_id, esthetician, start, end
        ).exists(),
        _overlapping_query(
            ResourceKind.ESTHETICIAN, esthetician, start, end, exclude
        ).exists(),
        _client_overlapping_query(client, start, treatment_end, exclude).exists(),
        _first_free(*_ROOMS, start, end, exclude) if first_free_room else null(),
        _first_free(*_DEVICES, start, end, exclude) if first_free_device else null(),
    )


def check_placement(
    client: Client,
    service: Service,
    placement: Placement,
    *,
    moving: tuple[int, ...] = (),
    now: datetime | None = None,
) -> tuple[Room, Device | None]:
    """Validate one placement; returns the room and device it will use.
    ``moving``: the appointments being moved, whose own times count as free.

    Raises BookingError (eligibility, past, hours, blocks) or SlotTaken.
    """
    exclude = list(moving) or None
    lock_for_booking(placement_locks(client, placement))
    start = placement.start
    end = start + timedelta(minutes=service.duration_minutes)
    held_until = end + timedelta(minutes=service.buffer_minutes)
    if not service.active:
        raise BookingError("This service is no longer offered.", "service")
    if client.archived:
        raise BookingError("This client is archived.", "client")
    if start < (now or utcnow()):
        raise BookingError("That time is in the past.", "start")
    off_grid = _off_grid(start)
    if off_grid:
        raise BookingError(off_grid, "start")
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
    params = {
        "start": start,
        "end": held_until,
        "treatment_end": end,
        "esthetician_id": esthetician.id,
        "client_id": client.id,
    }
    if exclude is not None:
        params["exclude"] = exclude
    off, booked, client_busy, free_room, free_device = db.session.execute(
        _placement_query(
            first_free_room=placement.room_id is None,
            first_free_device=service.needs_device and placement.device_id is None,
            excluding=exclude is not None,
        ),
        params,
    ).one()
    if off:
        raise BookingError(f"{esthetician.name} is off at that time.", "start")
    if booked:
        raise SlotTaken(f"{esthetician.name} is already booked at that time.", "start")
    if client_busy:
        other = client_clash(client, start, end, exclude)
        raise SlotTaken(client_clash_message(client, other) if other else SLOT_TAKEN)
    room = _pick(*_ROOMS, placement.room_id, free_room, start, held_until, exclude)
    device = None
    if service.needs_device:
        device = _pick(
            *_DEVICES,
            placement.device_id,
            free_device,
            start,
            held_until,
            exclude,
        )
    return room, device


def _off_grid(start: datetime) -> str | None:
    """Why ``start`` is not a time the pages offer (the clinic's grid of
    ``SCHEDULE_GRID_MINUTES`` from local midnight), or None."""
    grid = current_app.config["SCHEDULE_GRID_MINUTES"]
    local = start.astimezone(clinic_tz())
    if (local.hour * 60 + local.minute) % grid or local.second or local.microsecond:
        return (
            f"{local:%H:%M} is not on the clinic's {grid}-minute grid: choose one "
            "of the free times offered."
        )
    return None


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


def placement_locks(client: Client, placement: Placement) -> list[LockKey]:
    """What booking ``placement`` for ``client`` must hold while it checks:
    the client, the esthetician and any room or device it names."""
    keys = [
        (LockSpace.CLIENT, client.id),
        (LockSpace.ESTHETICIAN, placement.esthetician_id),
    ]
    if placement.room_id is not None:
        keys.append((LockSpace.ROOM, placement.room_id))
    if placement.device_id is not None:
        keys.append((LockSpace.DEVICE, placement.device_id))
    return keys


@contextmanager
def taking_slots():
    """Write what the block adds in a savepoint; the database refusing an
    overlap becomes SlotTaken and leaves the transaction usable.

    ``begin_nested()`` flushes whatever is already pending before it sends
    SAVEPOINT, so the block must create the rows it writes. Only the overlap
    constraints mean "taken": any other integrity error is a bug and
    propagates.
    """
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as exc:
        if any(name in str(exc.orig) for name in EXCLUSIONS):
            raise SlotTaken() from exc
        raise
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == DEADLOCK_DETECTED:
            raise SlotTaken() from exc
        raise


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
    details: str = "",
) -> Appointment:
    """An appointment with its allocations and "booked" event (``details``
    in its history), added to the session (not flushed): the caller has
    checked the placement."""
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
    record_event(appointment, "booked", details, by_user_id)
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
    move_many([(appointment, placement, details)], by_user_id=by_user_id)


def move_many(moves, *, by_user_id: int | None) -> None:
    """Move each ``(appointment, placement, details)`` at once, re-checking
    every placement with all the moving appointments' own times counted as
    free (one may take another's old time). All or nothing: raises
    BookingError or SlotTaken, and the caller rolls back."""
    moving = tuple(appointment.id for appointment, _, _ in moves)
    checked = [
        check_placement(
            appointment.client, appointment.service, placement, moving=moving
        )
        for appointment, placement, _ in moves
    ]
    # Those checks see the database, where no move is made yet: the moving
    # appointments must not land on each other either.
    spans = sorted(
        ((p.start, p.start + _held_for(a.service), a) for a, p, _ in moves),
        key=lambda span: span[0],
    )
    for (_, end, earlier), (start, _, later) in pairwise(spans):
        if start < end:
            raise SlotTaken(
                f"{later.session_label or 'One'} would overlap "
                f"{earlier.session_label.lower() or 'another one moved'}."
            )
    with taking_slots():
        for appointment, _, _ in moves:
            release(appointment)
        # The old rows must be inactive in the database before the new ones.
        db.session.flush()
        for (appointment, placement, details), (room, device) in zip(
            moves, checked, strict=True
        ):
            service = appointment.service
            appointment.starts_at = placement.start
            appointment.ends_at = placement.start + timedelta(
                minutes=service.duration_minutes
            )
            appointment.blocked_until = appointment.ends_at + timedelta(
                minutes=service.buffer_minutes
            )
            appointment.esthetician_id = placement.esthetician_id
            appointment.legacy_client_overlap = False  # checked again just now
            appointment.room_id = room.id
            appointment.device_id = device.id if device else None
            _allocate(appointment)
            record_event(appointment, "rescheduled", details, by_user_id)


def _held_for(service: Service) -> timedelta:
    return timedelta(minutes=service.duration_minutes + service.buffer_minutes)


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
