"""Rescheduling offers the free times of a chosen day, as the booking page does,
and the history reads in clinic time (issue 15, item 7).

The reschedule form took any typed time (10:07 was accepted) and the history
showed raw UTC ("2026-12-09T10:00:00+00:00").
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from tests.scheduling.support import (
    add_client,
    book_directly,
    build_clinic,
    field_error,
    local,
    next_weekday,
    plain,
    today,
)
from tests.scheduling.test_lifecycle import appointment, history, reschedule


@pytest.fixture
def clinic(app):
    return build_clinic(app)


@pytest.fixture
def day(app):
    return next_weekday(today(app) + timedelta(days=7), 1)


def offered(page) -> list[str]:
    """The times offered to move to (the radio buttons of the form)."""
    return re.findall(
        r'<input class="btn-check" type="radio" name="at" id="[^"]+" value="([^"]+)"',
        page.get_data(as_text=True),
    )


def test_the_page_offers_the_free_times_of_the_chosen_day(
    app, client, front_desk, clinic, day
):
    clara, olive = add_client(app, "Clara Client"), add_client(app, "Olive Other")
    mine = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
    )
    # Esthetician 1 is busy at 14:00 with Olive; Clara is busy at 16:00 with 2.
    book_directly(
        app, olive, clinic.service_id, clinic.estheticians[0], local(day, time(14))
    )
    book_directly(
        app, clara, clinic.service_id, clinic.estheticians[1], local(day, time(16))
    )

    # By default: its own day and esthetician, its own time included.
    times = offered(client.get(f"/appointments/{mine}"))
    assert "10:00" in times and "10:15" in times and "09:00" in times
    assert not {"13:00", "14:00", "15:00"} & set(times)  # Olive's, with buffers
    assert not {"15:00", "15:45", "16:30"} & set(times)  # Clara's own at 16:00
    assert "12:45" in times and "15:15" not in times

    other_day = day + timedelta(days=1)
    page = client.get(
        f"/appointments/{mine}?move_day={other_day.isoformat()}"
        f"&move_with={clinic.estheticians[1]}"
    )
    assert page.status_code == 200
    assert f"Free times on {other_day.day} {other_day:%B %Y} with Esthetician 2" in (
        plain(page)
    )
    assert offered(page)[0] == "09:00" and offered(page)[-1] == "16:45"

    moved = reschedule(client, mine, other_day, "11:15", clinic.estheticians[1])
    assert moved.status_code == 302
    assert appointment(app, mine).starts_at == local(other_day, time(11, 15))
    entries = history(client.get(f"/appointments/{mine}"))
    assert entries[-1].endswith(
        f"from {day:%a} {day.day} {day:%b %Y}, 10:00 to "
        f"{other_day:%a} {other_day.day} {other_day:%b %Y}, 11:15"
    )
    assert "+00:00" not in " ".join(entries)


def test_a_time_off_the_grid_is_refused_next_to_the_times(
    app, client, front_desk, clinic, day
):
    clara = add_client(app, "Clara Client")
    mine = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
    )
    refused = reschedule(client, mine, day, "10:07", clinic.estheticians[0])
    assert refused.status_code == 422
    assert field_error(refused, "at") == (
        "10:07 is not on the clinic's 15-minute grid: choose one of the free "
        "times offered."
    )
    # The same day's free times are offered again.
    assert "10:15" in offered(refused)
    assert appointment(app, mine).starts_at == local(day, time(10))


@pytest.mark.parametrize(
    "query", ["move_day=someday", "move_day=2030-01-01&move_with=999999"]
)
def test_a_bad_search_is_a_422_next_to_the_field(
    app, client, front_desk, clinic, day, query
):
    clara = add_client(app, "Clara Client")
    mine = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
    )
    page = client.get(f"/appointments/{mine}?{query}")
    assert page.status_code == 422
    field = "move_day" if "someday" in query else "move_with"
    assert field_error(page, field)
    assert offered(page) == []
