"""Journey 4: the front desk prints a visit's aftercare sheet, then the whole
day's batch; both downloads are PDFs naming the client."""

from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import expect

from tests.e2e.helpers import capture_pdf, find_client, pdf_text

DESK = "desk@demo.clinic"
CLIENT = "Chloé Martin"  # a series in progress with signed visits in the demo


def test_print_aftercare_sheet_and_day_batch(journey):
    desk = journey.sign_in(DESK)
    find_client(journey, desk, "Chloé", CLIENT)
    visits = desk.locator("h3:text-is('Visits') + ul")
    # "Signed", not "Not signed yet" (a regex is case-sensitive).
    first = visits.locator("li").filter(has_text=re.compile("Signed")).first
    print_button = first.get_by_role("button", name="Aftercare sheet")
    expect(print_button, "no aftercare print button on the profile").to_be_visible()

    sheet = capture_pdf(desk, print_button.click)
    (journey.shots / "aftercare-sheet.pdf").write_bytes(sheet)
    assert sheet.startswith(b"%PDF")
    assert CLIENT in pdf_text(sheet)
    journey.step(desk, "sheet-printed")

    # The day of that visit, from the profile ("Sat 14 Nov 2026, 10:30").
    when = first.locator("span").first.inner_text().strip()
    day = datetime.strptime(when, "%a %d %b %Y, %H:%M").date()
    desk.goto(journey.server.url(f"/calendar?date={day.isoformat()}"))
    journey.step(desk, "day-view")
    desk.get_by_role("link", name="Aftercare sheets of the day").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Aftercare sheets")
    expect(desk.get_by_role("row").filter(has_text=CLIENT)).to_have_count(1)
    journey.step(desk, "aftercare-day")

    print_all = desk.get_by_role("button", name="Print all")
    batch = capture_pdf(desk, print_all.click)
    (journey.shots / "aftercare-day.pdf").write_bytes(batch)
    assert batch.startswith(b"%PDF")
    assert CLIENT in pdf_text(batch)
    desk.reload()
    expect(desk.get_by_role("heading", name="Printed batches")).to_be_visible()
    journey.step(desk, "aftercare-day-printed")
    journey.finish()
