"""Client export (right of access) through the profile page: JSON and PDF
content, how the download is served, who may export, the audit rows."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from clinic.aftercare.models import AftercarePrint
from clinic.audit import AuditEvent
from clinic.intake.models import IntakeAnswer
from clinic.roles import Role
from clinic.visits.models import ZoneNote
from tests.aftercare.support import CLINIC_SETTINGS, flat
from tests.helpers import csrf_token
from tests.privacy.support import (
    AMENDMENT,
    CANCEL_REASON,
    CLEARANCE_REASON,
    COLD_SORE_DETAILS,
    CONTACT,
    FULL_NAME,
    GIVEN,
    OBSERVATION,
    VISIT_FIELDS,
    arrange_record,
    audit_actions,
    count,
    frozen_clock,
)
from tests.scheduling.support import signed_in_browser

pytestmark = pytest.mark.app_config(**CLINIC_SETTINGS)

TOP_KEYS = {
    "format",
    "format_version",
    "generated_at",
    "generated_by",
    "clinic",
    "client",
    "intakes",
    "series",
    "appointments",
    "visits",
    "aftercare_prints",
    "access_log",
    "counts",
}


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


@pytest.fixture
def record(app):
    return arrange_record(app)


def as_role(app, make_user, role: Role):
    user = make_user(role)
    return signed_in_browser(app, user.email), user


def export(browser, client_id: int, fmt: str):
    profile = f"/clients/{client_id}"
    token = csrf_token(browser, profile)
    return browser.post(
        f"/clients/{client_id}/export", data={"format": fmt, "csrf_token": token}
    )


def check_download(response, client_id: int, fmt: str) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        f'attachment; filename="client-{client_id}-record-2027-03-26.{fmt}"'
    )
    assert "Quillane" not in disposition and "Σοφία" not in disposition


def test_json_export_holds_the_whole_record(app, make_user, record):
    browser, admin = as_role(app, make_user, Role.ADMIN)
    response = export(browser, record.client_id, "json")
    check_download(response, record.client_id, "json")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.get_data()
    assert GIVEN.encode() in body  # UTF-8, not \\u escapes
    data = json.loads(body.decode("utf-8"))

    assert set(data) == TOP_KEYS
    assert data["format"] == "clinic-client-record"
    assert data["format_version"] == 1
    assert data["generated_by"]["id"] == admin.id
    assert data["clinic"]["name"] == CLINIC_SETTINGS["CLINIC_NAME"]
    client = data["client"]
    for key, value in CONTACT.items():
        expected = value.isoformat() if key == "date_of_birth" else value
        assert client[key] == expected, key
    assert client["email"] == CONTACT["email"].casefold()
    assert client["full_name"] == FULL_NAME
    assert client["created_at"].endswith("+00:00")  # ISO 8601, UTC

    counts = data["counts"]
    assert counts == {key: len(data[key]) for key in counts}
    assert counts["intakes"] == 1
    assert counts["series"] == 0
    assert counts["appointments"] == 2
    assert counts["visits"] == 1
    assert counts["aftercare_prints"] == count(app, AftercarePrint) == 1

    (intake,) = data["intakes"]
    assert len(intake["answers"]) == count(
        app, IntakeAnswer, IntakeAnswer.intake_id == record.intake_id
    )
    answers = {a["rule_code"]: a for a in intake["answers"]}
    assert answers["cold_sore"]["answer"] == "yes"
    assert answers["cold_sore"]["zones"] == ["perioral"]
    assert answers["cold_sore"]["details"] == COLD_SORE_DETAILS
    assert intake["signature"] == {"name": FULL_NAME, "agreed": True}
    assert intake["screening"]["outcome"]
    assert intake["consents"]["treatment"]["version"] >= 1
    assert intake["clearance"]["reason"] == CLEARANCE_REASON

    (visit,) = data["visits"]
    assert visit["status"] == "signed"
    assert visit["general_notes"] == VISIT_FIELDS["general_notes"]
    assert len(visit["zone_notes"]) == count(app, ZoneNote) == 2
    forehead = next(n for n in visit["zone_notes"] if n["zone"] == "forehead")
    assert forehead["current_ua"] == 200.0
    assert forehead["observation"] == OBSERVATION
    assert [a["text"] for a in visit["amendments"]] == [AMENDMENT]

    cancelled = next(a for a in data["appointments"] if a["status"] == "cancelled")
    assert cancelled["cancel_reason"] == CANCEL_REASON
    events = [e["event"] for e in cancelled["status_history"]]
    assert events == ["booked", "cancelled"]

    # The access log is every audit row of the client, this export included.
    log = data["access_log"]
    assert len(log) == len(audit_actions(app, record.client_id))
    assert log[-1]["action"] == "client.exported"
    assert log[-1]["by"]["id"] == admin.id
    assert {e["action"] for e in log} >= {"intake.submitted", "visit.signed"}


def test_pdf_export_is_readable(app, make_user, record, tmp_path):
    browser, _admin = as_role(app, make_user, Role.ADMIN)
    response = export(browser, record.client_id, "pdf")
    check_download(response, record.client_id, "pdf")
    assert response.mimetype == "application/pdf"
    data = response.get_data()
    reader = PdfReader(io.BytesIO(data))
    pages = [flat(page.extract_text()) for page in reader.pages]
    text = " ".join(pages)
    assert FULL_NAME in text  # non-Latin letters, and the markup printed literally
    assert "Nguyễn <b>Quillane</b> & Co" in text
    assert CLINIC_SETTINGS["CLINIC_NAME"] in pages[0]
    for heading in (
        "Contact details",
        "Intakes and screening (1)",
        "Appointments (2)",
        "Visits (1)",
        "Aftercare sheets printed (1)",
        "Who accessed or changed this record",
    ):
        assert heading in text, heading
    assert COLD_SORE_DETAILS in text
    assert "Drink water, Σοφία <i>please</i>" in text
    assert AMENDMENT in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert all("Confidential" in page for page in pages)
    (tmp_path / "export.pdf").write_bytes(data)


def test_every_export_is_audited(app, make_user, record):
    browser, admin = as_role(app, make_user, Role.ADMIN)
    export(browser, record.client_id, "json")
    export(browser, record.client_id, "pdf")
    rows = [
        r for r in audit_actions(app, record.client_id) if r[0] == "client.exported"
    ]
    assert rows == [
        ("client.exported", admin.id, "format=json; via=web"),
        ("client.exported", admin.id, "format=pdf; via=web"),
    ]
    # Nothing about the other client was exported or audited.
    assert count(app, AuditEvent, AuditEvent.client_id == record.other_client_id) == 2


def test_an_unknown_format_or_client_is_refused(app, make_user, record):
    browser, _admin = as_role(app, make_user, Role.ADMIN)
    assert export(browser, record.client_id, "xml").status_code == 400
    token = csrf_token(browser, f"/clients/{record.client_id}")
    missing = browser.post(
        "/clients/99999/export", data={"format": "json", "csrf_token": token}
    )
    assert missing.status_code == 404
    no_token = browser.post(
        f"/clients/{record.client_id}/export", data={"format": "json"}
    )
    assert no_token.status_code == 400
    assert count(app, AuditEvent, AuditEvent.action == "client.exported") == 0


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
def test_only_admins_export(app, make_user, record, role):
    browser, _user = as_role(app, make_user, role)
    profile = browser.get(f"/clients/{record.client_id}").get_data(as_text=True)
    assert "/export" not in profile and "Erase (anonymise)" not in profile
    assert export(browser, record.client_id, "json").status_code == 403
    assert count(app, AuditEvent, AuditEvent.action == "client.exported") == 0


def test_admin_profile_offers_export_and_erasure(app, make_user, record):
    browser, _admin = as_role(app, make_user, Role.ADMIN)
    page = browser.get(f"/clients/{record.client_id}").get_data(as_text=True)
    assert f'action="/clients/{record.client_id}/export"' in page
    assert 'value="json"' in page and 'value="pdf"' in page
    assert f'href="/clients/{record.client_id}/erase"' in page
