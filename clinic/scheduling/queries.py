"""Load what the pure availability engine needs, in a fixed number of queries.

A month of availability for every esthetician costs four queries (hours,
blocks, allocations, resources), whatever the number of days, slots or
bookings: no query per session or per slot.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import String, cast, func, select, type_coerce
from sqlalchemy.orm import joinedload

from clinic.auth.models import User
from clinic.catalogue.models import Device, Room, Service
from clinic.clock import clinic_tz, utcnow
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import availability
from clinic.scheduling.availability import Interval, ResourceCalendar, Slot
from clinic.scheduling.models import (
    HOLDING,
    Allocation,
    Appointment,
    AppointmentStatus,
    Block,
    BlockKind,
    ResourceKind,
    WorkingHours,
)


def day_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """UTC instants of the start of ``first_day`` and the end of ``last_day``."""
    tz = clinic_tz()
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def active(model) -> list:
    """The active rows of a catalogue model (service, protocol...), by name."""
    return list(
        db.session.scalars(
            select(model).where(model.active.is_(True)).order_by(model.name)
        )
    )


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


def _allocation_runs(
    start: datetime, end: datetime, moving: tuple[int, ...] = ()
) -> list[list]:
    """Active allocations in the window, back-to-back ones merged per resource.

    A busy month is tens of thousands of allocations but a few runs per
    resource and day; converting and checking every row was most of the cost
    of a month of availability. The times are read and compared as UTC
    wall-clock text (as SQLite stores them; PostgreSQL renders them so), which
    sorts like the instants, and only the ends of each run become datetimes.
    Returns ``[kind value, resource id, start text, end text]`` lists.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":

        def as_text(column):
            return cast(func.timezone("UTC", column), String)

    else:

        def as_text(column):
            return type_coerce(column, String)

    # Core, not the ORM: plain rows, no per-row ORM bookkeeping. In the order
    # of the covering index on the end, so nothing is sorted: each row ends at
    # or after every earlier one, so when it reaches back into its
    # resource's last run it extends that run to its end (and to its start,
    # should it start earlier). The runs are the same as sorting by start
    # would give while a resource's allocations never overlap; if some did,
    # runs might overlap, which the engine handles (it ORs busy times).
    stmt = (
        select(
            type_coerce(Allocation.resource_kind, String),
            Allocation.resource_id,
            as_text(Allocation.starts_at),
            as_text(Allocation.ends_at),
        )
        .where(
            Allocation.active.is_(True),
            Allocation.starts_at < end,
            Allocation.ends_at > start,
        )
        .order_by(Allocation.ends_at)
    )
    if moving:  # their own times are free to move into
        stmt = stmt.where(Allocation.appointment_id.not_in(moving))
    # In one fetch: psycopg answers row-by-row iteration one call a row.
    rows = connection.execute(stmt).all()
    runs: list[list] = []
    last_run: dict[tuple, list] = {}
    for kind_value, resource_id, starts_at, ends_at in rows:
        last = last_run.get((kind_value, resource_id))
        if last is not None and starts_at <= last[3]:
            if starts_at < last[2]:
                last[2] = starts_at
            last[3] = ends_at
        else:
            last = [kind_value, resource_id, starts_at, ends_at]
            last_run[(kind_value, resource_id)] = last
            runs.append(last)
    return runs


def _utc_from_text(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")  # tzinfo is UTC, no replace()


def _busy(
    start: datetime, end: datetime, moving: tuple[int, ...] = ()
) -> dict[tuple[ResourceKind, int], list[Interval]]:
    """Active allocations (merged into runs) and blocks per resource: 2 queries."""
    busy: dict[tuple[ResourceKind, int], list[Interval]] = defaultdict(list)
    kinds_by_value = {kind.value: kind for kind in ResourceKind}
    checked = Interval.checked_elsewhere  # rows: UTC, start < end (constraint)
    runs = _allocation_runs(start, end, moving)
    for kind, resource_id, starts_at, ends_at in runs:
        run = checked(_utc_from_text(starts_at), _utc_from_text(ends_at))
        busy[(kinds_by_value[kind], resource_id)].append(run)
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


def client_busy(
    client_id: int, start: datetime, end: datetime, moving: tuple[int, ...] = ()
) -> tuple[Interval, ...]:
    """The client's own appointments that hold time in ``[start, end)``."""
    stmt = select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.client_id == client_id,
        Appointment.status.in_(HOLDING),
        Appointment.starts_at < end,
        Appointment.ends_at > start,
    )
    if moving:
        stmt = stmt.where(Appointment.id.not_in(moving))
    return tuple(
        Interval.checked_elsewhere(starts_at, ends_at)
        for starts_at, ends_at in db.session.execute(stmt)
    )


