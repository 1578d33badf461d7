"""The availability engine: hours, the start grid, free slots (pure, no app)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clinic.scheduling.availability import (
    CalendarTimelines,
    Interval,
    ResourceCalendar,
    Slot,
    Timeline,
    expand_hours,
    free_slots,
    grid_starts,
    is_free,
    merge,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2025, 1, 6)
HOUR = timedelta(hours=1)
MINUTES_15 = timedelta(minutes=15)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    """A UTC instant on ``day`` (default: Monday 6 January 2025)."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def span(start: datetime, end: datetime) -> Interval:
    return Interval(start, end)


def calendar(ident: int, hours=((9, 17),), busy=()) -> ResourceCalendar:
    """Windows and busy intervals as (hour, hour) or (datetime, datetime) pairs."""

    def interval(pair):
        a, b = pair
        return Interval(at(a), at(b)) if isinstance(a, int) else Interval(a, b)

    return ResourceCalendar(
        ident, tuple(interval(p) for p in hours), tuple(interval(p) for p in busy)
    )


def hourly(first: int = 6, last: int = 20) -> list[datetime]:
    return [at(h) for h in range(first, last + 1)]


def quarter_hours(first: int = 6, last: int = 20) -> list[datetime]:
    return [at(first) + MINUTES_15 * k for k in range((last - first) * 4 + 1)]


def local_times(instants, tz) -> list[str]:
    return [f"{i.astimezone(tz):%H:%M%z}" for i in instants]


# -- Interval ------------------------------------------------------------------


def test_interval_refuses_naive_and_empty():
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(datetime(2025, 1, 6, 9), at(10))
    with pytest.raises(ValueError, match="end after"):
        Interval(at(10), at(10))
    with pytest.raises(ValueError, match="end after"):
        Interval(at(11), at(10))


def test_interval_converts_to_utc_and_is_half_open():
    paris = Interval(datetime(2025, 1, 6, 10, tzinfo=ZoneInfo("Europe/Paris")), at(12))
    assert paris.start == at(9) and paris.start.tzinfo is UTC
    assert not span(at(9), at(10)).overlaps(span(at(10), at(11)))
    assert span(at(9), at(10, 1)).overlaps(span(at(10), at(11)))
    assert span(at(9), at(12)).overlaps(span(at(10), at(11)))
    assert span(at(9), at(12)).contains(span(at(9), at(12)))
    assert not span(at(9), at(12)).contains(span(at(11), at(13)))


def test_interval_from_checked_values_is_the_same_frozen_interval():
    trusted = Interval.checked_elsewhere(at(9), at(10))
    assert trusted == span(at(9), at(10)) and hash(trusted) == hash(span(at(9), at(10)))
    assert trusted.overlaps(span(at(9, 30), at(11)))
    with pytest.raises(AttributeError):
        trusted.start = at(8)  # frozen like any other


def test_merge_joins_overlapping_and_touching():
    merged = merge([span(at(13), at(14)), span(at(9), at(10)), span(at(10), at(11))])
    assert merged == [span(at(9), at(11)), span(at(13), at(14))]
    assert merge([span(at(9), at(12)), span(at(10), at(11))]) == [span(at(9), at(12))]
    assert merge([]) == []


# -- expand_hours --------------------------------------------------------------


def test_expand_hours_one_range_on_matching_weekdays_only():
    weekly = {0: [(time(10), time(18))], 2: [(time(9), time(12))]}
    got = expand_hours(weekly, MONDAY, MONDAY + timedelta(days=6), LONDON)
    assert got == [
        span(at(10), at(18)),
        span(at(9, day=date(2025, 1, 8)), at(12, day=date(2025, 1, 8))),
    ]


