"""What the visit refuses: bad values (field messages, nothing stored), the
device's maximum, excluded zones, changes after signing, someone else's visit,
a visit for an appointment not checked in."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.visits.models import SignedVisitError, Visit, VisitStatus, ZoneNote
from tests.scheduling.support import field_error, forms_of, plain, sign_new_intake
from tests.visits.support import (
    COLD_SORE,
    amend,
    amendments_of,
    appointment_status,
    audit_events,
    book,
    browser,
    button_form,
    checked_in,
    clinic_with_client,
    count,
    form_fields,
    frozen_clock,
    load_visit,
    notes_of,
    open_draft,
    post,
    save,
    save_form,
    sign,
    start_url,
    visit_url,
    visits_of,
    zone,
    zone_note_count,
)

TWO = time(14, 0)


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


def draft_with_neck(app, yes=None):
    """A draft with a stored neck note: (clinic, browser, visit id)."""
    clinic, client_id = clinic_with_client(app, yes=yes)
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    response = save(user, visit_id, zone("neck", current="200"), general_notes="First")
    assert response.status_code == 302
    return clinic, user, visit_id


def stored(app, visit_id):
    return load_visit(app, visit_id), notes_of(app, visit_id), zone_note_count(app)


# --- bad values ---------------------------------------------------------------

CASES = [
    # (zone fields, visit fields, field id, message)
    (
        {"current": "abc"},
        {},
        "z_cheek_left-current_ua",
        "Enter a number, for example 200 or 0.5.",
    ),
    ({"current": "nan"}, {}, "z_cheek_left-current_ua", "Enter a number"),
    (
        {"frequency": "ten"},
        {},
        "z_cheek_left-frequency_hz",
        "Enter a number, for example 200 or 0.5.",
    ),
    ({"duration": "-30"}, {}, "z_cheek_left-duration_seconds", "Must be above zero."),
    ({"duration": "0"}, {}, "z_cheek_left-duration_seconds", "Must be above zero."),
    (
        {"duration": "1.5"},
        {},
        "z_cheek_left-duration_seconds",
        "Enter a whole number.",
    ),
    (
        {"duration": "", "holds": "-2"},
        {},
        "z_cheek_left-holds",
        "Must be above zero.",
    ),
    (
        {"current": "0"},
        {},
        "z_cheek_left-current_ua",
        "The current must be above 0 and at most 1000 µA.",
    ),
    (
        {"current": "-5"},
        {},
        "z_cheek_left-current_ua",
        "The current must be above 0 and at most 1000 µA.",
    ),
    (
        {"current": "1000.5"},
        {},
        "z_cheek_left-current_ua",
        "The current must be above 0 and at most 1000 µA.",
    ),
    (
        {"frequency": "0.09"},
        {},
        "z_cheek_left-frequency_hz",
        "The frequency must be between 0.1 and 2000 Hz.",
    ),
    (
        {"frequency": "2000.1"},
        {},
        "z_cheek_left-frequency_hz",
        "The frequency must be between 0.1 and 2000 Hz.",
    ),
    ({"current": ""}, {}, "z_cheek_left-current_ua", "Give the current in µA."),
    ({"frequency": ""}, {}, "z_cheek_left-frequency_hz", "Give the frequency in Hz."),
    (
        {"duration": "", "holds": ""},
        {},
        "z_cheek_left-duration_seconds",
        "Give the duration or the number of holds.",
    ),
    (
        {},
        {"adverse_kinds": ["flashes"], "adverse_details": ""},
        "adverse_details",
        "Describe the adverse sensation.",
    ),
]


@pytest.mark.parametrize(
    ("zone_values", "visit_fields", "field_id", "message"),
    CASES,
    ids=[
        "letters-in-current",
        "nan-current",
        "letters-in-frequency",
        "negative-duration",
        "zero-duration",
        "fractional-duration",
        "negative-holds",
        "zero-current",
        "negative-current",
        "current-above-1000",
        "frequency-below-0.1",
        "frequency-above-2000",
        "treated-without-current",
        "treated-without-frequency",
        "neither-duration-nor-holds",
        "adverse-without-details",
    ],
)
def test_bad_values_get_a_message_next_to_the_field_and_nothing_is_stored(
    app, zone_values, visit_fields, field_id, message
):
    _clinic, user, visit_id = draft_with_neck(app)
    before = stored(app, visit_id)

    response = save(
        user,
        visit_id,
        zone("neck", current="350"),  # a valid change that must not be kept either
        zone("cheek_left", **zone_values),
        zone("forehead"),
        general_notes="Second",
        conductive_product="Gel",
        **visit_fields,
    )
    assert response.status_code == 422
    assert message in field_error(response, field_id)
    assert "Nothing was saved" in plain(response)
    assert stored(app, visit_id) == before
    # The form comes back with what was typed, to be corrected.
    fields = save_form(response)
    assert fields["z_neck-current_ua"] == "350"
    assert fields["conductive_product"] == "Gel"


def test_the_edges_of_the_ranges_are_accepted(app):
    _clinic, user, visit_id = draft_with_neck(app)
    response = save(
        user,
        visit_id,
        zone("neck", current="1000", frequency="0.1", duration="", holds="1"),
        zone("forehead", current="1", frequency="2000", duration="1"),
    )
    assert response.status_code == 302
    notes = notes_of(app, visit_id)
    assert (notes["neck"].current_ua, notes["neck"].frequency_hz) == (1000, 0.1)
    assert (notes["neck"].duration_seconds, notes["neck"].holds) == (None, 1)
    assert (notes["forehead"].current_ua, notes["forehead"].frequency_hz) == (1, 2000)


def test_an_untreated_zone_is_not_range_checked_nor_stored(app):
    _clinic, user, visit_id = draft_with_neck(app)
    data = zone("cheek_left", current="5000", frequency="-1", duration="-5")
    del data["z_cheek_left-treated"]
    response = save(user, visit_id, zone("neck"), data)
    assert response.status_code == 302
    assert set(notes_of(app, visit_id)) == {"neck"}


def test_letters_left_in_an_untreated_zone_are_still_pointed_out(app):
    """Text that is not a number cannot be kept on the page silently."""
    _clinic, user, visit_id = draft_with_neck(app)
    before = stored(app, visit_id)
    data = zone("cheek_left", current="abc")
    del data["z_cheek_left-treated"]
    response = save(user, visit_id, zone("neck", current="300"), data)
    assert response.status_code == 422
    assert "Enter a number" in field_error(response, "z_cheek_left-current_ua")
    assert stored(app, visit_id) == before


# --- the device's configured maximum ------------------------------------------


def test_a_current_above_the_devices_maximum_is_saved_with_a_warning(app):
    _clinic, user, visit_id = draft_with_neck(app)
    response = save(user, visit_id, zone("neck", current="600"), zone("forehead"))
    assert response.status_code == 302
    assert notes_of(app, visit_id)["neck"].current_ua == 600
    text = plain(user.get(response.headers["Location"]))
    assert "The visit was saved." in text
    assert "600 µA is above Device 1's configured maximum of 500 µA." in text


def test_the_devices_maximum_itself_gives_no_warning(app):
    _clinic, user, visit_id = draft_with_neck(app)
    response = save(user, visit_id, zone("neck", current="500"))
    assert response.status_code == 302
    text = plain(user.get(response.headers["Location"]))
    assert "The visit was saved." in text
    assert "configured maximum" not in text


# --- excluded zones -----------------------------------------------------------


def test_a_local_finding_shows_its_zone_excluded(app):
    clinic, client_id = clinic_with_client(app, yes=COLD_SORE)
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    assert load_visit(app, visit_id).excluded_zones == "perioral"
    page = user.get(visit_url(visit_id))
    body = page.text
    assert "Excluded zones today: Mouth / perioral." in plain(page)
    assert body.count('<span class="badge text-bg-warning">Excluded</span>') == 1
    assert 'name="z_perioral-override_reason"' in body
    assert 'name="z_neck-override_reason"' not in body
    assert "Mouth / perioral: excluded" in plain(page)  # the face map says so too


def test_treating_an_excluded_zone_needs_a_reason(app):
    clinic, client_id = clinic_with_client(app, yes=COLD_SORE)
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    response = save(user, visit_id, zone("neck"), zone("perioral"))
    assert response.status_code == 422
    assert (
        "This zone is excluded by the screening: give a reason to treat it."
        in field_error(response, "z_perioral-override_reason")
    )
    assert notes_of(app, visit_id) == {}
    assert audit_events(app, "visit.saved") == []


def test_an_excluded_zone_treated_with_a_reason_is_saved_and_audited(app):
    clinic, client_id = clinic_with_client(app, yes=COLD_SORE)
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    reason = "Cold sore healed, checked with the client"
    response = save(
        user,
        visit_id,
        zone("neck"),
        zone("perioral", current="120", override_reason=reason),
        # An override reason on a zone that is not excluded means nothing.
        zone("forehead", override_reason="not needed"),
    )
    assert response.status_code == 302
    notes = notes_of(app, visit_id)
    assert notes["perioral"].override_reason == reason
    assert notes["perioral"].current_ua == 120
    assert notes["forehead"].override_reason == ""
    [event] = audit_events(app, "visit.saved")
    assert "excluded zones treated: perioral" in event.details
    assert event.client_id == client_id
    assert event.user_id == clinic.estheticians[0]
    assert event.entity_id == str(visit_id)

    assert sign(user, visit_id).status_code == 302
    assert f"Excluded zone treated: {reason}" in plain(user.get(visit_url(visit_id)))


def test_copy_from_last_visit_leaves_todays_excluded_zones_untreated(app):
    clinic, client_id = clinic_with_client(app)
    user, _appointment_id, first = open_draft(app, clinic, client_id)
    assert save(user, first, zone("neck"), zone("perioral")).status_code == 302
    assert sign(user, first).status_code == 302
    sign_new_intake(app, client_id, COLD_SORE)

    _user, _appointment_id, second = open_draft(app, clinic, client_id, at=TWO)
    response = save(user, second, button="copy_last")
    assert response.status_code == 200
    fields = save_form(response)
    assert fields["z_neck-treated"] == ["y"]
    assert "z_perioral-treated" not in fields


# --- after signing ------------------------------------------------------------


def signed(app):
    clinic, user, visit_id = draft_with_neck(app)
    assert sign(user, visit_id).status_code == 302
    return clinic, user, visit_id


def test_saving_a_signed_visit_is_refused_with_409_and_changes_nothing(app):
    _clinic, user, visit_id = signed(app)
    fields = {
        **zone("neck", current="999"),
        **zone("forehead"),
        "general_notes": "Changed after signing",
    }
    before = stored(app, visit_id)
    response = post(user, visit_url(visit_id, "save"), fields)
    assert response.status_code == 409
    assert "This visit is signed and cannot be edited; add an amendment." in plain(
        response
    )
    assert stored(app, visit_id) == before
    for button in ("copy_last", "mirror"):
        response = post(user, visit_url(visit_id, "save"), {**fields, button: "1"})
        assert response.status_code == 409
    assert stored(app, visit_id) == before


def test_signing_twice_is_refused(app):
    _clinic, user, visit_id = signed(app)
    before = stored(app, visit_id)
    response = sign(user, visit_id)
    assert response.status_code == 409
    assert "This visit is already signed." in plain(response)
    assert stored(app, visit_id) == before


def test_amending_a_draft_is_refused(app):
    _clinic, user, visit_id = draft_with_neck(app)
    response = amend(user, visit_id, "Too early for this")
    assert response.status_code == 409
    assert "amendments are for signed visits" in plain(response)
    assert amendments_of(app, visit_id) == []


@pytest.mark.parametrize(
    "change",
    ["visit column", "unsign", "note column", "note delete", "note insert"],
)
def test_the_orm_refuses_any_change_to_a_signed_visit(app, change):
    _clinic, _user, visit_id = signed(app)
    before = stored(app, visit_id)
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        note = db.session.scalar(select(ZoneNote).where(ZoneNote.visit_id == visit_id))
        if change == "visit column":
            visit.general_notes = "Quietly rewritten"
        elif change == "unsign":
            visit.status = VisitStatus.DRAFT
        elif change == "note column":
            note.current_ua = 123.0
        elif change == "note delete":
            db.session.delete(note)
        else:
            db.session.add(ZoneNote(visit=visit, zone="forehead", current_ua=100.0))
        with pytest.raises(SignedVisitError):
            db.session.commit()
        db.session.rollback()
    assert stored(app, visit_id) == before


def test_the_orm_lets_a_draft_change(app):
    """The guard is about signed visits only (it could otherwise pass by refusing
    everything)."""
    _clinic, _user, visit_id = draft_with_neck(app)
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        visit.general_notes = "Edited draft"
        visit.zone_notes[0].current_ua = 210.0
        db.session.commit()
    assert load_visit(app, visit_id).general_notes == "Edited draft"
    assert notes_of(app, visit_id)["neck"].current_ua == 210


# --- whose visit --------------------------------------------------------------


def test_another_esthetician_cannot_start_the_visit(app):
    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id, esthetician=0)
    other = browser(app, clinic, 1)
    message = "Only the appointment's esthetician (or an admin) can start this visit."
    page = other.get(start_url(appointment_id))
    assert message in plain(page)
    assert 'name="changed"' not in page.text
    response = post(other, start_url(appointment_id), {"changed": "no"})
    assert response.status_code == 409
    assert message in plain(response)
    assert visits_of(app, appointment_id) == []
    assert audit_events(app, "visit.started") == []


@pytest.mark.parametrize("status", ["booked", "cancelled"])
def test_an_appointment_not_checked_in_cannot_start_a_visit(app, status):
    from clinic.scheduling import services as scheduling_services
    from clinic.scheduling.models import Appointment

    clinic, client_id = clinic_with_client(app)
    appointment_id = book(app, clinic, client_id)
    if status == "cancelled":
        with app.app_context():
            scheduling_services.cancel(
                db.session.get(Appointment, appointment_id),
                reason="Client ill",
                by_user_id=clinic.estheticians[0],
            )
            db.session.commit()
    user = browser(app, clinic)
    message = "Check the client in before starting the visit."
    page = user.get(start_url(appointment_id))
    assert message in plain(page)
    assert 'name="changed"' not in page.text
    response = post(user, start_url(appointment_id), {"changed": "no"})
    assert response.status_code == 409
    assert message in plain(response)
    assert visits_of(app, appointment_id) == []
    assert appointment_status(app, appointment_id) == status


def test_another_esthetician_may_read_but_not_change_sign_or_amend(app):
    clinic, user, visit_id = draft_with_neck(app)
    other = browser(app, clinic, 1)
    page = other.get(visit_url(visit_id))
    assert page.status_code == 200
    assert "Only Esthetician 1 or an admin can change this visit." in plain(page)
    assert not any(f["action"].endswith("/sign") for f in forms_of(page))
    assert button_form(page, "Sign the visit") is None
    before = stored(app, visit_id)

    data = {**form_fields(other, visit_id), **zone("neck", current="444")}
    assert other.post(visit_url(visit_id, "save"), data=data).status_code == 403
    assert sign(other, visit_id).status_code == 403
    assert stored(app, visit_id) == before

    assert sign(user, visit_id).status_code == 302
    assert amend(other, visit_id, "Not my visit").status_code == 403
    assert amendments_of(app, visit_id) == []


def test_an_admin_may_change_sign_and_amend_anyones_visit(app, client, admin):
    clinic, _user, visit_id = draft_with_neck(app)
    response = save(client, visit_id, zone("neck", current="230"))
    assert response.status_code == 302
    assert notes_of(app, visit_id)["neck"].current_ua == 230
    assert sign(client, visit_id).status_code == 302
    visit = load_visit(app, visit_id)
    assert (visit.status, visit.signed_by_id) == ("signed", admin.id)
    assert visit.esthetician_id == clinic.estheticians[0]
    assert amend(client, visit_id, "Reviewed by the owner").status_code == 302
    [added] = amendments_of(app, visit_id)
    assert (added.text, added.author_id) == ("Reviewed by the owner", admin.id)
    assert f"Signed by {admin.name} on" in plain(client.get(visit_url(visit_id)))


def test_unknown_visits_and_appointments_are_404(app):
    _clinic, user, visit_id = draft_with_neck(app)
    assert user.get(visit_url(visit_id + 100)).status_code == 404
    assert user.get(start_url(9999)).status_code == 404
    assert (
        post(user, visit_url(visit_id + 100, "sign"), {"confirm": "y"}).status_code
        == 404
    )
    assert count(app, Visit) == 1
