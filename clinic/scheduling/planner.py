"""Propose the sessions of a microcurrent series from the free slots.

Pure: no Flask, no database, no clock. The caller computes the free slots
(``availability.free_slots``), groups them by local day (``group_by_day``) and
passes them in; the plan is a proposal that the front desk edits (``fixed``)
and the booking service then books all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from clinic.scheduling.availability import Slot

MAX_SESSIONS = 100


@dataclass(frozen=True)
class Protocol:
    """How many sessions, and how many days may pass between two of them.

    Raises ValueError unless 1 <= sessions <= 100 and
    0 <= min_gap_days <= preferred_gap_days <= max_gap_days.
    """

    sessions: int
    min_gap_days: int
    preferred_gap_days: int
    max_gap_days: int

    def __post_init__(self) -> None:
        if not 1 <= self.sessions <= MAX_SESSIONS:
            raise ValueError(f"A series has 1 to {MAX_SESSIONS} sessions.")
        if not 0 <= self.min_gap_days <= self.preferred_gap_days <= self.max_gap_days:
            raise ValueError(
                "Gaps must satisfy 0 <= minimum <= preferred <= maximum days."
            )

    def allows(self, gap_days: int) -> bool:
        return self.min_gap_days <= gap_days <= self.max_gap_days

    @property
    def allowed_text(self) -> str:
        """``"2-5 days"``, or ``"7 days"`` when minimum and maximum agree."""
        low, high = self.min_gap_days, self.max_gap_days
        return _days(low) if low == high else f"{low}-{high} days"


@dataclass(frozen=True)
class ProposedSession:
    """One session of a proposed series.

    ``start`` is None when no free time was found (``problem`` says why); the
    resources and ``end`` are then None too. ``target_day`` is the local day
    the session would have had if everything were free. ``moved`` is True
    when the day or the local time differs from that ideal. ``problem`` also
    flags a front-desk choice that breaks the protocol's gaps.
    """

    number: int
    start: datetime | None
    target_day: date
    moved: bool
    problem: str = ""
    end: datetime | None = None
    esthetician_id: int | None = None
    room_id: int | None = None
    device_id: int | None = None

    @property
    def slot(self) -> Slot | None:
        if self.start is None or self.end is None:
            return None
        if self.esthetician_id is None or self.room_id is None:
            return None
        return Slot(
            self.start, self.end, self.esthetician_id, self.room_id, self.device_id
        )


def _days(count: int) -> str:
    return f"{count} day" if abs(count) == 1 else f"{count} days"


def format_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _gap_message(
    number: int, gap: int, protocol: Protocol, previous: int | None = None
) -> str:
    """Why session ``number`` is badly placed ``gap`` days after session
    ``previous`` (default: the one just before)."""
    previous = number - 1 if previous is None else previous
    where = (
        f"{_days(gap)} after" if gap >= 0 else f"{_days(-gap)} before"
    ) + f" session {previous}"
    steps = number - previous
    allowed = (
        protocol.allowed_text
        if steps == 1
        else f"{steps * protocol.min_gap_days}-{steps * protocol.max_gap_days} "
        f"days between them"
    )
    return f"Session {number} is {where}; the protocol allows {allowed}."


def check_session_gaps(days: Mapping[int, date], protocol: Protocol) -> dict[int, str]:
    """Session number -> why it is badly placed after the session before it.

    ``days`` maps the sessions that take place to their local days; a number
    missing (a cancelled session to re-book) leaves a wider gap: sessions
    ``k`` numbers apart may be ``k`` times the minimum to ``k`` times the
    maximum days apart. A session on or before the day of an earlier-numbered
    one is out of order unless the protocol allows 0 days. Empty when every
    gap is allowed.
    """
    problems = {}
    for previous, number in pairwise(sorted(days)):
        gap, steps = (days[number] - days[previous]).days, number - previous
        if not steps * protocol.min_gap_days <= gap <= steps * protocol.max_gap_days:
            problems[number] = _gap_message(number, gap, protocol, previous)
    return problems


def check_gaps(days: Sequence[date], protocol: Protocol) -> list[str]:
    """A message for each consecutive pair of session days outside the gaps.

    ``days[0]`` is session 1. For example "Session 3 is 9 days after session
    2; the protocol allows 2-5 days." Empty when every gap is allowed.
    """
    return list(check_session_gaps(dict(enumerate(days, start=1)), protocol).values())


def group_by_day(slots: Iterable[Slot], tz: ZoneInfo) -> dict[date, list[Slot]]:
    """Slots keyed by the local day they start on, in the order given."""
    grouped: dict[date, list[Slot]] = {}
    day_of: dict[datetime, date] = {}  # many slots share a start
    for slot in slots:
        day = day_of.get(slot.start)
        if day is None:
            day = day_of[slot.start] = slot.start.astimezone(tz).date()
        grouped.setdefault(day, []).append(slot)
    return grouped


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _overlap(a: Slot, b: Slot) -> bool:
    return a.start < b.end and b.start < a.end


_Choice = tuple[list[date], date, str]
"""Candidate days best first, the ideal day, the message if none is free."""


class _Planner:
    """The state of one ``plan_series`` call: what is taken, what is preferred."""

    def __init__(
        self,
        tz: ZoneInfo,
        preferred_weekdays: frozenset[int],
        preferred_time: time,
        slots_by_day: Mapping[date, Sequence[Slot]],
        taken: list[Slot],
    ) -> None:
        self.tz = tz
        self.weekdays = preferred_weekdays
        self.time = preferred_time.replace(tzinfo=None)
        self.wanted = _seconds(preferred_time)
        self.slots_by_day = slots_by_day
        self.taken = taken
        self.esthetician: int | None = None
        self.local_seconds: dict[datetime, int] = {}

    def off_weekday(self, day: date) -> bool:
        return bool(self.weekdays) and day.weekday() not in self.weekdays

    def local_time(self, slot: Slot) -> time:
        return slot.start.astimezone(self.tz).time()

    def distance(self, slot: Slot) -> int:
        seconds = self.local_seconds.get(slot.start)
        if seconds is None:
            seconds = _seconds(self.local_time(slot))
            self.local_seconds[slot.start] = seconds
        return abs(seconds - self.wanted)

    def nearest(self, day: date) -> Slot | None:
        """The untaken slot of ``day`` nearest the preferred time.

        Ties go to the earlier start, then to the esthetician of the previous
        session (continuity), then to the order given.
        """
        candidates = self.slots_by_day.get(day, ())
        if not candidates:
            return None
        low = min(s.start for s in candidates)
        high = max(s.end for s in candidates)
        clashes = [t for t in self.taken if t.start < high and low < t.end]
        best: Slot | None = None
        best_key: tuple[int, datetime, bool] | None = None
        for slot in candidates:
            if clashes and any(_overlap(slot, t) for t in clashes):
                continue
            key = (
                self.distance(slot),
                slot.start,
                slot.esthetician_id != self.esthetician,
            )
            if best_key is None or key < best_key:
                best, best_key = slot, key
        return best

    def first_days(self, floor: date, protocol: Protocol) -> _Choice:
        """Session 1: preferred weekdays first, earlier first, within reach."""
        days = [floor + timedelta(days=n) for n in range(protocol.max_gap_days + 8)]
        ranked = sorted(days, key=lambda day: (self.off_weekday(day), day))
        failure = (
            f"No free time between {format_day(days[0])} and {format_day(days[-1])}"
        )
        return ranked, ranked[0], failure

    def next_days(
        self, previous: date, number: int, floor: date, protocol: Protocol
    ) -> _Choice:
        """The allowed days after ``previous``, best first."""
        low, high = protocol.min_gap_days, protocol.max_gap_days
        target = previous + timedelta(days=protocol.preferred_gap_days)
        days = [previous + timedelta(days=n) for n in range(low, high + 1)]
        ranked = sorted(
            (day for day in days if day >= floor),
            key=lambda day: (self.off_weekday(day), abs((day - target).days), day),
        )
        failure = (
            "No free time within the allowed gap "
            f"({low}-{high} days after session {number - 1})"
        )
        return ranked, ranked[0] if ranked else max(target, floor), failure

    def place(
        self, number: int, ranked: list[date], ideal: date, failure: str
    ) -> tuple[ProposedSession, date]:
        """The session on the first ranked day with a free slot, and its day."""
        for day in ranked:
            slot = self.nearest(day)
            if slot is not None:
                self.taken.append(slot)
                self.esthetician = slot.esthetician_id
                moved = day != ideal or self.local_time(slot) != self.time
                return _booked(number, slot, ideal, moved), day
        return ProposedSession(number, None, ideal, moved=False, problem=failure), ideal


def _booked(
    number: int, slot: Slot, target_day: date, moved: bool, problem: str = ""
) -> ProposedSession:
    return ProposedSession(
        number=number,
        start=slot.start,
        target_day=target_day,
        moved=moved,
        problem=problem,
        end=slot.end,
        esthetician_id=slot.esthetician_id,
        room_id=slot.room_id,
        device_id=slot.device_id,
    )


def _check_inputs(
    protocol: Protocol, weekdays: frozenset[int], fixed: Mapping[int, Slot]
) -> None:
    if not weekdays <= frozenset(range(7)):
        raise ValueError("Preferred weekdays are 0 (Monday) to 6.")
    for number in fixed:
        if not 1 <= number <= protocol.sessions:
            raise ValueError(
                f"Session {number} is not in a series of {protocol.sessions}."
            )


def plan_series(
    *,
    protocol: Protocol,
    first_day: date,
    preferred_weekdays: frozenset[int],
    preferred_time: time,
    tz: ZoneInfo,
    slots_by_day: Mapping[date, Sequence[Slot]],
    earliest_day: date | None = None,
    fixed: Mapping[int, Slot] | None = None,
) -> list[ProposedSession]:
    """Propose every session of a series; always ``protocol.sessions`` of them.

    Session 1 goes on the first preferred weekday (any day if none are
    preferred) on or after ``max(first_day, earliest_day)`` that has free
    time, looking ``max_gap_days + 7`` days ahead, then on other days. Each
    later session goes ``preferred_gap_days`` after the previous one, on a
    day ``min_gap_days..max_gap_days`` after it, preferring preferred
    weekdays, then closeness to that target, then earlier days; on the day,
    the free slot nearest ``preferred_time`` (local; ties: earlier). No day
    before ``earliest_day`` or ``first_day`` is ever proposed, and no slot
    overlaps another session of the plan.

    Where nothing is free the session has no start and a ``problem``, and the
    rest are planned as if it had taken place on its target day. Sessions in
    ``fixed`` (number -> slot chosen by the front desk) are kept as given
    (never moved, their slots reserved from the start) and the following ones
    planned from them; a fixed session breaking a gap gets a ``problem``.

    Raises ValueError for a weekday outside 0-6 or a fixed session number
    outside the series.
    """
    fixed = dict(fixed or {})
    _check_inputs(protocol, preferred_weekdays, fixed)
    floor = max(first_day, earliest_day) if earliest_day else first_day
    planner = _Planner(
        tz, preferred_weekdays, preferred_time, slots_by_day, list(fixed.values())
    )
    plan: list[ProposedSession] = []
    previous: date | None = None
    for number in range(1, protocol.sessions + 1):
        if number in fixed:
            slot = fixed[number]
            day = slot.start.astimezone(tz).date()
            problem = ""
            if plan and plan[-1].start is not None and previous is not None:
                gap = (day - previous).days
                if not protocol.allows(gap):
                    problem = _gap_message(number, gap, protocol)
            plan.append(_booked(number, slot, day, moved=False, problem=problem))
            planner.esthetician = slot.esthetician_id
            previous = day
            continue
        if previous is None:
            ranked, ideal, failure = planner.first_days(floor, protocol)
        else:
            ranked, ideal, failure = planner.next_days(
                previous, number, floor, protocol
            )
        session, previous = planner.place(number, ranked, ideal, failure)
        plan.append(session)
    return plan
