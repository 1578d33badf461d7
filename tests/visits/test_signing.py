"""Signing saves the record as the page holds it (issue 15, item 8): the Sign
button used to post only the confirmation, so edits made since the last save
were dropped without a word and the stored record was signed."""

from __future__ import annotations

import pytest

from tests.scheduling.support import field_error, plain
from tests.visits.support import (
    appointment_status,
    audit_events,
    button_form,
    clinic_with_client,
    frozen_clock,
    load_visit,
    notes_of,
    open_draft,
    save,
    save_form,
    sign,
    visit_url,
    zone,
)


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


def saved_draft(app):
    """A draft with the neck saved at 200 µA: (browser, appointment, visit)."""
    clinic, client_id = clinic_with_client(app)
    user, appointment_id, visit_id = open_draft(app, clinic, client_id)
    assert save(user, visit_id, zone("neck")).status_code == 302
    return user, appointment_id, visit_id


def test_the_sign_button_submits_the_visit_form_itself(app):
    user, _appointment_id, visit_id = saved_draft(app)
    page = user.get(visit_url(visit_id))

    pressed = button_form(page, "Sign the visit")

    assert pressed is not None, "no Sign button on the draft"
    url, fields = pressed
    assert url == visit_url(visit_id, "sign")
    # The record's fields travel with the button, as the page shows them.
    assert fields["z_neck-treated"] == ["y"]
    assert float(fields["z_neck-current_ua"]) == 200
    assert "general_notes" in fields and "device" in fields


def test_signing_saves_an_edit_that_was_not_saved_first(app):
    user, appointment_id, visit_id = saved_draft(app)

    response = sign(
        user,
        visit_id,
        zone("neck", current="260"),
        zone("forehead", current="180", frequency="0.5"),
        general_notes="Typed just before signing",
    )

    assert response.status_code == 302
    assert response.headers["Location"] == visit_url(visit_id)
    visit = load_visit(app, visit_id)
    assert visit.status == "signed"
    assert visit.general_notes == "Typed just before signing"
    notes = notes_of(app, visit_id)
    assert notes["neck"].current_ua == 260
    assert (notes["forehead"].current_ua, notes["forehead"].frequency_hz) == (180, 0.5)
    assert appointment_status(app, appointment_id) == "completed"
    page = plain(user.get(visit_url(visit_id)))
    assert "The visit was saved and signed." in page
    assert "260" in page
    # Saved, then signed: both are in the audit log.
    assert [e.details for e in audit_events(app, "visit.saved")][-1] == "zones=2"
    assert len(audit_events(app, "visit.signed")) == 1


@pytest.mark.parametrize(
    ("current", "message"),
    [
        ("5000", "The current must be above 0 and at most 1000 µA."),
        ("two hundred", "Enter a number, for example 200 or 0.5."),
    ],
)
def test_an_invalid_value_signs_nothing_and_shows_the_error_by_its_field(
    app, current, message
):
    user, appointment_id, visit_id = saved_draft(app)

    response = sign(user, visit_id, zone("neck", current=current))

    assert response.status_code == 422
    assert message in field_error(response, "z_neck-current_ua")
    text = plain(response)
    assert "The visit was not signed." in text
    assert "Nothing was saved" in text
    # What was typed is still on the page, to be corrected.
    assert save_form(response)["z_neck-current_ua"] == current
    visit = load_visit(app, visit_id)
    assert (visit.status, visit.signed_at, visit.signed_by_id) == ("draft", None, None)
    assert notes_of(app, visit_id)["neck"].current_ua == 200
    assert appointment_status(app, appointment_id) == "checked_in"
    assert audit_events(app, "visit.signed") == []


def test_without_the_confirmation_the_edit_stays_on_the_page_unsaved(app):
    user, _appointment_id, visit_id = saved_draft(app)

    response = sign(user, visit_id, zone("neck", current="260"), confirm=False)

    assert response.status_code == 422
    assert "Tick the confirmation to sign. Nothing was saved yet." in plain(response)
    assert field_error(response, "confirm") == "Confirm to sign."
    assert float(save_form(response)["z_neck-current_ua"]) == 260
    assert load_visit(app, visit_id).status == "draft"
    assert notes_of(app, visit_id)["neck"].current_ua == 200