def test_expand_hours_several_ranges_a_day_sorted_and_merged():
    weekly = {
        0: [(time(14), time(18)), (time(9), time(12, 30))],
        1: [(time(9), time(12)), (time(12), time(17))],  # touching: one window
        2: [(time(9), time(13)), (time(11), time(15))],  # overlapping: one window
    }
    got = expand_hours(weekly, MONDAY, MONDAY + timedelta(days=2), ZoneInfo("UTC"))
    tuesday, wednesday = date(2025, 1, 7), date(2025, 1, 8)
    assert got == [
        span(at(9), at(12, 30)),
        span(at(14), at(18)),
        span(at(9, day=tuesday), at(17, day=tuesday)),
        span(at(9, day=wednesday), at(15, day=wednesday)),
    ]


def test_expand_hours_empty_cases():
    weekly = {0: [(time(9), time(17))]}
    assert expand_hours(weekly, MONDAY, MONDAY - timedelta(days=1), LONDON) == []
    assert expand_hours({}, MONDAY, MONDAY + timedelta(days=30), LONDON) == []


@pytest.mark.parametrize(
    "weekly, message",
    [
        ({0: [(time(10), time(10))]}, "end after"),
        ({0: [(time(18), time(10))]}, "end after"),
        ({7: [(time(9), time(10))]}, "Weekday"),
        ({0: [(time(9, tzinfo=UTC), time(10))]}, "without a timezone"),
    ],
)
def test_expand_hours_refuses_bad_ranges(weekly, message):
    with pytest.raises(ValueError, match=message):
        expand_hours(weekly, MONDAY, MONDAY, LONDON)


def test_expand_hours_keeps_local_hours_across_spring_forward_london():
    # Clocks go 01:00 GMT -> 02:00 BST on Sunday 30 March 2025.
    weekly = {d: [(time(10), time(18))] for d in range(7)}
    got = expand_hours(weekly, date(2025, 3, 29), date(2025, 3, 31), LONDON)
    assert got == [
        span(utc(2025, 3, 29, 10), utc(2025, 3, 29, 18)),
        span(utc(2025, 3, 30, 9), utc(2025, 3, 30, 17)),
        span(utc(2025, 3, 31, 9), utc(2025, 3, 31, 17)),
    ]
    assert local_times([got[0].start, got[2].start], LONDON) == [
        "10:00+0000",
        "10:00+0100",
    ]


@pytest.mark.parametrize(
    "start, end, expected",
    [
        ((0, 30), (2, 30), ((0, 30), (1, 30))),  # crosses the gap: 1 h, not 2
        ((0, 0), (1, 30), ((0, 0), (1, 0))),  # ends inside: ends with the gap
        ((1, 30), (3, 0), ((1, 0), (2, 0))),  # starts inside: when the gap ends
    ],
)
def test_expand_hours_shortens_a_range_across_the_spring_gap(start, end, expected):
    sunday = date(2025, 3, 30)
    weekly = {6: [(time(*start), time(*end))]}
    (got,) = expand_hours(weekly, sunday, sunday, LONDON)
    assert got == span(utc(2025, 3, 30, *expected[0]), utc(2025, 3, 30, *expected[1]))


def test_expand_hours_drops_a_range_wholly_inside_the_spring_gap():
    sunday = date(2025, 3, 30)
    weekly = {6: [(time(1, 15), time(1, 45)), (time(9), time(10))]}
    got = expand_hours(weekly, sunday, sunday, LONDON)
    assert got == [span(utc(2025, 3, 30, 8), utc(2025, 3, 30, 9))]


def test_expand_hours_fall_back_london_is_elapsed_time():
    # Clocks go 02:00 BST -> 01:00 GMT on Sunday 26 October 2025.
    weekly = {5: [(time(10), time(18))], 6: [(time(0, 30), time(2, 30))]}
    got = expand_hours(weekly, date(2025, 10, 25), date(2025, 10, 26), LONDON)
    assert got == [
        span(utc(2025, 10, 25, 9), utc(2025, 10, 25, 17)),
        span(utc(2025, 10, 25, 23, 30), utc(2025, 10, 26, 2, 30)),
    ]
    assert got[1].end - got[1].start == timedelta(hours=3)


