"""Journey 1: the front desk registers a client and hands over the tablet; the
client answers and signs with no staff session; the desk sees "Clear"."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import click_nav

DESK = "desk@demo.clinic"


def test_register_client_and_tablet_intake(journey, server):
    width = server.viewport["width"]
    given, family = "Tablet", f"Journey {width}"
    desk = journey.sign_in(DESK)

    click_nav(desk, "Clients")
    journey.step(desk, "clients")
    desk.get_by_role("link", name="Register a client").first.click()
    journey.step(desk, "register-form")
    desk.get_by_label("First name(s)").fill(given)
    desk.get_by_label("Last name").fill(family)
    desk.get_by_label("Date of birth").fill("1990-03-14")
    desk.get_by_label("Phone", exact=True).fill("07700 900999")
    desk.get_by_label("Email").fill(f"tablet{width}@example.com")
    desk.get_by_role("button", name="Save client").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"{given} {family}")
    expect(desk.locator(".eligibility-badge")).to_have_text("No intake")
    journey.step(desk, "profile-no-intake")
    profile_url = desk.url

    desk.get_by_role("button", name="Start a tablet intake").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Tablet intake")
    journey.step(desk, "tablet-link")
    link = desk.get_by_label("Link").input_value()
    assert "/tablet/intake/" in link

    # The tablet: a browser with no staff session at all.
    tablet = journey.new_page("tablet")
    tablet.goto(link)
    expect(tablet.get_by_role("heading", level=1)).to_have_text(f"Welcome, {given}")
    expect(tablet.get_by_role("button", name="Sign out")).to_have_count(0)
    journey.step(tablet, "tablet-questionnaire")
    questions = tablet.locator("fieldset.question")
    assert questions.count() > 5
    for question in questions.all():
        question.get_by_label("No", exact=True).check()
    tablet.get_by_label("I have read and agree to the consent to treatment").check()
    tablet.get_by_label("I have read and agree to the processing of my health").check()
    tablet.get_by_label("Type your full name to sign").fill(f"{given} {family}")
    tablet.get_by_label("My answers are true and complete").check()
    journey.step(tablet, "tablet-filled")
    tablet.get_by_role("button", name="Sign and submit").click()
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Thank you")
    journey.step(tablet, "tablet-thank-you")
    # The link worked once: opening it again shows nothing of the client.
    tablet.goto(link)
    expect(tablet.locator("body")).not_to_contain_text(family)
    journey.step(tablet, "tablet-link-used")

    desk.goto(profile_url)
    expect(desk.locator(".eligibility-badge")).to_have_text("Clear")
    journey.step(desk, "profile-clear")
    journey.finish()
