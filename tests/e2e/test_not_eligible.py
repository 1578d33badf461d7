"""Journey 5: a client with an absolute contraindication cannot be booked; the
booking and series pages say why and offer nothing to press (the server's
refusal of a forced booking is tested through HTTP in tests/scheduling)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.e2e.helpers import clinic_today, find_client

DESK = "desk@demo.clinic"
CLIENT = "Grace O'Neil"  # "Not eligible" in the demo (absolute finding)
REASON = "The health questionnaire rules out microcurrent."


def test_not_eligible_client_cannot_be_booked(journey):
    desk = journey.sign_in(DESK)
    find_client(journey, desk, "Neil", CLIENT)
    expect(desk.locator(".eligibility-badge")).to_have_text("Not eligible")

    desk.get_by_role("link", name="Book an appointment").click()
    journey.step(desk, "book-form")
    day = clinic_today() + timedelta(days=1)
    if day.weekday() == 6:  # the demo's Sunday hours are short; take Monday
        day += timedelta(days=1)
    desk.get_by_label("Day").fill(day.isoformat())
    desk.get_by_role("button", name="Show free times").click()
    alert = desk.get_by_role("alert").filter(has_text="Cannot book that day.")
    expect(alert).to_contain_text(f"Not eligible: {REASON}")
    expect(desk.locator(".slot-list button")).to_have_count(0)
    journey.step(desk, "book-refused")

    desk.get_by_role("link", name=CLIENT).click()
    expect(desk.get_by_text("No upcoming appointment.")).to_be_visible()
    journey.step(desk, "profile-nothing-booked")

    # A series is refused the same way, before anything is planned.
    desk.get_by_role("link", name="Plan a series").click()
    alert = desk.get_by_role("alert").filter(has_text="Cannot plan a series.")
    expect(alert).to_contain_text(f"Not eligible: {REASON}")
    expect(desk.get_by_role("button", name="Propose the sessions")).to_have_count(0)
    journey.step(desk, "series-refused")
    desk.goto(journey.server.url("/dashboard"))
    find_client(journey, desk, "Neil", CLIENT)
    expect(desk.get_by_text("No upcoming appointment.")).to_be_visible()
    journey.finish()
