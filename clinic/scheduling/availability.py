"""Free start times where an esthetician, a room and maybe a device are all free.

Pure: no Flask, no database, no clock ("now" arrives as ``not_before``). Every
datetime is timezone-aware UTC and every interval half-open ``[start, end)``,
so back-to-back bookings never collide. The clinic timezone is only used to
turn local working hours and the local start grid into UTC instants, which is
where daylight-saving changes are handled (``expand_hours``, ``grid_starts``).

``free_slots`` is the hot path (a month for a whole clinic): each resource
becomes a bitset over the grid of candidate starts, built with a few bisects
per window and per busy interval, and the resources are combined with integer
AND/OR, so no (start, resource, busy interval) triple is ever visited.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, pairwise
from operator import attrgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]
"""Weekday (0 = Monday) -> local ``(start, end)`` ranges, start < end, same day."""

_DAY = timedelta(days=1)


def _utc(value: datetime, name: str) -> datetime:
    """``value`` in UTC; ValueError if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}.")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


@dataclass(frozen=True)
class Interval:
    """Half-open ``[start, end)`` in UTC.

    Raises ValueError if either end is naive or ``end <= start``. Aware values
    in another zone are converted to UTC.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start, end = _utc(self.start, "start"), _utc(self.end, "end")
        if end <= start:
            raise ValueError(f"An interval must end after it starts ({start}, {end}).")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @classmethod
    def checked_elsewhere(cls, start: datetime, end: datetime) -> Interval:
        """An interval from values already known to be UTC with ``start < end``.

        Rows of the database are (its check constraint and UTC columns): a
        month of availability turns about 2,600 into intervals, and the checks
        took 2-3 ms of its 35. Anything else goes through the constructor.
        """
        interval = object.__new__(cls)
        fields = interval.__dict__
        fields["start"] = start
        fields["end"] = end
        return interval

    def overlaps(self, other: Interval) -> bool:
        """True if the two share any instant (touching ends do not overlap)."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals`` as sorted, disjoint, non-touching intervals."""
    merged: list[Interval] = []
    for item in sorted(intervals, key=lambda i: i.start):
        if merged and item.start <= merged[-1].end:
            if item.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, item.end)
        else:
            merged.append(item)
    return merged


# -- local time -> UTC ---------------------------------------------------------


def _instants(local: datetime, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants whose wall-clock time in ``tz`` is ``local`` (naive).

    None in a spring-forward gap, two in a fall-back overlap, else one; sorted.
    """
    found: list[datetime] = []
    for fold in (0, 1):
        instant = local.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if (
            instant.astimezone(tz).replace(tzinfo=None) == local
            and instant not in found
        ):
            found.append(instant)
    found.sort()
    return found


def _boundary(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock first shows ``local``.

    In a fall-back overlap that is the earlier instant (so a range ending and
    the next one starting at the same local time still meet). In a
    spring-forward gap the clock never shows it: the instant the gap ends.
    """
    found = _instants(local, tz)
    if found:
        return found[0]
    # In a gap the two folds map to both sides of the transition; bisect the
    # seconds between them for the first instant whose wall time is later.
    a = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    b = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).replace(tzinfo=None) > local:
            hi = mid
        else:
            lo = mid
    return hi


def _check_weekly(weekly: WeeklyHours) -> None:
    for weekday, ranges in weekly.items():
        if weekday not in range(7):
            raise ValueError(f"Weekday must be 0 (Monday) to 6, got {weekday!r}.")
        for start, end in ranges:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("Working hours are local times without a timezone.")
            if not start < end:
                raise ValueError(
                    f"Working hours must end after they start ({start}-{end})."
                )


def expand_hours(
    weekly: WeeklyHours, first_day: date, last_day: date, tz: ZoneInfo
) -> list[Interval]:
    """The working ranges of the local days ``first_day..last_day`` in UTC.

    Wall-clock hours are kept across daylight-saving changes (10:00-18:00
    stays 10:00-18:00 local). A range crossing a spring-forward gap is
    shortened by the gap (an end inside the gap is the moment the gap ends; a
    range wholly inside it vanishes); one crossing a fall-back overlap lasts
    the time that really elapses, with ambiguous ends taken at their first
    occurrence. Overlapping or touching ranges are merged, and the result is
    sorted. Empty if ``last_day < first_day``.

    Raises ValueError for a weekday outside 0-6, a range that does not end
    after it starts, or a time carrying a timezone.
    """
    _check_weekly(weekly)
    found: list[Interval] = []
    day = first_day
    while day <= last_day:
        for start_time, end_time in weekly.get(day.weekday(), ()):
            start = _boundary(datetime.combine(day, start_time), tz)
            end = _boundary(datetime.combine(day, end_time), tz)
            if start < end:
                found.append(Interval(start, end))
        day += _DAY
    return merge(found)


