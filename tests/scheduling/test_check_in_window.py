"""Check-in, its undo, no-shows and lateness follow the clock (issue 15, item 5).

Check-in was possible days ahead and could not be undone, and a client who
never came still showed "Check in" hours later. Now: check-in opens
``CHECK_IN_OPENS_MINUTES`` before the start on the appointment's day only,
can be undone until the visit starts, a no-show is offered once the start has
passed, and an appointment 15 minutes past its start without check-in is
flagged late on the calendar, the dashboard and its own page. The pages offer
only what the server accepts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.roles import Role
from tests.helpers import submit
from tests.scheduling.support import (
    add_client,
    appointments_of,
    book_directly,
    build_clinic,
    local,
    plain,
    signed_in_browser,
)

# Tuesday 5 March 2030 in London (GMT, so local = UTC); the appointment is at
# 10:00, booked the evening before.
DAY = datetime(2030, 3, 5, tzinfo=UTC).date()
START = datetime(2030, 3, 5, 10, 0, tzinfo=UTC)
# Clock moves of hours would end the sign-in session: not what is tested.
LONG_SESSIONS = {
    "SESSION_IDLE_TIMEOUT_MINUTES": 72 * 60,
    "SESSION_ABSOLUTE_LIFETIME_HOURS": 72,
}


@pytest.fixture
def clock():
    with time_machine.travel(START - timedelta(hours=14), tick=False) as traveller:
        yield traveller


@pytest.fixture
def setup(app, clock, make_user):
    clinic = build_clinic(app)
    clara = add_client(app, "Clara Client")
    appointment = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[0], START
    )
    desk = make_user(Role.FRONT_DESK)
    return clinic, appointment, signed_in_browser(app, desk.email)


def status(app, appointment_id) -> str:
    [found] = [a for a in appointments_of(app) if a.id == appointment_id]
    return found.status


def act(browser, appointment_id, name):
    return submit(browser, f"/appointments/{appointment_id}/{name}", page="/dashboard")


def offers(page, appointment_id, action) -> bool:
    return f'action="/appointments/{appointment_id}/{action}"' in page.get_data(
        as_text=True
    )


@pytest.mark.app_config(**LONG_SESSIONS)
def test_check_in_opens_an_hour_before_on_the_day_only(app, clock, setup):
    _, appointment, browser = setup
    page = browser.get(f"/appointments/{appointment}")
    assert not offers(page, appointment, "check-in")
    assert "Check-in opens at 09:00 on 5 March." in plain(page)
    refused = act(browser, appointment, "check-in")
    assert refused.status_code == 409
    assert "Check-in opens at 09:00 on 5 March." in plain(refused)

    clock.move_to(START - timedelta(minutes=61))
    assert act(browser, appointment, "check-in").status_code == 409
    assert status(app, appointment) == "booked"

    clock.move_to(START - timedelta(minutes=60))
    assert offers(browser.get(f"/appointments/{appointment}"), appointment, "check-in")
    assert act(browser, appointment, "check-in").status_code == 302
    assert status(app, appointment) == "checked_in"


@pytest.mark.app_config(**LONG_SESSIONS)
def test_late_arrivals_check_in_on_the_day_but_not_the_day_after(app, clock, setup):
    _, appointment, browser = setup
    clock.move_to(datetime.combine(DAY, time(23, 59), tzinfo=UTC))
    assert offers(browser.get("/calendar?date=2030-03-05"), appointment, "check-in")
    clock.move_to(datetime.combine(DAY + timedelta(days=1), time(0, 1), tzinfo=UTC))
    page = browser.get(f"/appointments/{appointment}")
    assert not offers(page, appointment, "check-in")
    assert "Check-in closed at the end of the appointment's day." in plain(page)
    assert act(browser, appointment, "check-in").status_code == 409
    # The no-show is what is left to record.
    assert offers(page, appointment, "no-show")
    assert act(browser, appointment, "no-show").status_code == 302
    assert status(app, appointment) == "no_show"


@pytest.mark.app_config(CHECK_IN_OPENS_MINUTES=15, **LONG_SESSIONS)
def test_the_opening_is_a_setting(app, clock, setup):
    _, appointment, browser = setup
    clock.move_to(START - timedelta(minutes=16))
    assert "Check-in opens at 09:45 on 5 March." in plain(
        act(browser, appointment, "check-in")
    )
    clock.move_to(START - timedelta(minutes=15))
    assert act(browser, appointment, "check-in").status_code == 302


@pytest.mark.app_config(**LONG_SESSIONS)
def test_a_check_in_can_be_undone_until_the_visit_starts(app, clock, setup):
    clinic, appointment, browser = setup
    clock.move_to(START - timedelta(minutes=5))
    assert act(browser, appointment, "check-in").status_code == 302
    page = browser.get(f"/appointments/{appointment}")
    assert offers(page, appointment, "undo-check-in")
    assert act(browser, appointment, "undo-check-in").status_code == 302
    assert status(app, appointment) == "booked"
    history = plain(browser.get(f"/appointments/{appointment}"))
    assert "Check in undone by Front desk" in history

    # Checked in again and the visit started: the undo is gone, and refused.
    assert act(browser, appointment, "check-in").status_code == 302
    esthetician = signed_in_browser(app, clinic.esthetician_emails[0])
    started = submit(
        esthetician,
        f"/appointments/{appointment}/visit",
        {"changed": "no"},
    )
    assert started.status_code == 302, started.status_code
    page = browser.get(f"/appointments/{appointment}")
    assert not offers(page, appointment, "undo-check-in")
    refused = act(browser, appointment, "undo-check-in")
    assert refused.status_code == 409
    assert "The visit has started: the check-in cannot be undone." in plain(refused)
    assert status(app, appointment) == "checked_in"


@pytest.mark.app_config(**LONG_SESSIONS)
def test_no_show_is_offered_from_the_start_and_late_after_15_minutes(app, clock, setup):
    _, appointment, browser = setup
    clock.move_to(START - timedelta(minutes=1))
    page = browser.get(f"/appointments/{appointment}")
    assert not offers(page, appointment, "no-show")
    assert "Late" not in plain(page)

    clock.move_to(START + timedelta(minutes=14))
    page = browser.get(f"/appointments/{appointment}")
    assert offers(page, appointment, "no-show")
    for url in (f"/appointments/{appointment}", "/calendar?date=2030-03-05"):
        assert "Late" not in plain(browser.get(url)), url

    clock.move_to(START + timedelta(minutes=15))
    assert "Late: not checked in" in plain(browser.get(f"/appointments/{appointment}"))
    for url in ("/calendar?date=2030-03-05", "/dashboard"):
        body = browser.get(url).get_data(as_text=True)
        assert len(re.findall(r'class="[^"]*late-flag[^"]*"', body)) == 1, url
    # Checked in late: no longer flagged.
    assert act(browser, appointment, "check-in").status_code == 302
    assert "late-flag" not in browser.get("/dashboard").get_data(as_text=True)


def test_the_demo_flow_still_checks_in_through_the_service(app, clock, setup):
    """Arrangements (demo data, other tests) pass the moment of check-in."""
    from clinic.extensions import db
    from clinic.scheduling import services
    from clinic.scheduling.booking import BookingError
    from clinic.scheduling.models import Appointment

    _, appointment, _ = setup
    with app.app_context():
        found = db.session.get(Appointment, appointment)
        with pytest.raises(BookingError):
            services.check_in(found, by_user_id=None)
        services.check_in(found, by_user_id=None, now=local(DAY, time(9, 30)))
        db.session.commit()
    assert status(app, appointment) == "checked_in"


@settings(max_examples=400, deadline=None, database=None)
@given(
    start=st.datetimes(
        min_value=datetime(2030, 3, 29), max_value=datetime(2030, 4, 2)
    ),  # around the spring clock change in London
    minutes=st.integers(-3 * 24 * 60, 3 * 24 * 60),
    opens=st.integers(0, 36 * 60),
)
def test_the_calendars_quick_answer_agrees_with_the_reasoned_one(start, minutes, opens):
    """``Desk.can_check_in`` (asked of every card) is ``check_in_problem`` is None."""
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from clinic.scheduling.desk import Desk
    from clinic.scheduling.models import AppointmentStatus

    start = start.replace(second=0, microsecond=0, tzinfo=UTC)
    desk = Desk(
        now=start + timedelta(minutes=minutes),
        tz=ZoneInfo("Europe/London"),
        check_in_opens=timedelta(minutes=opens),
        late_after=timedelta(minutes=15),
    )
    card = SimpleNamespace(starts_at=start, status=AppointmentStatus.BOOKED)
    assert desk.can_check_in(card) == (desk.check_in_problem(card) is None)