class SlotFinder:
    """The calendars of a window, loaded once; free slots of any part on demand.

    ``slots()`` gives the whole window (what ``find_slots`` returns) and
    ``by_day()`` a mapping that computes a day's slots when it is first read:
    the series planner looks at a dozen days of a three-month window, so it
    should not pay for the other eighty. A day's slots are the same either way
    (one running into the next day still sees that day's bookings).

    With ``client_id``, times when that client is booked elsewhere are left
    out; ``moving`` (a reschedule, or the rest of a series) frees those
    appointments' own times.
    """

    def __init__(
        self,
        service: Service,
        first_day: date,
        last_day: date,
        *,
        esthetician_ids: list[int] | None = None,
        now: datetime | None = None,
        client_id: int | None = None,
        moving: tuple[int, ...] = (),
    ):
        self.tz = clinic_tz()
        self.first_day, self.last_day = first_day, last_day
        self.now = now or utcnow()
        self.grid_minutes = current_app.config["SCHEDULE_GRID_MINUTES"]
        self.treatment = timedelta(minutes=service.duration_minutes)
        self.length = self.treatment + timedelta(minutes=service.buffer_minutes)
        start, end = day_bounds(first_day, last_day)
        estheticians = active_estheticians(esthetician_ids)
        hours = _weekly_hours([e.id for e in estheticians])
        busy = _busy(start, end, moving)
        # Reaching past the window: a start near its end may run into the
        # client's appointment early the next day.
        self.client_busy = (
            ()
            if client_id is None
            else client_busy(client_id, start, end + self.length, moving)
        )
        whole_range = (Interval(start, end),)

        def calendar(kind: ResourceKind, resource_id: int, available):
            return ResourceCalendar(
                id=resource_id,
                available=tuple(available),
                busy=tuple(busy.get((kind, resource_id), ())),
            )

        self.estheticians = [
            calendar(
                ResourceKind.ESTHETICIAN,
                e.id,
                _working_windows(
                    _frozen(hours.get(e.id, {})), first_day, last_day, self.tz
                ),
            )
            for e in estheticians
        ]
        self.rooms = [
            calendar(ResourceKind.ROOM, room_id, whole_range)
            for room_id in db.session.scalars(
                select(Room.id).where(Room.active.is_(True)).order_by(Room.name)
            )
        ]
        self.devices = None
        if service.needs_device:
            self.devices = [
                calendar(ResourceKind.DEVICE, device_id, whole_range)
                for device_id in db.session.scalars(
                    select(Device.id)
                    .where(Device.active.is_(True))
                    .order_by(Device.name)
                )
            ]
        self._timelines = None  # built by the first slots() of part of the window

    def slots(
        self, first_day: date | None = None, last_day: date | None = None
    ) -> list[Slot]:
        """Free slots starting on the local days given (default: the window)."""
        first_day = first_day or self.first_day
        last_day = last_day or self.last_day
        grid = _grid(first_day, last_day, self.tz, self.grid_minutes)
        starts = grid[bisect_left(grid, self.now) :]  # none in the past
        calendars = [self.estheticians, self.rooms, self.devices]
        if (first_day, last_day) != (self.first_day, self.last_day):
            if not starts:
                return []
            low, high = starts[0], starts[-1] + self.length
            if self._timelines is None:
                self._timelines = [
                    None
                    if group is None
                    else [availability.CalendarTimelines(c) for c in group]
                    for group in calendars
                ]
            calendars = [
                None if group is None else [t.clipped(low, high) for t in group]
                for group in self._timelines
            ]
        estheticians, rooms, devices = calendars
        return availability.free_slots(
            length=self.length,
            starts=starts,
            estheticians=estheticians,
            rooms=rooms,
            devices=devices,
            client_busy=self.client_busy,
            treatment=self.treatment,
        )

    def by_day(self) -> Mapping[date, list[Slot]]:
        return _SlotsByDay(self)


def _frozen(weekly: dict[int, list[tuple]]) -> tuple:
    return tuple(sorted((day, tuple(sorted(ranges))) for day, ranges in weekly.items()))


@lru_cache(maxsize=256)
def _working_windows(weekly: tuple, first_day: date, last_day: date, tz) -> tuple:
    """``expand_hours``, remembered: it is pure, and every search for a month
    expands the same weekly hours over the same days (DST-aware, so not free)."""
    return tuple(availability.expand_hours(dict(weekly), first_day, last_day, tz))


@lru_cache(maxsize=1024)
def _day_grid(day: date, tz, grid_minutes: int) -> tuple:
    return tuple(availability.grid_starts(day, day, tz, grid_minutes))


def _grid(first_day: date, last_day: date, tz, grid_minutes: int) -> list:
    """``grid_starts`` over whole days, each day's remembered like
    ``_working_windows`` (rebuilding a month's 2,900 starts took 2 ms of a
    month of availability). Days never share a start, so they just join."""
    return [
        start
        for n in range((last_day - first_day).days + 1)
        for start in _day_grid(first_day + timedelta(days=n), tz, grid_minutes)
    ]


class _SlotsByDay(Mapping):
    """Local day -> its free slots, computed on first access."""

    def __init__(self, finder: SlotFinder):
        self.finder = finder
        self.days = [
            finder.first_day + timedelta(days=n)
            for n in range((finder.last_day - finder.first_day).days + 1)
        ]
        self.found: dict[date, list[Slot]] = {}

    def __getitem__(self, day: date) -> list[Slot]:
        if not self.finder.first_day <= day <= self.finder.last_day:
            raise KeyError(day)
        if day not in self.found:
            self.found[day] = self.finder.slots(day, day)
        return self.found[day]

    def __iter__(self):
        return iter(self.days)

    def __len__(self) -> int:
        return len(self.days)


def find_slots(
    service: Service, first_day: date, last_day: date, **options
) -> list[Slot]:
    """Free start times for ``service`` between two local days (inclusive);
    ``options`` as for ``SlotFinder``."""
    return SlotFinder(service, first_day, last_day, **options).slots()


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
            # The series for "Session 3 of 10". Not the allocations: no page
            # listing appointments shows them (on a busy day they were three
            # times as many rows as the appointments, and most of the cost).
            joinedload(Appointment.series),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if esthetician_id is not None:
        stmt = stmt.where(Appointment.esthetician_id == esthetician_id)
    if not include_cancelled:
        stmt = stmt.where(Appointment.status != AppointmentStatus.CANCELLED)
    return list(db.session.scalars(stmt).unique())