def test_expand_hours_new_york_both_changes():
    weekly = {d: [(time(10), time(18))] for d in range(7)}
    spring = expand_hours(weekly, date(2025, 3, 8), date(2025, 3, 10), NEW_YORK)
    assert [(i.start.hour, i.end.hour) for i in spring] == [
        (15, 23),
        (14, 22),
        (14, 22),
    ]
    fall = expand_hours(weekly, date(2025, 11, 1), date(2025, 11, 3), NEW_YORK)
    assert [(i.start.hour, i.end.hour) for i in fall] == [(14, 22), (15, 23), (15, 23)]
    assert all(i.end - i.start == timedelta(hours=8) for i in spring + fall)
    assert {f"{i.start.astimezone(NEW_YORK):%H:%M}" for i in spring + fall} == {"10:00"}


def test_expand_hours_new_york_ranges_across_the_changes():
    # 9 March 2025: 02:00 EST -> 03:00 EDT; 2 November: 02:00 EDT -> 01:00 EST.
    night = {6: [(time(1), time(4))]}
    (spring,) = expand_hours(night, date(2025, 3, 9), date(2025, 3, 9), NEW_YORK)
    assert spring == span(utc(2025, 3, 9, 6), utc(2025, 3, 9, 8))
    early = {6: [(time(0), time(3))]}
    (fall,) = expand_hours(early, date(2025, 11, 2), date(2025, 11, 2), NEW_YORK)
    assert fall == span(utc(2025, 11, 2, 4), utc(2025, 11, 2, 8))
    # An ambiguous start is taken at its first occurrence (01:30 EDT).
    ambiguous = {6: [(time(1, 30), time(2, 30))]}
    (got,) = expand_hours(ambiguous, date(2025, 11, 2), date(2025, 11, 2), NEW_YORK)
    assert got == span(utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 7, 30))


def test_expand_hours_half_hour_change_lord_howe():
    # 5 October 2025: 02:00 +10:30 -> 02:30 +11:00; a start in the gap moves
    # to the moment it ends.
    tz = ZoneInfo("Australia/Lord_Howe")
    sunday = date(2025, 10, 5)
    (got,) = expand_hours({6: [(time(2, 15), time(3))]}, sunday, sunday, tz)
    assert got == span(utc(2025, 10, 4, 15, 30), utc(2025, 10, 4, 16))


# -- grid_starts ---------------------------------------------------------------


def test_grid_starts_a_plain_day():
    got = grid_starts(MONDAY, MONDAY, LONDON, 60)
    assert got == [at(h) for h in range(24)]
    assert all(s.tzinfo is UTC for s in got)
    assert len(grid_starts(MONDAY, MONDAY + timedelta(days=29), LONDON, 15)) == 2880


def test_grid_starts_uneven_grid_counts_from_local_midnight():
    got = grid_starts(MONDAY, MONDAY + timedelta(days=1), LONDON, 7)
    assert len(got) == 2 * 206  # 00:00, 00:07, ... 23:55 each day
    assert got[205] == at(23, 55) and got[206] == at(0, day=date(2025, 1, 7))


def test_grid_starts_skips_the_spring_gap():
    got = grid_starts(date(2025, 3, 30), date(2025, 3, 30), LONDON, 30)
    assert len(got) == 46
    assert "01:00+0000" not in local_times(got, LONDON)
    assert local_times(got[:4], LONDON) == [
        "00:00+0000",
        "00:30+0000",
        "02:00+0100",
        "02:30+0100",
    ]
    assert got == sorted(set(got))


def test_grid_starts_gives_both_instants_at_fall_back():
    got = grid_starts(date(2025, 10, 26), date(2025, 10, 26), LONDON, 30)
    assert len(got) == 50
    assert local_times(got[:6], LONDON) == [
        "00:00+0100",
        "00:30+0100",
        "01:00+0100",
        "01:30+0100",
        "01:00+0000",
        "01:30+0000",
    ]
    assert got == sorted(set(got))


