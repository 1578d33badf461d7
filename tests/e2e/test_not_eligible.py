"""Journey 5: a client with an absolute contraindication cannot be booked; the
booking page says why, offers no bookable time, and the server refuses a
forced booking with the reason."""

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
    slots = desk.locator(".slot-list button")
    for slot in slots.all():
        expect(slot).to_be_disabled()
    journey.step(desk, "book-refused")

    # Even a forced submission (the button re-enabled by hand) is refused.
    if slots.count():
        slots.first.evaluate("button => button.disabled = false")
        with desk.expect_response(lambda r: r.request.method == "POST") as posted:
            slots.first.click()
        assert posted.value.status == 422
        expect(desk.locator(".flash-messages")).to_contain_text(REASON)
        journey.step(desk, "forced-booking-refused")

    desk.get_by_role("link", name=CLIENT).click()
    expect(desk.get_by_text("No upcoming appointment.")).to_be_visible()
    journey.step(desk, "profile-nothing-booked")

    # A series is refused the same way.
    desk.get_by_role("link", name="Plan a series").click()
    desk.get_by_label("Protocol").select_option(label="10 sessions, twice a week")
    desk.get_by_label("First session on or after").fill(day.isoformat())
    desk.get_by_label("Preferred time").fill("11:00")
    desk.get_by_role("button", name="Propose the sessions").click()
    expect(desk.locator("main")).to_contain_text(REASON)
    journey.step(desk, "series-refused")
    desk.get_by_role("button", name="Book all sessions").click()
    expect(desk.locator("main")).to_contain_text(REASON)
    journey.step(desk, "series-book-all-refused")
    desk.goto(journey.server.url("/dashboard"))
    find_client(journey, desk, "Neil", CLIENT)
    expect(desk.get_by_text("No upcoming appointment.")).to_be_visible()
    journey.finish()
