"""Journey: the owner opens the audit log from the admin hub, filters it by a
client and an action, pages back, gets a bad date refused next to its field,
checks the whole chain and downloads the filtered entries as CSV."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from tests.e2e.helpers import click_nav

ADMIN = "owner@demo.clinic"
CLIENT = "Priya Shah"  # a series of six sessions in the demo data


def test_the_owner_reads_and_exports_the_audit_log(journey):
    page = journey.sign_in(ADMIN)
    click_nav(page, "Admin")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator(".audit-chain h2")).to_have_text("The log is intact")
    journey.step(page, "audit-log")

    # Newest first, 50 a page: the demo data holds more, so there is an older page.
    page.get_by_role("link", name="Older").click()
    expect(page).to_have_url(re.compile(r"before=\d+"))
    journey.step(page, "older-entries")

    page.get_by_label("Client").fill("Shah")
    page.get_by_label("Action").select_option("appointment.booked")
    page.get_by_role("button", name="Show entries").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.first.get_by_role("link", name=CLIENT)).to_be_visible()
    journey.step(page, "one-clients-bookings")

    # A date the browser would not send, typed into the address: 422, named.
    filtered = page.url
    response = page.goto(filtered.replace("date_from=", "date_from=2026-02-30"))
    assert response is not None and response.status == 422
    date_from = page.get_by_label("From")
    expect(date_from).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#date_from-error")).to_contain_text("YYYY-MM-DD")
    journey.step(page, "bad-date")

    page.goto(filtered)
    page.get_by_role("button", name="Check the whole log now").click()
    expect(page.locator(".alert-success").first).to_contain_text(
        "The whole log was checked"
    )
    expect(page.locator(".audit-chain")).to_contain_text("by Olivia Owner")
    expect(rows).to_have_count(6)  # back to the same filters
    journey.step(page, "whole-log-checked")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these entries (CSV)").click()
    download = download_info.value
    assert re.fullmatch(
        r"audit-log-\d{4}-\d{2}-\d{2}-\d{4}\.csv", download.suggested_filename
    )
    target = journey.shots / download.suggested_filename
    download.save_as(target)
    header, *lines = list(csv.reader(io.StringIO(target.read_text("utf-8"))))
    assert header[:5] == ["Row", "Time (clinic)", "Staff", "Staff id", "Action"]
    assert len(lines) == 6 and {line[5] for line in lines} == {CLIENT}
    journey.finish()
