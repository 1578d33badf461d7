"""Load what the pure availability engine needs, in a fixed number of queries.

A month of availability for every esthetician costs four queries (hours,
blocks, allocations, resources), whatever the number of days, slots or
bookings: no query per session or per slot.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic.auth.models import User
from clinic.catalogue.models import Device, Room, Service
from clinic.clock import clinic_tz, utcnow
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import availability
from clinic.scheduling.availability import Interval, ResourceCalendar, Slot
from clinic.scheduling.models import (
    Allocation,
    Appointment,
    AppointmentStatus,
    Block,
    BlockKind,
    ResourceKind,
    Series,
    WorkingHours,
)


def day_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """UTC instants of the start of ``first_day`` and the end of ``last_day``."""
    tz = clinic_tz()
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def active_estheticians(ids: list[int] | None = None) -> list[User]:
    stmt = select(User).where(User.role == Role.ESTHETICIAN, User.active.is_(True))
    if ids:
        stmt = stmt.where(User.id.in_(ids))
    return list(db.session.scalars(stmt.order_by(User.name)))


def _weekly_hours(user_ids: list[int]) -> dict[int, dict[int, list[tuple]]]:
    hours: dict[int, dict[int, list[tuple]]] = defaultdict(lambda: defaultdict(list))
    if not user_ids:
        return hours
    rows = db.session.execute(
        select(
            WorkingHours.user_id,
            WorkingHours.weekday,
            WorkingHours.start_time,
            WorkingHours.end_time,
        ).where(WorkingHours.user_id.in_(user_ids))
    )
    for user_id, weekday, start, end in rows:
        hours[user_id][weekday].append((start, end))
    return hours


def _busy(
    start: datetime, end: datetime
) -> dict[tuple[ResourceKind, int], list[Interval]]:
    """Active allocations and blocks per resource, in two queries."""
    busy: dict[tuple[ResourceKind, int], list[Interval]] = defaultdict(list)
    rows = db.session.execute(
        select(
            Allocation.resource_kind,
            Allocation.resource_id,
            Allocation.starts_at,
            Allocation.ends_at,
        ).where(
            Allocation.active.is_(True),
            Allocation.starts_at < end,
            Allocation.ends_at > start,
        )
    )
    for kind, resource_id, starts_at, ends_at in rows:
        busy[(kind, resource_id)].append(Interval(starts_at, ends_at))
    blocks = db.session.execute(
        select(
            Block.kind,
            Block.user_id,
            Block.room_id,
            Block.device_id,
            Block.starts_at,
            Block.ends_at,
        ).where(
            Block.cancelled_at.is_(None), Block.starts_at < end, Block.ends_at > start
        )
    )
    kinds = {
        BlockKind.TIME_OFF: ResourceKind.ESTHETICIAN,
        BlockKind.ROOM: ResourceKind.ROOM,
        BlockKind.DEVICE: ResourceKind.DEVICE,
    }
    for kind, user_id, room_id, device_id, starts_at, ends_at in blocks:
        resource_id = {BlockKind.TIME_OFF: user_id, BlockKind.ROOM: room_id}.get(
            kind, device_id
        )
        busy[(kinds[kind], resource_id)].append(Interval(starts_at, ends_at))
    return busy


def find_slots(
    service: Service,
    first_day: date,
    last_day: date,
    *,
    esthetician_ids: list[int] | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """Free start times for ``service`` between two local days (inclusive)."""
    tz = clinic_tz()
    start, end = day_bounds(first_day, last_day)
    estheticians = active_estheticians(esthetician_ids)
    hours = _weekly_hours([e.id for e in estheticians])
    busy = _busy(start, end)
    whole_range = (Interval(start, end),)

    def calendar(kind: ResourceKind, resource_id: int, available) -> ResourceCalendar:
        return ResourceCalendar(
            id=resource_id,
            available=tuple(available),
            busy=tuple(busy.get((kind, resource_id), ())),
        )

    esthetician_calendars = [
        calendar(
            ResourceKind.ESTHETICIAN,
            e.id,
            availability.expand_hours(hours.get(e.id, {}), first_day, last_day, tz),
        )
        for e in estheticians
    ]
    rooms = [
        calendar(ResourceKind.ROOM, room_id, whole_range)
        for room_id in db.session.scalars(
            select(Room.id).where(Room.active.is_(True)).order_by(Room.name)
        )
    ]
    devices = None
    if service.needs_device:
        devices = [
            calendar(ResourceKind.DEVICE, device_id, whole_range)
            for device_id in db.session.scalars(
                select(Device.id).where(Device.active.is_(True)).order_by(Device.name)
            )
        ]
    starts = availability.grid_starts(
        first_day,
        last_day,
        tz,
        current_app.config["SCHEDULE_GRID_MINUTES"],
        now or utcnow(),
    )
    length = timedelta(minutes=service.duration_minutes + service.buffer_minutes)
    return availability.free_slots(
        length=length,
        starts=starts,
        estheticians=esthetician_calendars,
        rooms=rooms,
        devices=devices,
    )


def slots_by_day(slots: list[Slot]) -> dict[date, list[Slot]]:
    tz = clinic_tz()
    grouped: dict[date, list[Slot]] = defaultdict(list)
    for slot in slots:
        grouped[slot.start.astimezone(tz).date()].append(slot)
    return dict(grouped)


def appointments_between(
    start: datetime,
    end: datetime,
    *,
    esthetician_id: int | None = None,
    include_cancelled: bool = True,
) -> list[Appointment]:
    """Appointments starting in [start, end), with what the calendar shows."""
    stmt = (
        select(Appointment)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .options(
            joinedload(Appointment.client),
            joinedload(Appointment.service),
            joinedload(Appointment.room),
            joinedload(Appointment.device),
            joinedload(Appointment.esthetician),
            joinedload(Appointment.series).joinedload(Series.protocol),
            selectinload(Appointment.allocations),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if esthetician_id is not None:
        stmt = stmt.where(Appointment.esthetician_id == esthetician_id)
    if not include_cancelled:
        stmt = stmt.where(Appointment.status != AppointmentStatus.CANCELLED)
    return list(db.session.scalars(stmt).unique())
