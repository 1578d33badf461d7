"""Erasure (anonymisation) through the erase page: refused inside the retention
period with its end date, refused without the confirmation, admins only; and
outside it, no identifying string left anywhere in the database while the
record's structure, the statistics and the audit chain survive."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from clinic.aftercare.models import AftercarePrint
from clinic.audit import verify_chain
from clinic.extensions import db
from clinic.intake.models import Intake, IntakeAnswer, IntakeLink
from clinic.privacy.erasure import Retention
from clinic.roles import Role
from clinic.scheduling.models import Appointment
from clinic.visits.models import Amendment, Visit, ZoneNote
from tests.aftercare.support import CLINIC_SETTINGS
from tests.clients.support import field_error, page_text
from tests.helpers import csrf_token
from tests.intake.support import make_client
from tests.privacy.support import (
    FULL_NAME,
    IDENTIFYING,
    arrange_record,
    audit_actions,
    count,
    find_strings,
    frozen_clock,
    load_client,
)
from tests.scheduling.support import signed_in_browser

pytestmark = pytest.mark.app_config(**CLINIC_SETTINGS)

# The record's last clinical activity is the cancelled appointment of
# 29 March 2027; with the default 8 years, retention ends on 29 March 2035.
RETENTION_ENDS = "29 March 2035"
INSIDE = datetime(2035, 3, 28, 12, 0, tzinfo=UTC)
OUTSIDE = datetime(2035, 3, 29, 12, 0, tzinfo=UTC)  # the first day allowed


@pytest.fixture
def record(app):
    with frozen_clock():
        return arrange_record(app)


def browser_as(app, make_user, role: Role):
    user = make_user(role)
    return signed_in_browser(app, user.email), user


def erase(browser, client_id: int, **fields):
    url = f"/clients/{client_id}/erase"
    data = {"reason": "Written request of 1 March", "confirmation": "ERASE"}
    data.update(fields)
    return browser.post(url, data={**data, "csrf_token": csrf_token(browser, url)})


def snapshot(app, client_id: int) -> dict:
    """Row counts of the client's record."""
    visits = select(Visit.id).where(Visit.client_id == client_id)
    intakes = select(Intake.id).where(Intake.client_id == client_id)
    return {
        "intakes": count(app, Intake, Intake.client_id == client_id),
        "answers": count(app, IntakeAnswer, IntakeAnswer.intake_id.in_(intakes)),
        "visits": count(app, Visit, Visit.client_id == client_id),
        "zone_notes": count(app, ZoneNote, ZoneNote.visit_id.in_(visits)),
        "amendments": count(app, Amendment, Amendment.visit_id.in_(visits)),
        "appointments": count(app, Appointment, Appointment.client_id == client_id),
        "prints": count(app, AftercarePrint, AftercarePrint.client_id == client_id),
    }


def test_refused_inside_the_retention_period_with_its_end_date(app, make_user, record):
    with time_machine.travel(INSIDE, tick=True):
        browser, _admin = browser_as(app, make_user, Role.ADMIN)
        page = browser.get(f"/clients/{record.client_id}/erase")
        assert page.status_code == 200
        assert RETENTION_ENDS in page_text(page)
        response = erase(browser, record.client_id)
    assert response.status_code == 409
    text = page_text(response)
    assert f"must be kept until {RETENTION_ENDS}" in text
    assert "29 March 2027" in text  # the last clinical activity it counts from
    client = load_client(app, record.client_id)
    assert client.full_name == FULL_NAME and client.erased_at is None
    assert not find_strings(app, ["Erased client"])
    assert "client.erased" not in [
        a for a, _u, _d in audit_actions(app, record.client_id)
    ]


@pytest.mark.app_config(**CLINIC_SETTINGS, CLINICAL_RECORD_RETENTION_YEARS=10)
def test_the_retention_period_is_a_setting(app, make_user, record):
    with time_machine.travel(OUTSIDE, tick=True):
        browser, _admin = browser_as(app, make_user, Role.ADMIN)
        response = erase(browser, record.client_id)
    assert response.status_code == 409
    assert "must be kept until 29 March 2037" in page_text(response)


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"confirmation": "erase"}, "confirmation", "Type ERASE in capital letters"),
        ({"confirmation": FULL_NAME}, "confirmation", "Type ERASE in capital letters"),
        ({"confirmation": ""}, "confirmation", "Type ERASE to confirm."),
        ({"reason": ""}, "reason", "Say why the record is erased"),
    ],
)
def test_confirmation_and_reason_are_required(
    app, make_user, record, fields, field_id, message
):
    with time_machine.travel(OUTSIDE, tick=True):
        browser, _admin = browser_as(app, make_user, Role.ADMIN)
        response = erase(browser, record.client_id, **fields)
    assert response.status_code == 400
    assert message in field_error(response, field_id)
    assert load_client(app, record.client_id).erased_at is None
    assert find_strings(app, ["Quillane"])


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
def test_only_admins_erase(app, make_user, record, role):
    with time_machine.travel(OUTSIDE, tick=True):
        browser, _user = browser_as(app, make_user, role)
        assert browser.get(f"/clients/{record.client_id}/erase").status_code == 403
        token = csrf_token(browser, "/dashboard")
        response = browser.post(
            f"/clients/{record.client_id}/erase",
            data={"reason": "x", "confirmation": "ERASE", "csrf_token": token},
        )
    assert response.status_code == 403
    assert load_client(app, record.client_id).erased_at is None


