"""Who sees clinical notes: the front desk sees that a visit happened and its
status, never its content; every read and change is audited with the client."""

from __future__ import annotations

from datetime import time

import pytest

from clinic.roles import Role
from tests.helpers import DEFAULT_PASSWORD
from tests.scheduling.support import plain, signed_in_browser
from tests.visits.support import (
    amend,
    audit_counts,
    audit_events,
    book_series_of_six,
    browser,
    button_form,
    check_in,
    checked_in,
    clinic_with_client,
    form_fields,
    frozen_clock,
    load_visit,
    notes_of,
    open_draft,
    post,
    save,
    sign,
    start_no_change,
    start_url,
    visit_url,
    visits_of,
    zone,
)

NOTES = "Zebra-quartz note 4471 about the skin"
CURRENT = "437.5"


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


def front_desk_browser(app, make_user):
    user = make_user(Role.FRONT_DESK)
    return signed_in_browser(app, user.email, DEFAULT_PASSWORD)


def draft_with_notes(app):
    clinic, client_id = clinic_with_client(app)
    user, appointment_id, visit_id = open_draft(app, clinic, client_id)
    response = save(
        user,
        visit_id,
        zone("neck", current=CURRENT, observation="Obs-marmalade-93"),
        general_notes=NOTES,
        client_feedback="Feedback-tangerine-12",
    )
    assert response.status_code == 302
    return clinic, client_id, user, appointment_id, visit_id


# --- the front desk ------------------------------------------------------------------


def test_the_front_desk_is_refused_every_visit_url(app, make_user):
    clinic, client_id, _user, _appointment_id, visit_id = draft_with_notes(app)
    other_appointment = checked_in(app, clinic, client_id, esthetician=1, at=time(12))
    desk = front_desk_browser(app, make_user)
    before = (load_visit(app, visit_id), notes_of(app, visit_id), audit_counts(app))

    assert desk.get(start_url(other_appointment)).status_code == 403
    assert desk.get(visit_url(visit_id)).status_code == 403
    posts = [
        (start_url(other_appointment), {"changed": "no"}),
        (start_url(other_appointment), {"changed": "yes"}),
        (visit_url(visit_id, "save"), {**zone("neck", current="100")}),
        (visit_url(visit_id, "save"), {"copy_last": "1"}),
        (visit_url(visit_id, "sign"), {"confirm": "y"}),
        (visit_url(visit_id, "amend"), {"text": "Front desk text"}),
    ]
    for url, data in posts:
        assert post(desk, url, data).status_code == 403, url

    assert visits_of(app, other_appointment) == []
    assert (load_visit(app, visit_id), notes_of(app, visit_id), audit_counts(app)) == (
        before
    )


def test_the_front_desk_sees_only_that_a_visit_exists_and_its_status(app, make_user):
    _clinic, _client_id, user, appointment_id, visit_id = draft_with_notes(app)
    # The same strings are on the esthetician's page: their absence below means
    # something.
    record = user.get(visit_url(visit_id)).text
    assert NOTES in record and CURRENT in record and "Obs-marmalade-93" in record

    desk = front_desk_browser(app, make_user)
    page = desk.get(f"/appointments/{appointment_id}")
    assert page.status_code == 200
    assert "Visit: In progress (not signed)" in plain(page)
    for secret in (NOTES, CURRENT, "Obs-marmalade-93", "Feedback-tangerine-12"):
        assert secret not in page.text
    assert f'href="{visit_url(visit_id)}"' not in page.text  # no link to the record
    assert "Open the visit record" in plain(user.get(f"/appointments/{appointment_id}"))

    assert sign(user, visit_id).status_code == 302
    page = desk.get(f"/appointments/{appointment_id}")
    assert "Visit: Signed" in plain(page)
    assert NOTES not in page.text and CURRENT not in page.text


