"""Journey 8: an admin exports a client's record as JSON and as PDF from the
profile, and opens the erase page: a wrong confirmation word is refused next
to the field, and a client with recent clinical activity cannot be erased
before the retention period ends (the page and the refusal name the date).
A client registered with no clinical record is then erased for real."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import Journey, click_nav, clinic_today, find_client, pdf_text

ADMIN = "owner@demo.clinic"
CLIENT = "Amélie Laurent"  # a recent intake in the demo; no other journey uses her
REASON = "The client's written request of 3 May."
RETENTION_YEARS = 8  # CLINICAL_RECORD_RETENTION_YEARS, the default


def export(journey: Journey, page: Page, fmt: str, label: str) -> bytes:
    """Choose the format under Privacy, press Export record, keep the file."""
    privacy = page.get_by_role("region", name="Privacy")
    privacy.get_by_label(label).check()
    with page.expect_download() as download_info:
        privacy.get_by_role("button", name="Export record").click()
    download = download_info.value
    assert re.fullmatch(
        rf"client-\d+-record-{clinic_today().isoformat()}\.{fmt}",
        download.suggested_filename,
    ), download.suggested_filename
    target = journey.shots / download.suggested_filename
    download.save_as(target)
    journey.step(page, f"exported-{fmt}")
    return target.read_bytes()


def submit_erase(page: Page, confirmation: str, *, status: int, force: bool):
    page.get_by_label("Reason").fill(REASON)
    page.get_by_label("Type ERASE to confirm").fill(confirmation)
    button = page.get_by_role("button", name="Erase (anonymise) this client")
    if force:
        # The button is disabled while the retention runs: re-enable it by
        # hand, as a forged request would, to see the server refuse too.
        expect(button).to_be_disabled()
        button.evaluate("b => { b.disabled = false; b.classList.remove('disabled'); }")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        button.click()
    assert posted.value.status == status, posted.value.status


def expect_confirmation_error(page: Page) -> None:
    field = page.get_by_label("Type ERASE to confirm")
    expect(field).to_have_attribute("aria-invalid", "true")
    error_id = f"{field.get_attribute('id')}-error"
    expect(field).to_have_attribute("aria-describedby", re.compile(error_id))
    expect(page.locator(f"#{error_id}")).to_have_text(
        "Type ERASE in capital letters to confirm."
    )


def test_export_and_erasure(journey, server):
    page = journey.sign_in(ADMIN)
    find_client(journey, page, "Laurent", CLIENT)
    profile_url = page.url

    record = json.loads(export(journey, page, "json", "JSON (machine-readable)"))
    assert record["format"] == "clinic-client-record"
    assert record["format_version"] == 1
    assert record["client"]["full_name"] == CLIENT
    assert record["counts"]["intakes"] >= 1, record["counts"]
    pdf = export(journey, page, "pdf", "PDF (readable, to give to the client)")
    assert pdf.startswith(b"%PDF")
    assert "Laurent" in pdf_text(pdf)

    # Erasure: refused while the retention period runs, with its end date.
    page.get_by_role("link", name="Erase (anonymise)…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Erase (anonymise) {CLIENT}"
    )
    ends = page.locator("#retention-ends").inner_text()
    assert int(ends.split()[-1]) >= clinic_today().year + RETENTION_YEARS, ends
    expect(page.locator("main")).to_contain_text(f"cannot be erased before {ends}")
    journey.step(page, "erase-retention-running")

    submit_erase(page, "erase", status=400, force=True)
    expect_confirmation_error(page)
    journey.step(page, "erase-wrong-confirmation")
    submit_erase(page, "ERASE", status=409, force=True)
    expect(page.locator("#erase-problem")).to_contain_text(
        f"The clinical record must be kept until {ends}"
    )
    journey.step(page, "erase-refused")
    page.goto(profile_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(CLIENT)
    journey.step(page, "profile-not-erased")

    # A client with no clinical record at all can be erased at once.
    width = server.viewport["width"]
    given, family = "Erasure", f"Journey {width}"
    click_nav(page, "Clients")
    journey.step(page, "clients")
    page.get_by_role("link", name="Register a client").first.click()
    journey.step(page, "register-form")
    page.get_by_label("First name(s)").fill(given)
    page.get_by_label("Last name").fill(family)
    page.get_by_label("Date of birth").fill("1985-05-03")
    page.get_by_label("Phone", exact=True).fill("07700 900998")
    page.get_by_label("Email").fill(f"erasure{width}@example.com")
    page.get_by_role("button", name="Save client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{given} {family}")
    journey.step(page, "new-client")
    page.get_by_role("link", name="Erase (anonymise)…").click()
    expect(page.locator("main")).to_contain_text("can be erased now")
    journey.step(page, "erase-no-record")
    submit_erase(page, "Erase", status=400, force=False)
    expect_confirmation_error(page)
    journey.step(page, "erase-no-record-wrong-confirmation")
    submit_erase(page, "ERASE", status=302, force=False)
    expect(page.locator(".flash-messages")).to_contain_text("was erased (anonymised)")
    expect(page.locator("main")).not_to_contain_text(family)
    journey.step(page, "erased")
    journey.finish()