def test_erasure_leaves_no_identifying_string_and_keeps_the_structure(
    app, make_user, record
):
    before = snapshot(app, record.client_id)
    other_before = find_strings(app, ["Olive Other"])
    assert {needle for _t, _c, needle in find_strings(app, IDENTIFYING)} == set(
        IDENTIFYING
    ), "the arranged record should hold every identifying string"

    with time_machine.travel(OUTSIDE, tick=True):
        browser, admin = browser_as(app, make_user, Role.ADMIN)
        response = erase(browser, record.client_id)
        assert response.status_code == 302, page_text(response)[:500]
        profile = browser.get(response.location)

    assert find_strings(app, IDENTIFYING) == []
    assert snapshot(app, record.client_id) == before
    assert find_strings(app, ["Olive Other"]) == other_before  # others untouched

    client = load_client(app, record.client_id)
    assert client.full_name == "Erased client"
    assert client.date_of_birth == date(1984, 1, 1)  # the year is kept
    assert client.erased_at is not None and client.archived_at is not None
    assert client.erasure_reason == "Written request of 1 March"
    with app.app_context():
        visit = db.session.get(Visit, record.visit_id)
        assert visit.signed and [n.current_ua for n in visit.zone_notes] == [
            200.0,
            200.0,
        ]
        links = db.session.scalars(
            select(IntakeLink).where(IntakeLink.client_id == record.client_id)
        ).all()
        assert links and all(link.revoked_at is not None for link in links)
        assert verify_chain().ok

    (erased,) = [
        a for a in audit_actions(app, record.client_id) if a[0] == "client.erased"
    ]
    assert erased[1] == admin.id
    assert "retention 8 years; last clinical activity 2027-03-29" in erased[2]

    text = page_text(profile)
    assert profile.status_code == 200
    assert "Erased client" in text
    assert "Edit details" not in text and "Book an appointment" not in text


def test_an_erased_client_is_closed(app, make_user, record):
    with time_machine.travel(OUTSIDE, tick=True):
        browser, _admin = browser_as(app, make_user, Role.ADMIN)
        assert erase(browser, record.client_id).status_code == 302
        # Editing, restoring and erasing again are refused; nothing changes.
        edit = browser.get(f"/clients/{record.client_id}/edit")
        assert edit.status_code == 303
        token = csrf_token(browser, "/dashboard")
        restore = browser.post(
            f"/clients/{record.client_id}/restore", data={"csrf_token": token}
        )
        assert restore.status_code == 303
        again = erase(browser, record.client_id)
        assert again.status_code == 409
        assert "already erased" in page_text(again)
        # The stored sheet lost the name: it is not reprinted as if it were
        # the sheet that was handed out, nor printed anew.
        reprint = browser.get(f"/aftercare/prints/{record.print_id}.pdf")
        assert reprint.status_code == 410
        assert "erased" in page_text(reprint)
        new_print = browser.post(
            f"/visits/{record.visit_id}/aftercare", data={"csrf_token": token}
        )
        assert new_print.status_code == 409
        # The export still works and shows the placeholders.
        export = browser.post(
            f"/clients/{record.client_id}/export",
            data={"format": "json", "csrf_token": token},
        )
    assert export.status_code == 200
    exported = export.get_json()
    assert exported["client"]["full_name"] == "Erased client"
    assert exported["client"]["erased_at"]
    assert exported["intakes"][0]["signature"]["name"] == "[erased]"
    client = load_client(app, record.client_id)
    assert client.archived_at is not None and client.erased_at is not None


def test_a_client_without_clinical_record_is_erasable_at_once(app, make_user):
    with frozen_clock():
        client_id = make_client(app, given_name="Quentin", family_name="Quickly")
        browser, _admin = browser_as(app, make_user, Role.ADMIN)
        page = browser.get(f"/clients/{client_id}/erase")
        assert "no clinical record" in page_text(page)
        assert erase(browser, client_id).status_code == 302
    assert find_strings(app, ["Quentin", "Quickly"]) == []


def test_retention_counts_whole_years_from_the_last_activity():
    leap = Retention(8, date(2028, 2, 29))
    assert leap.ends_on == date(2036, 2, 29)
    assert not leap.over_on(date(2036, 2, 28)) and leap.over_on(date(2036, 2, 29))
    assert Retention(8, None).over_on(date(2000, 1, 1))