def grid_starts(
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    grid_minutes: int,
    not_before: datetime | None = None,
) -> list[datetime]:
    """Candidate start instants (UTC, sorted, unique) on the local grid.

    Local times that are multiples of ``grid_minutes`` after local midnight on
    each day ``first_day..last_day``; times that do not exist (spring-forward
    gap) are skipped and ambiguous ones (fall-back) give both instants.
    Instants before ``not_before`` are dropped.

    Raises ValueError if ``grid_minutes`` < 1 or ``not_before`` is naive.
    """
    if grid_minutes < 1:
        raise ValueError(f"The grid must be at least 1 minute, got {grid_minutes}.")
    floor = None if not_before is None else _utc(not_before, "not_before")
    step = timedelta(minutes=grid_minutes)
    starts: list[datetime] = []
    day = first_day
    while day <= last_day:
        midnight = datetime.combine(day, time())
        following = midnight + _DAY
        first, last = _instants(midnight, tz), _instants(following, tz)
        if len(first) == 1 and len(last) == 1 and last[0] - first[0] == _DAY:
            # No transition today, so the offset at midnight holds all day (a
            # zone changing twice within one day and back is not modelled).
            instant, end = first[0], last[0]
            while instant < end:
                starts.append(instant)
                instant += step
        else:
            local = midnight
            while local < following:
                starts.extend(_instants(local, tz))
                local += step
        day += _DAY
    ordered = sorted(set(starts))
    if floor is not None:
        ordered = ordered[bisect_left(ordered, floor) :]
    return ordered


# -- free slots ------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceCalendar:
    """An esthetician, room or device: where it may be used and where it is not.

    ``available`` are the windows it may be used in (their union counts, so
    touching windows join up); ``busy`` are existing allocations, blocks and
    time off. Subtracting time off from working hours is done by passing it
    as busy.
    """

    id: int
    available: tuple[Interval, ...]
    busy: tuple[Interval, ...] = ()


class Slot(NamedTuple):
    """A bookable ``[start, end)`` with the resources that make it possible.

    Not validated, and a named tuple rather than a frozen dataclass:
    ``free_slots`` builds thousands (a month for a whole clinic: 8,800), and a
    tuple costs half as much to build. ``end`` includes the buffer.
    """

    start: datetime
    end: datetime
    esthetician_id: int
    room_id: int
    device_id: int | None

    @property
    def interval(self) -> Interval:
        """Raises ValueError if the slot is malformed (naive, or end <= start)."""
        return Interval(self.start, self.end)


def _free_bits(
    calendar: ResourceCalendar, grid: list[datetime], length: timedelta
) -> int:
    """Bit i set iff ``[grid[i], grid[i] + length)`` is free for ``calendar``."""
    bits = 0
    for window in merge(calendar.available):
        lo = bisect_left(grid, window.start)
        hi = bisect_right(grid, window.end - length, lo)
        if hi > lo:
            bits |= ((1 << (hi - lo)) - 1) << lo
    if not bits:
        return 0
    return bits & ~_busy_bits(calendar.busy, grid, length)


def _busy_bits(
    busy: Iterable[Interval], grid: list[datetime], length: timedelta
) -> int:
    """Bit i set iff ``[grid[i], grid[i] + length)`` overlaps a busy interval."""
    blocked = 0
    for interval in busy:
        # A start s collides iff s < interval.end and s + length > interval.start.
        lo = bisect_right(grid, interval.start - length)
        hi = bisect_left(grid, interval.end, lo)
        if hi > lo:
            blocked |= ((1 << (hi - lo)) - 1) << lo
    return blocked


def _set_bits(bits: int) -> list[int]:
    digits = bin(bits)[:1:-1]  # least significant first, without "0b"
    found: list[int] = []
    index = digits.find("1")
    while index >= 0:
        found.append(index)
        index = digits.find("1", index + 1)
    return found


def _first_free(
    calendars: Sequence[ResourceCalendar], bitsets: Sequence[int], size: int
) -> list[int]:
    """Per grid index, the id of the first calendar (in the order given) free there."""
    first = [0] * size  # only read where some calendar is free
    remaining = 0
    for bits in bitsets:
        remaining |= bits
    for calendar, bits in zip(calendars, bitsets, strict=True):
        if not remaining:
            break
        for index in _set_bits(bits & remaining):
            first[index] = calendar.id
        remaining &= ~bits
    return first


def _normalise_starts(starts: Sequence[datetime]) -> list[datetime]:
    for start in starts:
        if start.tzinfo is None:
            raise ValueError(f"Start times must be timezone-aware, got {start!r}.")
    grid = [s if s.tzinfo is UTC else s.astimezone(UTC) for s in starts]
    if any(a >= b for a, b in pairwise(grid)):
        grid = sorted(set(grid))
    return grid