def test_the_client_profile_shows_trend_charts_to_clinical_staff_only(app, make_user):
    clinic, client_id = clinic_with_client(app)
    sessions = book_series_of_six(app, clinic, client_id)
    user = browser(app, clinic)
    check_in(app, sessions[0])
    visit_id = start_no_change(user, sessions[0])
    assert save(user, visit_id, zone("neck", current=CURRENT)).status_code == 302
    assert sign(user, visit_id).status_code == 302

    clinical = user.get(f"/clients/{client_id}").text
    assert 'class="trend-chart"' in clinical
    assert f"Session 1: {CURRENT} µA" in clinical
    assert f'href="{visit_url(visit_id)}"' in clinical

    desk_page = front_desk_browser(app, make_user).get(f"/clients/{client_id}")
    assert desk_page.status_code == 200
    desk = desk_page.text
    assert "1 of 6 done" in plain(desk_page)  # progress is not clinical
    assert "Signed" in plain(desk_page)  # the visit is listed with its status
    assert "trend-chart" not in desk and "<svg" not in desk.split("Series progress")[1]
    assert "Trends by zone" not in desk
    assert CURRENT not in desk
    assert f'href="{visit_url(visit_id)}"' not in desk


# --- the audit trail ------------------------------------------------------------------


def test_every_view_and_change_is_audited_with_the_client(app):
    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id)
    user = browser(app, clinic)
    me = clinic.estheticians[0]

    def step(action, request, also=()):
        """Run ``request``; exactly one new ``action`` row (and one of each of
        ``also``), and no other visit row."""
        before = audit_counts(app)
        response = request()
        after = audit_counts(app)
        expected = {**before, action: before.get(action, 0) + 1}
        for other in also:
            expected[other] = expected.get(other, 0) + 1
        assert after == expected, (action, before, after)
        event = audit_events(app, action)[-1]
        assert event.client_id == client_id
        assert event.user_id == me
        assert event.entity_type == "visit"
        return response, event

    # Reading the start page shows screening, not notes: no visit row yet,
    # but the screening outcome it shows is a read of health data.
    assert audit_counts(app) == {}
    user.get(start_url(appointment_id))
    assert audit_counts(app) == {}
    [screening] = audit_events(app, "screening.viewed")
    assert (screening.client_id, screening.user_id) == (client_id, me)
    assert screening.entity_id == str(appointment_id)

    response, started = step(
        "visit.started",
        lambda: post(user, start_url(appointment_id), {"changed": "no"}),
    )
    visit_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert started.entity_id == str(visit_id)
    assert "rescreen=no_change" in started.details

    _, viewed = step("visit.viewed", lambda: user.get(visit_url(visit_id)))
    assert viewed.entity_id == str(visit_id)

    data = {**form_fields(user, visit_id), **zone("neck"), **zone("forehead")}
    _, saved = step(
        "visit.saved", lambda: user.post(visit_url(visit_id, "save"), data=data)
    )
    assert saved.details.startswith("zones=2")

    page, _ = step("visit.viewed", lambda: user.get(visit_url(visit_id)))
    url, fields = button_form(page, "Sign the visit")
    # Signing saves the record on the page first: a saved row, then a signed one.
    step(
        "visit.signed",
        lambda: user.post(url, data={**fields, "confirm": "y"}),
        also=("visit.saved",),
    )
    step("visit.viewed", lambda: user.get(visit_url(visit_id)))
    step("visit.amended", lambda: amend(user, visit_id, "Forehead was 180 µA."))

    counts = audit_counts(app)
    assert counts["visit.started"] == counts["visit.signed"] == 1
    assert counts["visit.saved"] == 2
    assert counts["visit.amended"] == 1


def test_a_refused_change_records_the_viewing_only(app):
    """A 422 shows the record again (a view) but stores no change row."""
    clinic, client_id = clinic_with_client(app)
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    data = {**form_fields(user, visit_id), **zone("neck", current="abc")}
    before = audit_counts(app)
    response = user.post(visit_url(visit_id, "save"), data=data)
    assert response.status_code == 422
    after = audit_counts(app)
    assert after.get("visit.saved", 0) == before.get("visit.saved", 0) == 0
    assert after["visit.viewed"] == before["visit.viewed"] + 1
    assert audit_events(app, "visit.viewed")[-1].client_id == client_id
