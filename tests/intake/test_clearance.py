"""Clearance of relative findings: by an esthetician or admin, for one intake."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinic.roles import Role
from tests.helpers import submit
from tests.intake.support import (
    TODAY,
    audit_rows,
    badge,
    clearance,
    clearance_count,
    days_ago,
    field_error,
    frozen_clock,
    load_intake,
    make_client,
    page,
    plain,
    signed_in_client,
    staff_intake,
)


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


def _profile_badge(browser, client_id: int) -> str:
    return badge(browser.get(f"/clients/{client_id}"))


def test_an_esthetician_clears_a_relative_finding(app, client, esthetician):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, {"heart_condition": {}})
    assert _profile_badge(client, client_id) == "Needs clearance"
    assert "Record a clearance" in page(client.get(f"/intakes/{intake_id}"))

    response = clearance(
        client,
        intake_id,
        reason="Cardiologist letter: no objection to microcurrent.",
        physician_note_ref="Dr Okafor, 2 March 2030",
        cleared_on=days_ago(1).isoformat(),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/intakes/{intake_id}"

    stored = load_intake(app, intake_id).clearance
    assert stored.reason == "Cardiologist letter: no objection to microcurrent."
    assert stored.physician_note_ref == "Dr Okafor, 2 March 2030"
    assert stored.cleared_on == days_ago(1)
    assert stored.cleared_by_id == esthetician.id
    # The intake itself is unchanged: its outcome at submission stays.
    assert load_intake(app, intake_id).outcome == "needs_clearance"

    [event] = audit_rows(app, "intake.cleared", client_id)
    assert (event.user_id, event.client_id) == (esthetician.id, client_id)
    assert event.entity_id == str(intake_id)
    assert "heart_condition" in event.details
    assert "Cardiologist" not in event.details

    assert _profile_badge(client, client_id) == "Clear"
    detail = client.get(f"/intakes/{intake_id}")
    assert badge(detail) == "Clear"
    text = plain(detail)
    assert f"Cleared on 4 March 2030 by {esthetician.name}." in text
    assert "Physician's note: Dr Okafor, 2 March 2030" in text
    assert "Record a clearance" not in text


def test_an_admin_may_clear_too(app, client, admin):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, {"diabetes": {}})
    assert clearance(client, intake_id).status_code == 302
    assert load_intake(app, intake_id).clearance.cleared_by_id == admin.id
    assert _profile_badge(client, client_id) == "Clear"


@pytest.mark.parametrize(
    ("yes", "after"),
    [
        # A relative and a temporary finding: both must be satisfied.
        (
            {"thyroid": {}, "botulinum_toxin": {"date": days_ago(5)}},
            "Deferred until 14 March 2030",
        ),
        # Facial surgery: a wait (90 days) and a clearance.
        ({"facial_surgery": {"date": days_ago(10)}}, "Deferred until 24 May 2030"),
        # An absolute finding is never cleared away.
        ({"pregnancy": {}, "thrombosis": {}}, "Not eligible"),
    ],
)
def test_clearance_leaves_the_other_findings_in_force(
    app, client, esthetician, yes, after
):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, yes)
    before = "Not eligible" if "pregnancy" in yes else "Needs clearance"
    assert _profile_badge(client, client_id) == before
    assert clearance(client, intake_id).status_code == 302
    assert _profile_badge(client, client_id) == after


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"reason": ""}, "reason", "Give the reason for the clearance."),
        ({"reason": "  \n "}, "reason", "Give the reason for the clearance."),
        (
            {"cleared_on": (TODAY + timedelta(days=1)).isoformat()},
            "cleared_on",
            "This date cannot be in the future.",
        ),
        ({"cleared_on": ""}, "cleared_on", "Give the date."),
        (
            {"physician_note_ref": "n" * 201},
            "physician_note_ref",
            "Field cannot be longer than 200 characters.",
        ),
    ],
)
def test_a_bad_clearance_is_refused(
    app, client, esthetician, fields, field_id, message
):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, {"blood_pressure": {}})
    response = clearance(client, intake_id, **fields)
    assert response.status_code == 422
    assert message in field_error(response, field_id)
    assert clearance_count(app) == 0
    assert audit_rows(app, "intake.cleared") == []
    assert _profile_badge(client, client_id) == "Needs clearance"


def test_the_front_desk_may_not_clear(app, client, make_user):
    esthetician, _ = signed_in_client(app, make_user, Role.ESTHETICIAN)
    client_id = make_client(app)
    intake_id = staff_intake(app, esthetician, client_id, {"heart_condition": {}})

    front_desk, _ = signed_in_client(app, make_user, Role.FRONT_DESK)
    response = submit(
        front_desk,
        f"/intakes/{intake_id}/clearance",
        {"reason": "looks fine", "cleared_on": TODAY.isoformat()},
        page="/dashboard",
    )
    assert response.status_code == 403
    assert clearance_count(app) == 0
    assert audit_rows(app, "intake.cleared") == []
    assert _profile_badge(front_desk, client_id) == "Needs clearance"


@pytest.mark.parametrize(
    "yes",
    [
        {},
        {"botulinum_toxin": {"date": days_ago(2)}},
        {"epilepsy": {}},
        {"cold_sore": {}},
    ],
)
def test_nothing_to_clear_is_refused_with_a_message(app, client, esthetician, yes):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, yes)
    badge_before = _profile_badge(client, client_id)
    assert "Record a clearance" not in page(client.get(f"/intakes/{intake_id}"))

    response = clearance(client, intake_id)
    assert response.status_code == 422
    assert "This intake has nothing that needs clearance." in page(response)
    assert clearance_count(app) == 0
    assert audit_rows(app, "intake.cleared") == []
    assert _profile_badge(client, client_id) == badge_before


def test_an_intake_is_cleared_once(app, client, esthetician):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, {"heart_condition": {}})
    assert clearance(client, intake_id, reason="first").status_code == 302
    again = clearance(client, intake_id, reason="second")
    assert again.status_code == 422
    assert "This intake was already cleared." in page(again)
    assert load_intake(app, intake_id).clearance.reason == "first"
    assert clearance_count(app) == 1
    assert len(audit_rows(app, "intake.cleared", client_id)) == 1


def test_a_newer_intake_with_a_relative_finding_needs_a_new_clearance(
    app, client, esthetician
):
    client_id = make_client(app)
    first = staff_intake(app, client, client_id, {"heart_condition": {}})
    assert clearance(client, first).status_code == 302
    assert _profile_badge(client, client_id) == "Clear"

    second = staff_intake(app, client, client_id, {"heart_condition": {}})
    assert _profile_badge(client, client_id) == "Needs clearance"
    assert load_intake(app, second).clearance is None

    assert clearance(client, second, reason="Still fine: GP letter").status_code == 302
    assert _profile_badge(client, client_id) == "Clear"
    assert [e.entity_id for e in audit_rows(app, "intake.cleared", client_id)] == [
        str(first),
        str(second),
    ]


def test_a_newer_intake_without_relative_findings_needs_none(app, client, esthetician):
    client_id = make_client(app)
    first = staff_intake(app, client, client_id, {"diabetes": {}})
    staff_intake(app, client, client_id)
    assert _profile_badge(client, client_id) == "Clear"
    assert load_intake(app, first).clearance is None


def test_clearing_an_older_intake_is_refused(app, client, esthetician):
    client_id = make_client(app)
    older = staff_intake(app, client, client_id, {"heart_condition": {}})
    staff_intake(app, client, client_id, {"diabetes": {}})

    assert "Record a clearance" not in page(client.get(f"/intakes/{older}"))
    response = clearance(client, older)
    assert response.status_code == 422
    assert "Only the latest intake can be cleared." in page(response)
    assert clearance_count(app) == 0
    assert audit_rows(app, "intake.cleared") == []
    assert _profile_badge(client, client_id) == "Needs clearance"


def test_clearance_of_an_unknown_intake_is_404(app, client, esthetician):
    staff_intake(app, client, make_client(app), {"heart_condition": {}})
    response = submit(
        client,
        "/intakes/999999/clearance",
        {"reason": "x", "cleared_on": TODAY.isoformat()},
        page="/dashboard",
    )
    assert response.status_code == 404
    assert clearance_count(app) == 0