def free_slots(
    *,
    length: timedelta,
    starts: Sequence[datetime],
    estheticians: Sequence[ResourceCalendar],
    rooms: Sequence[ResourceCalendar],
    devices: Sequence[ResourceCalendar] | None,
    client_busy: Sequence[Interval] = (),
    treatment: timedelta | None = None,
) -> list[Slot]:
    """Every (start, esthetician) for which a room and a device are free too.

    For each start ``s`` (any order; duplicates ignored) and esthetician, a
    Slot when ``[s, s + length)`` (length = duration + buffer) lies within the
    available windows of the esthetician, of some room and, unless
    ``devices`` is None, of some device, and overlaps none of their busy
    intervals. The room and device are the first free ones in the order
    given; they are candidates per slot, so two slots at one start may name
    the same room. Starts whose ``[s, s + treatment)`` (default: ``length``)
    overlaps one of ``client_busy`` (the client's own appointments) are left
    out. Sorted by start, then esthetician in the order given. Empty if there
    are no rooms, or ``devices`` is an empty sequence.

    Raises ValueError if ``length`` or ``treatment`` is not positive or a
    start is naive.
    """
    treatment = length if treatment is None else treatment
    for value in (length, treatment):
        if value <= timedelta(0):
            raise ValueError(f"A slot must have a positive length, got {value}.")
    grid = _normalise_starts(starts)
    no_device = devices is not None and not devices
    if not (grid and estheticians and rooms) or no_device:
        return []
    size = len(grid)
    room_bits = [_free_bits(c, grid, length) for c in rooms]
    needed = 0
    for bits in room_bits:
        needed |= bits
    device_bits: list[int] = []
    if devices is not None:
        device_bits = [_free_bits(c, grid, length) for c in devices]
        any_device = 0
        for bits in device_bits:
            any_device |= bits
        needed &= any_device
    if client_busy:
        needed &= ~_busy_bits(client_busy, grid, treatment)
    if not needed:
        return []

    # Sorting (start index, esthetician order) packed into one int is the
    # cheapest way to interleave the estheticians' sorted index lists.
    count = len(estheticians)
    keys: list[int] = []
    for order, calendar in enumerate(estheticians):
        free = _free_bits(calendar, grid, length) & needed
        keys += [index * count + order for index in _set_bits(free)]
    keys.sort()

    ids = [calendar.id for calendar in estheticians]
    room_of = _first_free(rooms, room_bits, size)
    device_of: list[int | None] = [None] * size
    if devices is not None:
        device_of[:] = _first_free(devices, device_bits, size)
    slots: list[Slot] = []
    append = slots.append
    for key in keys:
        index, order = divmod(key, count)
        start = grid[index]
        append(
            Slot(start, start + length, ids[order], room_of[index], device_of[index])
        )
    return slots


class Timeline:
    """Intervals sorted by start, with the latest end reached so far: those
    touching a window are found with two bisects, not by reading them all
    (the planner asks for a dozen single days of a three-month window)."""

    def __init__(self, intervals: Iterable[Interval]):
        self.intervals = sorted(intervals, key=attrgetter("start"))
        self.starts = [i.start for i in self.intervals]
        self.reach = list(accumulate((i.end for i in self.intervals), max))

    def touching(self, low: datetime, high: datetime) -> tuple[Interval, ...]:
        """The intervals that overlap ``[low, high)``, by start."""
        first = bisect_right(self.reach, low)  # every one before ends by low
        after = bisect_left(self.starts, high, first)  # these start at high or later
        return tuple(i for i in self.intervals[first:after] if i.end > low)


class CalendarTimelines:
    """A resource's calendar, ready to be clipped to any part of its window
    (``SlotFinder`` computes the planner's days one at a time)."""

    def __init__(self, calendar: ResourceCalendar):
        self.id = calendar.id
        self.available = Timeline(calendar.available)
        self.busy = Timeline(calendar.busy)

    def clipped(self, low: datetime, high: datetime) -> ResourceCalendar:
        """Only the windows and busy times that touch ``[low, high)``."""
        return ResourceCalendar(
            self.id, self.available.touching(low, high), self.busy.touching(low, high)
        )


def is_free(calendar: ResourceCalendar, interval: Interval) -> bool:
    """True if ``interval`` lies within the available windows and hits no busy one.

    The same rule as ``free_slots``, for re-checking one slot before booking.
    """
    inside = any(window.contains(interval) for window in merge(calendar.available))
    return inside and not any(busy.overlaps(interval) for busy in calendar.busy)