def test_grid_starts_new_york_changes():
    spring = grid_starts(date(2025, 3, 9), date(2025, 3, 9), NEW_YORK, 60)
    assert len(spring) == 23 and "02:00-0500" not in local_times(spring, NEW_YORK)
    fall = grid_starts(date(2025, 11, 2), date(2025, 11, 2), NEW_YORK, 60)
    assert len(fall) == 25
    assert [f"{s.astimezone(NEW_YORK):%H}" for s in fall[:4]] == [
        "00",
        "01",
        "01",
        "02",
    ]


def test_grid_starts_not_before():
    now = at(10, 5)
    got = grid_starts(MONDAY, MONDAY, LONDON, 15, not_before=now)
    assert got[0] == at(10, 15) and got[-1] == at(23, 45)
    exact = grid_starts(MONDAY, MONDAY, LONDON, 15, not_before=at(10))
    assert exact[0] == at(10)
    later = grid_starts(
        MONDAY, MONDAY, LONDON, 15, not_before=at(0, day=date(2026, 1, 1))
    )
    assert later == []


def test_grid_starts_bad_input():
    with pytest.raises(ValueError, match="at least 1 minute"):
        grid_starts(MONDAY, MONDAY, LONDON, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        grid_starts(MONDAY, MONDAY, LONDON, 15, not_before=datetime(2025, 1, 6, 9))
    assert grid_starts(MONDAY, MONDAY - timedelta(days=1), LONDON, 15) == []


ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "America/Santiago",  # changes at local midnight
    "Australia/Lord_Howe",  # a 30-minute change
    "Asia/Kathmandu",  # +05:45
]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    first=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    days=st.integers(0, 1),
    grid=st.sampled_from([5, 15, 30, 45, 60, 90]),
)
def test_grid_starts_matches_every_utc_minute(zone, first, days, grid):
    """Brute force: every UTC minute whose local time is on the grid that day."""
    tz = ZoneInfo(zone)
    last = first + timedelta(days=days)
    expected = []
    minute = datetime.combine(first, time(), tzinfo=UTC) - timedelta(hours=15)
    stop = datetime.combine(last, time(), tzinfo=UTC) + timedelta(hours=39)
    while minute < stop:
        local = minute.astimezone(tz)
        on_grid = (local.hour * 60 + local.minute) % grid == 0 and local.second == 0
        if on_grid and first <= local.date() <= last:
            expected.append(minute)
        minute += timedelta(minutes=1)
    assert grid_starts(first, last, tz, grid) == expected


def test_grid_starts_when_midnight_does_not_exist():
    tz = ZoneInfo("America/Santiago")  # 8 September 2024: 00:00 -> 01:00
    got = grid_starts(date(2024, 9, 8), date(2024, 9, 8), tz, 60)
    assert len(got) == 23
    assert f"{got[0].astimezone(tz):%H:%M}" == "01:00"


# -- free_slots ----------------------------------------------------------------


def slots(length=HOUR, starts=None, estheticians=None, rooms=None, devices=None):
    return free_slots(
        length=length,
        starts=hourly() if starts is None else starts,
        estheticians=[calendar(1)] if estheticians is None else estheticians,
        rooms=[calendar(10)] if rooms is None else rooms,
        devices=devices,
    )


def starts_of(found: list[Slot]) -> list[int]:
    return [s.start.hour for s in found]


def test_free_slots_whole_day_when_nothing_is_booked():
    found = slots()
    assert starts_of(found) == list(range(9, 17))
    assert found[0] == Slot(at(9), at(10), 1, 10, None)


def test_free_slots_back_to_back_is_fine():
    found = slots(estheticians=[calendar(1, busy=[(10, 11)])], starts=quarter_hours())
    got = {s.start for s in found}
    assert at(9) in got and at(11) in got  # ends as the booking starts / after it
    assert not {at(9, 15), at(10), at(10, 45)} & got


def test_free_slots_respect_the_buffer():
    # 45 minutes of treatment + 15 of buffer: the room is needed for an hour.
    found = slots(
        length=timedelta(minutes=60),
        starts=quarter_hours(),
        rooms=[calendar(10, busy=[(12, 13)])],
    )
    got = {s.start for s in found}
    assert at(11) in got and at(13) in got
    assert not {at(11, 15), at(11, 45), at(12), at(12, 45)} & got
    assert all(s.end - s.start == HOUR for s in found)


