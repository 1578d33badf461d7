"""The series planner (pure, no app): gaps, weekdays, nearest times, problems."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.scheduling.availability import (
    ResourceCalendar,
    Slot,
    expand_hours,
    free_slots,
    grid_starts,
)
from clinic.scheduling.planner import (
    ProposedSession,
    Protocol,
    check_gaps,
    group_by_day,
    plan_series,
)

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2025, 1, 6)
TUE, FRI = 1, 4
TWICE_WEEKLY = Protocol(
    sessions=10, min_gap_days=2, preferred_gap_days=3, max_gap_days=5
)
ONE_OR_TWO_WEEKLY = Protocol(
    sessions=12, min_gap_days=3, preferred_gap_days=4, max_gap_days=7
)
TEN_DAYS = Protocol(sessions=6, min_gap_days=7, preferred_gap_days=10, max_gap_days=14)


def day(n: int) -> date:
    """``n`` days after Monday 6 January 2025."""
    return MONDAY + timedelta(days=n)


def slot_at(
    on: date, hour: int, minute: int = 0, esthetician: int = 1, minutes: int = 60
) -> Slot:
    start = datetime.combine(on, time(hour, minute), tzinfo=LONDON).astimezone(UTC)
    return Slot(start, start + timedelta(minutes=minutes), esthetician, 10, None)


def open_days(
    first: date = MONDAY, count: int = 120, hours=range(9, 18), closed=()
) -> dict[date, list[Slot]]:
    """Hourly slots on every day, except the ``closed`` ones."""
    found = {}
    for n in range(count):
        on = first + timedelta(days=n)
        if on not in closed:
            found[on] = [slot_at(on, h) for h in hours]
    return found


def plan(protocol, weekdays=(), slots=None, first_day=MONDAY, at=time(10), **kw):
    return plan_series(
        protocol=protocol,
        first_day=first_day,
        preferred_weekdays=frozenset(weekdays),
        preferred_time=at,
        tz=LONDON,
        slots_by_day=open_days() if slots is None else slots,
        **kw,
    )


def local_day(session: ProposedSession) -> date:
    assert session.start is not None
    return session.start.astimezone(LONDON).date()


def local_days(sessions: list[ProposedSession]) -> list[date]:
    return [local_day(s) for s in sessions]


def gaps(sessions: list[ProposedSession]) -> list[int]:
    return [(b - a).days for a, b in pairwise(local_days(sessions))]


def clock(session: ProposedSession) -> str:
    assert session.start is not None
    return f"{session.start.astimezone(LONDON):%H:%M}"


# -- Protocol ------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [(0, 1, 2, 3), (101, 1, 2, 3), (6, -1, 2, 3), (6, 3, 2, 4), (6, 1, 5, 4)],
)
def test_protocol_refuses_bad_values(values):
    with pytest.raises(ValueError):
        Protocol(*values)


def test_protocol_accepts_edges():
    assert Protocol(1, 0, 0, 0).allows(0)
    assert Protocol(100, 7, 7, 7).allowed_text == "7 days"
    assert TWICE_WEEKLY.allowed_text == "2-5 days"


# -- the protocols of DOMAIN.md ------------------------------------------------


def test_twice_a_week_on_tuesday_and_friday():
    sessions = plan(TWICE_WEEKLY, weekdays={TUE, FRI})
    assert len(sessions) == 10
    assert [s.number for s in sessions] == list(range(1, 11))
    assert local_days(sessions)[0] == date(2025, 1, 7)
    assert gaps(sessions) == [3, 4] * 4 + [3]
    assert {d.weekday() for d in local_days(sessions)} == {TUE, FRI}
    assert {clock(s) for s in sessions} == {"10:00"}
    assert not any(s.moved or s.problem for s in sessions)
    assert [s.target_day for s in sessions] == local_days(sessions)
    assert (local_days(sessions)[-1] - local_days(sessions)[0]).days == 31


def test_one_or_two_a_week():
    monday_thursday = plan(ONE_OR_TWO_WEEKLY, weekdays={0, 3})
    assert gaps(monday_thursday) == [3, 4] * 5 + [3]
    weekly = plan(ONE_OR_TWO_WEEKLY, weekdays={2})
    assert gaps(weekly) == [7] * 11
    assert {d.weekday() for d in local_days(weekly)} == {2}
    any_day = plan(ONE_OR_TWO_WEEKLY)
    assert gaps(any_day) == [4] * 11
    assert local_days(any_day)[0] == MONDAY
    for sessions in (monday_thursday, weekly, any_day):
        assert len(sessions) == 12 and not any(s.moved for s in sessions)


def test_about_ten_days_apart():
    sessions = plan(TEN_DAYS)
    assert gaps(sessions) == [10] * 5
    saturdays = plan(TEN_DAYS, weekdays={5})
    assert gaps(saturdays) == [7] * 5  # Saturday +7 and +14 tie; earlier wins
    assert not any(s.moved for s in sessions + saturdays)


# -- when the wish cannot be met -----------------------------------------------


def test_preferred_time_taken_gives_the_nearest_time_marked_moved():
    slots = open_days()
    slots[date(2025, 1, 7)] = [
        slot_at(date(2025, 1, 7), h, m) for h, m in ((9, 0), (10, 45), (11, 30))
    ]
    first, second = plan(TWICE_WEEKLY, weekdays={TUE, FRI}, slots=slots)[:2]
    assert local_day(first) == first.target_day == date(2025, 1, 7)
    assert clock(first) == "10:45" and first.moved
    assert clock(second) == "10:00" and not second.moved


def test_nearest_time_tie_goes_to_the_earlier():
    slots = {MONDAY: [slot_at(MONDAY, 10, 30), slot_at(MONDAY, 9, 30)]}
    (only,) = plan(Protocol(1, 0, 0, 0), slots=slots)
    assert clock(only) == "09:30" and only.moved


def test_preferred_weekday_full_gives_another_allowed_day_marked_moved():
    friday = date(2025, 1, 10)
    sessions = plan(TWICE_WEEKLY, weekdays={TUE, FRI}, slots=open_days(closed={friday}))
    second = sessions[1]
    # Allowed: Thu 9 .. Sun 12; Thursday and Saturday are 1 day off; earlier wins.
    assert local_day(second) == date(2025, 1, 9)
    assert second.target_day == friday and second.moved and not second.problem
    assert clock(second) == "10:00"
    # Planned on from where it really is: Tuesday is 5 days after Thursday.
    assert local_day(sessions[2]) == date(2025, 1, 14) and not sessions[2].moved


def test_preferred_weekday_prefers_another_preferred_day_in_the_gap():
    slots = open_days(closed={date(2025, 1, 10)})
    sessions = plan(
        Protocol(3, 2, 3, 7), weekdays={TUE, FRI}, slots=slots, first_day=day(1)
    )
    # From Tuesday 7: Friday 10 is full; Tuesday 14 (7 days) is preferred too.
    assert local_days(sessions)[1] == date(2025, 1, 14) and sessions[1].moved


def test_first_session_falls_back_to_other_days_then_reports():
    tuesdays = {d for d in open_days() if d.weekday() == TUE}
    sessions = plan(
        Protocol(2, 2, 3, 5), weekdays={TUE}, slots=open_days(closed=tuesdays)
    )
    assert local_day(sessions[0]) == MONDAY and sessions[0].moved
    assert sessions[0].target_day == date(2025, 1, 7)

    nothing = plan(Protocol(3, 2, 3, 5), weekdays={TUE}, slots={})
    assert [s.start for s in nothing] == [None, None, None]
    assert (
        nothing[0].problem == "No free time between 6 January 2025 and 18 January 2025"
    )
    assert nothing[0].target_day == date(2025, 1, 7)
    assert [s.target_day for s in nothing[1:]] == [date(2025, 1, 10), date(2025, 1, 14)]


def test_nothing_free_within_the_gap_reports_and_plans_the_rest():
    hole = {day(n) for n in range(2, 7)}  # Wednesday 8 .. Sunday 12
    sessions = plan(
        Protocol(4, 2, 3, 5), weekdays={TUE, FRI}, slots=open_days(closed=hole)
    )
    assert len(sessions) == 4
    first, missing, third, fourth = sessions
    assert local_day(first) == date(2025, 1, 7)
    assert missing.start is None and missing.end is None
    assert missing.esthetician_id is missing.room_id is missing.device_id is None
    assert missing.slot is None
    assert missing.problem == (
        "No free time within the allowed gap (2-5 days after session 1)"
    )
    assert missing.target_day == date(2025, 1, 10)
    # Planned as if session 2 had happened on Friday 10.
    assert local_days([third, fourth]) == [date(2025, 1, 14), date(2025, 1, 17)]
    assert not third.moved and not third.problem


def test_earliest_day_is_respected():
    eligible = date(2025, 1, 10)
    sessions = plan(TWICE_WEEKLY, weekdays={TUE, FRI}, earliest_day=eligible)
    assert local_days(sessions)[0] == eligible
    assert all(d >= eligible for d in local_days(sessions))
    any_day = plan(Protocol(3, 0, 0, 2), earliest_day=eligible)
    assert all(d >= eligible for d in local_days(any_day))
    earlier = plan(TWICE_WEEKLY, weekdays={TUE, FRI}, earliest_day=date(2024, 12, 1))
    assert local_days(earlier)[0] == date(2025, 1, 7)  # first_day still counts


def test_earliest_day_holds_after_a_fixed_session_before_it():
    eligible = date(2025, 1, 10)
    before = {1: slot_at(date(2025, 1, 7), 10)}
    sessions = plan(Protocol(2, 0, 1, 5), earliest_day=eligible, fixed=before)
    assert local_days(sessions) == [date(2025, 1, 7), eligible]
    assert sessions[1].target_day == eligible and not sessions[1].moved
    stuck = plan(Protocol(2, 1, 1, 2), earliest_day=eligible, fixed=before)
    assert stuck[1].start is None and stuck[1].target_day == eligible


def test_two_sessions_on_one_day_only_when_allowed_and_never_overlapping():
    slots = {
        MONDAY: [slot_at(MONDAY, 10), slot_at(MONDAY, 10, 30), slot_at(MONDAY, 11)]
    }
    sessions = plan(Protocol(2, 0, 0, 0), slots=slots)
    assert [clock(s) for s in sessions] == ["10:00", "11:00"]
    assert sessions[1].moved and sessions[1].target_day == MONDAY
    single = plan(Protocol(2, 1, 1, 1), slots=slots)
    assert single[1].start is None


def test_the_previous_esthetician_wins_a_tie():
    slots = {
        MONDAY: [
            slot_at(MONDAY, 10, esthetician=2),
            slot_at(MONDAY, 10, esthetician=1),
        ],
        day(1): [
            slot_at(day(1), 10, esthetician=1),
            slot_at(day(1), 10, esthetician=2),
        ],
        day(2): [slot_at(day(2), 10, esthetician=1), slot_at(day(2), 9, esthetician=2)],
    }
    sessions = plan(Protocol(3, 1, 1, 1), slots=slots)
    assert [s.esthetician_id for s in sessions] == [2, 2, 1]  # time beats continuity


# -- fixed sessions ------------------------------------------------------------


def test_fixed_sessions_are_kept_and_the_rest_planned_from_them():
    wednesday = date(2025, 1, 15)
    chosen = slot_at(wednesday, 14, esthetician=3)
    sessions = plan(TWICE_WEEKLY, weekdays={TUE, FRI}, fixed={3: chosen})
    third = sessions[2]
    assert third.slot == chosen and not third.moved and not third.problem
    assert third.target_day == wednesday and third.esthetician_id == 3
    assert local_days(sessions)[:2] == [date(2025, 1, 7), date(2025, 1, 10)]
    # From Wednesday 15: target Saturday 18; Friday 17 is preferred and 1 day off.
    assert local_days(sessions)[3] == date(2025, 1, 17)
    assert gaps(sessions)[1:] == [5, 2] + [4, 3] * 3


def test_fixed_session_breaking_a_gap_is_flagged():
    late = slot_at(date(2025, 1, 21), 10)
    sessions = plan(TWICE_WEEKLY, weekdays={TUE, FRI}, fixed={2: late})
    assert sessions[1].problem == (
        "Session 2 is 14 days after session 1; the protocol allows 2-5 days."
    )
    assert sessions[1].start == late.start


def test_a_fixed_slot_is_never_used_again():
    taken = slot_at(MONDAY, 10)
    slots = {MONDAY: [taken, slot_at(MONDAY, 11)]}
    sessions = plan(Protocol(2, 0, 0, 0), slots=slots, fixed={2: taken})
    assert [clock(s) for s in sessions] == ["11:00", "10:00"]


def test_fixed_numbers_and_weekdays_are_checked():
    with pytest.raises(ValueError, match="not in a series of 10"):
        plan(TWICE_WEEKLY, fixed={11: slot_at(MONDAY, 10)})
    with pytest.raises(ValueError, match="weekdays"):
        plan(TWICE_WEEKLY, weekdays={7})


# -- daylight saving -----------------------------------------------------------


def pipeline_slots(first: date, last: date) -> dict[date, list[Slot]]:
    """Free slots the way the booking service computes them."""
    weekly = {d: [(time(9), time(18))] for d in range(7)}
    hours = tuple(expand_hours(weekly, first, last, LONDON))
    found = free_slots(
        length=timedelta(minutes=60),
        starts=grid_starts(first, last, LONDON, 15),
        estheticians=[ResourceCalendar(1, hours)],
        rooms=[ResourceCalendar(10, hours)],
        devices=[ResourceCalendar(20, hours)],
    )
    return group_by_day(found, LONDON)


@pytest.mark.parametrize(
    "first, utc_hours",
    [(date(2025, 3, 18), [10, 10, 9, 9]), (date(2025, 10, 14), [9, 9, 10, 10])],
)
def test_ten_o_clock_stays_ten_o_clock_across_the_change(first, utc_hours):
    slots = pipeline_slots(first, first + timedelta(days=40))
    sessions = plan(Protocol(4, 7, 7, 7), weekdays={TUE}, slots=slots, first_day=first)
    assert {clock(s) for s in sessions} == {"10:00"}
    assert [s.start.hour for s in sessions] == utc_hours
    assert gaps(sessions) == [7, 7, 7] and not any(s.moved for s in sessions)
    assert all(s.device_id == 20 and s.room_id == 10 for s in sessions)


def test_group_by_day_uses_the_local_day():
    late = Slot(
        datetime(2025, 6, 2, 23, 30, tzinfo=UTC),
        datetime(2025, 6, 3, 0, 30, tzinfo=UTC),
        1,
        10,
        None,
    )
    early = slot_at(date(2025, 6, 3), 9)
    assert group_by_day([late, early], LONDON) == {date(2025, 6, 3): [late, early]}


# -- check_gaps ----------------------------------------------------------------


def test_check_gaps_messages():
    days = [day(0), day(3), day(12), day(13), day(11)]
    assert check_gaps(days, TWICE_WEEKLY) == [
        "Session 3 is 9 days after session 2; the protocol allows 2-5 days.",
        "Session 4 is 1 day after session 3; the protocol allows 2-5 days.",
        "Session 5 is 2 days before session 4; the protocol allows 2-5 days.",
    ]
    assert check_gaps([day(0), day(3), day(7)], TWICE_WEEKLY) == []
    assert check_gaps([], TWICE_WEEKLY) == [] and check_gaps([day(0)], TEN_DAYS) == []
    assert check_gaps([day(0), day(0)], Protocol(2, 7, 7, 7)) == [
        "Session 2 is 0 days after session 1; the protocol allows 7 days."
    ]


# -- properties ----------------------------------------------------------------


@st.composite
def protocols(draw) -> Protocol:
    low = draw(st.integers(0, 5))
    preferred = low + draw(st.integers(0, 5))
    return Protocol(
        draw(st.integers(1, 12)), low, preferred, preferred + draw(st.integers(0, 6))
    )


def random_slots(seed: int, density: float, first: date) -> dict[date, list[Slot]]:
    rng = random.Random(seed)
    found: dict[date, list[Slot]] = {}
    for n in range(260):
        on = first + timedelta(days=n)
        for hour in range(8, 19):
            for esthetician in (1, 2):
                if rng.random() < density:
                    minutes = rng.choice((30, 45, 60, 90))
                    found.setdefault(on, []).append(
                        slot_at(on, hour, rng.choice((0, 30)), esthetician, minutes)
                    )
    return found


@settings(max_examples=150, deadline=None)
@given(
    protocol=protocols(),
    first=st.dates(date(2025, 1, 1), date(2025, 12, 31)),
    late=st.none() | st.integers(0, 20),
    weekdays=st.frozensets(st.integers(0, 6)),
    hour=st.integers(7, 19),
    seed=st.integers(0, 10_000),
    density=st.sampled_from([0.0, 0.02, 0.1, 0.4, 1.0]),
    fix=st.none() | st.tuples(st.integers(1, 12), st.integers(0, 10_000)),
)
def test_plan_properties(protocol, first, late, weekdays, hour, seed, density, fix):
    slots = random_slots(seed, density, first)
    earliest = None if late is None else first + timedelta(days=late)
    fixed = {}
    everything = [s for day_slots in slots.values() for s in day_slots]
    if fix is not None and everything and fix[0] <= protocol.sessions:
        fixed = {fix[0]: everything[fix[1] % len(everything)]}
    sessions = plan_series(
        protocol=protocol,
        first_day=first,
        preferred_weekdays=weekdays,
        preferred_time=time(hour),
        tz=LONDON,
        slots_by_day=slots,
        earliest_day=earliest,
        fixed=fixed,
    )
    assert [s.number for s in sessions] == list(range(1, protocol.sessions + 1))
    floor = max(first, earliest or first)
    for session in sessions:
        if session.number in fixed:
            assert session.slot == fixed[session.number] and not session.moved
            continue
        if session.start is None:
            assert session.problem.startswith("No free time")
            continue
        on = local_day(session)
        assert on >= floor and session.slot in slots[on] and not session.problem
        if not session.moved:
            assert on == session.target_day and clock(session) == f"{hour:02}:00"
    for earlier, later in pairwise(sessions):
        if earlier.start and later.start and later.number not in fixed:
            gap = (local_day(later) - local_day(earlier)).days
            assert protocol.min_gap_days <= gap <= protocol.max_gap_days
    used = [s.slot for s in sessions if s.slot is not None]
    for n, a in enumerate(used):
        for b in used[n + 1 :]:
            assert not (a.start < b.end and b.start < a.end)
