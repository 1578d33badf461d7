"""Journey 3: an esthetician checks a client in, starts the visit, answers the
re-screen question, records zone notes through the face map and signs."""

from __future__ import annotations

import re

from playwright.sync_api import expect

ESTHETICIAN = "esthetician@demo.clinic"
CLIENT = "Maya Cohen"  # Elena's 09:00 appointment today in the demo
ZONES = {
    "forehead": ("Forehead", "200", "10", "60"),
    "cheek_left": ("Cheek (left)", "150.5", "0.5", "45"),
}


def test_check_in_visit_notes_and_sign(journey):
    page = journey.sign_in(ESTHETICIAN)
    today = page.get_by_role("region", name="Your appointments today")
    row = today.get_by_role("row").filter(has_text=CLIENT)
    row.get_by_role("button", name=f"Check in {CLIENT}").click()
    expect(row).to_contain_text("Checked in")
    journey.step(page, "checked-in")

    row.get_by_role("link", name=CLIENT).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CLIENT)
    journey.step(page, "appointment")
    page.get_by_role("link", name="Start the visit").click()
    journey.step(page, "start-visit")
    page.get_by_label("No, nothing changed").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Visit of {CLIENT}")
    journey.step(page, "visit-draft")

    for code, (label, current, frequency, seconds) in ZONES.items():
        zone = page.locator(f"#zone-{code}")
        expect(zone.locator(".zone-fields")).to_be_hidden()
        page.locator(f".facemap a[href='#zone-{code}']").click()
        expect(zone.get_by_label("Treated")).to_be_checked()
        expect(zone.locator("legend")).to_contain_text(label)
        zone.get_by_label("Current (µA)").fill(current)
        zone.get_by_label("Frequency (Hz)").fill(frequency)
        zone.get_by_label("Duration (s)").fill(seconds)
        journey.step(page, f"zone-{code}", scan=False)
    page.get_by_label("Client feedback").fill("Relaxed, light tingling.")
    journey.step(page, "notes-filled")
    page.get_by_role("button", name="Save", exact=True).click()
    for code, (_label, current, _f, _s) in ZONES.items():
        zone = page.locator(f"#zone-{code}")
        expect(zone.get_by_label("Treated")).to_be_checked()
        expect(zone.get_by_label("Current (µA)")).to_have_value(
            re.compile(rf"^{re.escape(current)}0*$|^{re.escape(current)}\.0+$")
        )
        expect(page.locator(f".facemap a[href='#zone-{code}'] title")).to_contain_text(
            "treated", ignore_case=True
        )
    journey.step(page, "visit-saved")

    page.get_by_label("I confirm this record is complete and accurate.").check()
    page.get_by_role("button", name="Sign the visit").click()
    expect(page.get_by_text("Signed by Elena Esthetician")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Forehead")
    expect(page.get_by_role("table")).to_contain_text("150.5")
    journey.step(page, "visit-signed")
    journey.finish()