def test_free_slots_outside_hours_are_excluded():
    found = slots(starts=quarter_hours())
    assert found[0].start == at(9) and found[-1].start == at(16)
    assert found[-1].end == at(17)
    two_windows = calendar(1, hours=((9, 12), (14, 17)))
    found = slots(estheticians=[two_windows], starts=quarter_hours())
    assert not [s for s in found if at(11) < s.start < at(14)]


def test_free_slots_touching_windows_join_up():
    split = calendar(1, hours=((9, 12), (12, 17)))
    found = slots(estheticians=[split], starts=quarter_hours())
    assert at(11, 30) in {s.start for s in found}


def test_free_slots_need_a_room():
    assert slots(rooms=[]) == []
    busy_room = calendar(10, busy=[(10, 12)])
    assert 10 not in starts_of(slots(rooms=[busy_room]))
    closed = calendar(10, hours=((12, 17),))
    assert starts_of(slots(rooms=[closed])) == [12, 13, 14, 15, 16]


def test_free_slots_choose_the_first_free_room_in_order():
    rooms = [calendar(30, busy=[(10, 11)]), calendar(20), calendar(10)]
    found = {s.start.hour: s.room_id for s in slots(rooms=rooms)}
    assert found[9] == 30 and found[10] == 20 and found[11] == 30


def test_free_slots_need_a_device_when_asked():
    assert slots(devices=[]) == []
    assert slots(devices=()) == []
    devices = [calendar(7, busy=[(9, 11)]), calendar(8, busy=[(10, 12)])]
    found = {s.start.hour: s.device_id for s in slots(devices=devices)}
    assert found[9] == 8 and 10 not in found and found[11] == 7 and found[12] == 7
    assert all(s.device_id is None for s in slots(devices=None))


def test_free_slots_sorted_by_start_then_esthetician_order_given():
    estheticians = [calendar(5, busy=[(9, 10)]), calendar(2)]
    found = slots(estheticians=estheticians)
    assert [(s.start.hour, s.esthetician_id) for s in found[:3]] == [
        (9, 2),
        (10, 5),
        (10, 2),
    ]
    # The same room may be named by two slots at one start: they are candidates.
    assert found[1].room_id == found[2].room_id == 10


def test_free_slots_accept_starts_in_any_order_and_zone():
    paris = ZoneInfo("Europe/Paris")
    starts = [at(12), at(10).astimezone(paris), at(10), at(11)]
    found = slots(starts=starts)
    assert [s.start for s in found] == [at(10), at(11), at(12)]
    assert all(s.start.tzinfo is UTC for s in found)


