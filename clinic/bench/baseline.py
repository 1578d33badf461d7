"""The yardstick of the day calendar: its template rendered from static data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from flask import render_template, request

from clinic.bench.data import GIVEN, RARE
from clinic.bench.seed import EXPRESS, QUARTER

_STATIC_DAYS: dict[tuple[int, int], list] = {}


def _static_columns(count: int, cancelled: int) -> list:
    """A day of ``count`` made-up appointments in 20 columns (built once)."""
    from clinic.scheduling.models import AppointmentStatus

    key = (count, cancelled)
    if key not in _STATIC_DAYS:
        base = datetime(2030, 1, 7, 7, tzinfo=UTC)
        people = [SimpleNamespace(name=f"Esthetician {n:02d}") for n in range(20)]
        columns = [(n + 1, person.name, []) for n, person in enumerate(people)]
        for n in range(count):
            column = n % len(columns)
            start = base + (n // len(columns)) * QUARTER
            columns[column][2].append(
                SimpleNamespace(
                    id=1_000_000 + n,
                    status=AppointmentStatus.CANCELLED
                    if n < cancelled
                    else AppointmentStatus.BOOKED,
                    starts_at=start,
                    ends_at=start + QUARTER,
                    client=SimpleNamespace(
                        full_name=f"{GIVEN[n % 40]} {RARE[n % 500]}"
                    ),
                    service=SimpleNamespace(name=EXPRESS),
                    session_number=None if n % 3 else n % 10 + 1,
                    session_label=f"Session {n % 10 + 1} of 10",
                    room=SimpleNamespace(name=f"Bench room {column % 10 + 1:02d}"),
                    device=SimpleNamespace(name=f"Bench device {column % 10 + 1:02d}"),
                    esthetician=people[column],
                )
            )
        _STATIC_DAYS[key] = columns
    return _STATIC_DAYS[key]


def baseline():
    """The day calendar's template from static data: no database, same size."""
    from clinic.scheduling.forms import ActionForm

    count = min(max(request.args.get("n", 500, type=int), 0), 5000)
    cancelled = min(max(request.args.get("cancelled", 0, type=int), 0), count)
    day = date(2030, 1, 7)
    return render_template(
        "scheduling/day.html",
        day=day,
        by="esthetician",
        columns=_static_columns(count, cancelled),
        count=count - cancelled,
        action_form=ActionForm(),
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
    )
