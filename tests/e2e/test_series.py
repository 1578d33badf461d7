"""Journey 2: the front desk plans a 10-session series, moves one proposed
session, books them all and finds "Session 1 of 10" on the day view."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.e2e.helpers import clinic_today, find_client

DESK = "desk@demo.clinic"
CLIENT = "Maya Cohen"  # clear, with only a single appointment today


def test_plan_and_book_series(journey):
    desk = journey.sign_in(DESK)
    find_client(journey, desk, "Cohen", CLIENT)
    expect(desk.locator(".eligibility-badge")).to_have_text("Clear")

    desk.get_by_role("link", name="Plan a series").click()
    journey.step(desk, "plan-series")
    desk.get_by_label("Protocol").select_option(label="10 sessions, twice a week")
    first_day = clinic_today() + timedelta(days=7)
    desk.get_by_label("First session on or after").fill(first_day.isoformat())
    desk.get_by_label("Tuesday").check()
    desk.get_by_label("Friday").check()
    desk.get_by_label("Preferred time").fill("15:00")
    journey.step(desk, "plan-series-filled")
    desk.get_by_role("button", name="Propose the sessions").click()

    expect(desk.get_by_role("heading", level=1)).to_contain_text(
        f"10 sessions, twice a week for {CLIENT}"
    )
    rows = desk.locator("table tbody tr")
    expect(rows).to_have_count(10)
    journey.step(desk, "proposal")
    day_1 = desk.get_by_label("Date of session 1", exact=True).input_value()
    day_2 = desk.get_by_label("Date of session 2", exact=True).input_value()
    assert day_1 >= first_day.isoformat()

    # Move the second session to later that afternoon, then check again.
    desk.get_by_label("Time of session 2", exact=True).fill("16:45")
    desk.get_by_role("button", name="Check again").click()
    expect(desk.get_by_label("Time of session 2", exact=True)).to_have_value("16:45")
    expect(desk.locator("tr.table-danger")).to_have_count(0)
    journey.step(desk, "proposal-rechecked")

    desk.get_by_role("button", name="Book all sessions").click()
    expect(desk.get_by_text("All 10 sessions were booked.")).to_be_visible()
    journey.step(desk, "series-booked")

    desk.goto(journey.server.url(f"/calendar?date={day_1}"))
    card = desk.locator("article.appt").filter(has_text=CLIENT)
    expect(card).to_have_count(1)
    expect(card.locator(".session-label")).to_have_text("Session 1 of 10")
    journey.step(desk, "day-of-session-1")

    desk.goto(journey.server.url(f"/calendar?date={day_2}"))
    card = desk.locator("article.appt").filter(has_text=CLIENT)
    expect(card.locator(".session-label")).to_have_text("Session 2 of 10")
    expect(card.locator("time")).to_have_text("16:45")
    journey.step(desk, "day-of-session-2")
    journey.finish()