def test_free_slots_bad_input():
    with pytest.raises(ValueError, match="positive length"):
        slots(length=timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        slots(starts=[datetime(2025, 1, 6, 10)])
    assert slots(starts=[]) == []
    assert slots(estheticians=[]) == []


def test_free_slots_busy_interval_reaching_in_from_outside_the_grid():
    early = calendar(1, hours=((6, 17),), busy=[(at(0), at(9, 30))])
    assert starts_of(slots(estheticians=[early]))[0] == 10


def test_is_free():
    cal = calendar(1, hours=((9, 12), (12, 17)), busy=[(13, 14)])
    assert is_free(cal, span(at(9), at(10)))
    assert is_free(cal, span(at(11), at(13)))  # across touching windows, back-to-back
    assert is_free(cal, span(at(14), at(17)))
    assert not is_free(cal, span(at(13, 30), at(14, 30)))
    assert not is_free(cal, span(at(8, 45), at(9, 45)))
    assert not is_free(cal, span(at(16, 30), at(17, 30)))
    assert not is_free(calendar(1, hours=()), span(at(9), at(10)))


# -- property: against a brute-force model ------------------------------------

ORIGIN = utc(2025, 3, 3)
TICKS = 3 * 96  # three days of 15-minute ticks


def tick(n: int) -> datetime:
    return ORIGIN + MINUTES_15 * n


@st.composite
def intervals(draw, most: int, longest: int, split: bool = False):
    """Up to ``most`` intervals on the 15-minute ticks; ``split`` cuts some in
    two touching pieces, the case where windows must join up."""
    found: list[Interval] = []
    for _ in range(draw(st.integers(0, most))):
        start = draw(st.integers(-8, TICKS))
        end = start + draw(st.integers(1, longest))
        cut = draw(st.integers(start, end - 1)) if split else start
        if cut > start:
            found += [Interval(tick(start), tick(cut)), Interval(tick(cut), tick(end))]
        else:
            found.append(Interval(tick(start), tick(end)))
    return tuple(found)


@st.composite
def calendars(draw, first_id: int, least: int, shared) -> list[ResourceCalendar]:
    """Most calendars use the shared opening hours (cut differently), as in a
    clinic; some have hours of their own."""
    found = []
    for n in range(draw(st.integers(least, 3))):
        own = draw(st.booleans()) and draw(st.booleans())
        windows = intervals(4, longest=96, split=True) if own else st.just(shared)
        available = draw(windows)
        if not own and available and draw(st.booleans()):
            first, *rest = available
            cut = first.start + MINUTES_15 * draw(st.integers(1, 95))
            if cut < first.end:
                available = (
                    Interval(first.start, cut),
                    Interval(cut, first.end),
                    *rest,
                )
        found.append(ResourceCalendar(first_id + n, available, draw(intervals(5, 12))))
    return found


def start_grids():
    """A whole grid (every 15, 30 or 60 minutes) or a random handful of ticks."""
    whole = st.sampled_from([1, 2, 4]).map(
        lambda step: [tick(k) for k in range(0, TICKS, step)]
    )
    return whole | st.lists(st.integers(0, TICKS - 1).map(tick), max_size=60)


@st.composite
def clinics(draw):
    shared = draw(intervals(3, longest=96).filter(bool))
    return (
        draw(calendars(1, 1, shared)),
        draw(calendars(100, 1, shared)),
        draw(calendars(200, 0, shared) | st.none()),
    )


def covered(windows: tuple[Interval, ...], start: datetime, end: datetime) -> bool:
    """[start, end) inside the union: start and every window end within it are."""

    def point(t: datetime) -> bool:
        return any(w.start <= t < w.end for w in windows)

    return point(start) and all(point(w.end) for w in windows if start < w.end < end)


def free(cal: ResourceCalendar, start: datetime, end: datetime) -> bool:
    clear = all(not (b.start < end and start < b.end) for b in cal.busy)
    return clear and covered(cal.available, start, end)


def brute_force(length, starts, estheticians, rooms, devices) -> list[Slot]:
    expected = []
    for start in sorted(set(starts)):
        end = start + length
        room = next((r.id for r in rooms if free(r, start, end)), None)
        device = None
        if devices is not None:
            device = next((d.id for d in devices if free(d, start, end)), None)
        for esthetician in estheticians:
            usable = room is not None and (devices is None or device is not None)
            if usable and free(esthetician, start, end):
                expected.append(Slot(start, end, esthetician.id, room, device))
    return expected


@settings(max_examples=300, deadline=None)
@given(
    length=st.integers(1, 8).map(lambda n: MINUTES_15 * n),
    starts=start_grids(),
    clinic=clinics(),
)
def test_free_slots_match_brute_force(length, starts, clinic):
    estheticians, rooms, devices = clinic
    found = free_slots(
        length=length,
        starts=starts,
        estheticians=estheticians,
        rooms=rooms,
        devices=devices,
    )
    assert found == brute_force(length, starts, estheticians, rooms, devices)
    by_id = {c.id: c for c in estheticians + rooms + (devices or [])}
    for slot in found:
        slot_span = slot.interval
        used = [slot.esthetician_id, slot.room_id]
        used += [] if slot.device_id is None else [slot.device_id]
        for ident in used:
            assert is_free(by_id[ident], slot_span)
            assert not any(b.overlaps(slot_span) for b in by_id[ident].busy)
    returned = {(s.start, s.esthetician_id) for s in found}
    for start in starts:
        for esthetician in estheticians:
            end = start + length
            all_free = (
                free(esthetician, start, end)
                and any(free(r, start, end) for r in rooms)
                and (devices is None or any(free(d, start, end) for d in devices))
            )
            assert ((start, esthetician.id) in returned) == all_free


# -- a clinic month (correctness only; the timing is measured outside tests) --


def month_calendars(rng: random.Random):
    first, last = date(2025, 3, 10), date(2025, 4, 8)  # crosses 30 March
    weekly = {d: [(time(9), time(13)), (time(13, 30), time(19))] for d in range(6)}
    hours = expand_hours(weekly, first, last, LONDON)
    days = expand_hours(
        {d: [(time(8), time(20))] for d in range(7)}, first, last, LONDON
    )

    def busy(windows, count):
        found = []
        for _ in range(count):
            window = rng.choice(windows)
            start = window.start + MINUTES_15 * rng.randrange(40)
            found.append(Interval(start, start + MINUTES_15 * rng.randint(2, 6)))
        return tuple(found)

    estheticians = [
        ResourceCalendar(n, tuple(hours), busy(hours, 300)) for n in range(20)
    ]
    rooms = [ResourceCalendar(100 + n, tuple(days), busy(days, 300)) for n in range(10)]
    devices = [
        ResourceCalendar(200 + n, tuple(days), busy(days, 300)) for n in range(10)
    ]
    return grid_starts(first, last, LONDON, 15), estheticians, rooms, devices


def test_a_busy_month_is_correct():
    rng = random.Random(4)
    starts, estheticians, rooms, devices = month_calendars(rng)
    length = timedelta(minutes=75)
    found = free_slots(
        length=length,
        starts=starts,
        estheticians=estheticians,
        rooms=rooms,
        devices=devices,
    )
    assert len(starts) == 2876 and found
    by_id = {c.id: c for c in estheticians + rooms + devices}
    for slot in found:
        for ident in (slot.esthetician_id, slot.room_id, slot.device_id):
            assert is_free(by_id[ident], slot.interval)
    returned = {(s.start, s.esthetician_id) for s in found}
    for _ in range(2000):
        start, esthetician = rng.choice(starts), rng.choice(estheticians)
        end = start + length
        all_free = (
            free(esthetician, start, end)
            and any(free(r, start, end) for r in rooms)
            and any(free(d, start, end) for d in devices)
        )
        assert ((start, esthetician.id) in returned) == all_free


# -- Timeline: clipping a calendar to part of its window ------------------------


@settings(max_examples=300, deadline=None)
# One ending where the window starts, behind a longer one that reaches into it.
@example(pairs=[(0, 8), (2, 2)], low=4, width=2)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 95), st.integers(1, 16)), max_size=30),
    low=st.integers(0, 100),
    width=st.integers(1, 30),
)
def test_timeline_finds_exactly_the_intervals_touching_a_window(pairs, low, width):
    # Overlapping, nested and touching intervals in any order, as busy times
    # (a run, a block over it, time off) can be.
    def quarters(first: int, count: int) -> Interval:
        return span(at(0) + MINUTES_15 * first, at(0) + MINUTES_15 * (first + count))

    intervals = [quarters(first, count) for first, count in pairs]
    window = quarters(low, width)
    found = Timeline(intervals).touching(window.start, window.end)
    assert sorted(found, key=lambda i: (i.start, i.end)) == sorted(
        (i for i in intervals if i.overlaps(window)), key=lambda i: (i.start, i.end)
    )
    assert [i.start for i in found] == sorted(i.start for i in found)


def test_calendar_timelines_clip_windows_and_busy_times():
    whole = calendar(7, hours=((8, 12), (13, 18)), busy=((9, 10), (14, 15), (16, 17)))
    clipped = CalendarTimelines(whole).clipped(at(13), at(16))
    assert clipped == calendar(7, hours=((13, 18),), busy=((14, 15),))
