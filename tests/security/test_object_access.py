"""Object-level access: ids and tokens swapped between clients and staff.

The role gate (test_access_matrix.py) says who may use a page at all; these
tests prove that inside a page one cannot reach another person's object by
changing an id or a token. The calendar feed's owner-only content is proved
in tests/scheduling/test_feed.py (another esthetician's appointments and every
private field are absent from a feed); here one token is swapped for another.
"""

from __future__ import annotations

import pytest
from icalendar import Calendar
from sqlalchemy import select

from clinic.scheduling import services as scheduling_services
from clinic.scheduling.models import Appointment, WorkingHours
from clinic.visits.models import Amendment, Visit
from tests.aftercare.support import database, frozen_clock
from tests.helpers import submit
from tests.intake.support import intake_count, questionnaire
from tests.scheduling.support import book_form, post_booking, signed_in_browser
from tests.security.world import CANARY_INTAKE
from tests.visits.support import (
    amend,
    count,
    load_visit,
    post,
    save,
    sign,
    start_url,
    visit_url,
    zone,
)


@pytest.fixture
def owner(app, world):
    """Esthetician 1, whose visits and appointments Ada's are."""
    return signed_in_browser(app, world.esthetician_email)


@pytest.fixture
def other(app, world):
    """Esthetician 2, who may read clinical records but not change Ada's."""
    return signed_in_browser(app, world.other_esthetician_email)


# --- the tablet link -----------------------------------------------------------


def test_a_tablet_link_shows_only_its_own_client(app, world):
    tablet = app.test_client()
    ada = tablet.get(f"/tablet/intake/{world.tablet_token}").get_data(as_text=True)
    bo = tablet.get(f"/tablet/intake/{world.other_tablet_token}").get_data(as_text=True)
    assert "Ada" in ada and "Bo Other" not in ada
    assert "Bo" in bo and "Ada" not in bo
    assert CANARY_INTAKE not in ada, "the tablet never shows earlier answers"


def test_a_tablet_link_writes_only_to_its_own_client(app, world):
    """A client_id slipped into the form is ignored; the token decides."""
    tablet = app.test_client()
    url = f"/tablet/intake/{world.other_tablet_token}"
    ada_before = intake_count(app, world.client_id)
    bo_before = intake_count(app, world.other_client_id)
    data = questionnaire(app, signature_name="Bo Other", client_id=world.client_id)

    assert submit(tablet, url, data).status_code == 302

    assert intake_count(app, world.client_id) == ada_before
    assert intake_count(app, world.other_client_id) == bo_before + 1
    assert tablet.get(url).status_code == 410, "a link is used once"
    assert tablet.get(f"/clients/{world.client_id}").status_code == 302
    assert tablet.get(f"/intakes/{world.intake_id}").status_code == 302


# --- another esthetician's visits -------------------------------------------------


def test_another_esthetician_cannot_amend_a_signed_visit(app, world, owner, other):
    before = count(app, Amendment)
    assert amend(other, world.visit_id, "Not my visit").status_code == 403
    assert count(app, Amendment) == before
    assert amend(owner, world.visit_id, "Mine: 180 µA").status_code == 302
    assert count(app, Amendment) == before + 1


def test_another_esthetician_cannot_sign_or_edit_a_draft(app, world, owner, other):
    draft = world.draft_visit_id
    assert sign(other, draft).status_code == 403
    assert load_visit(app, draft).status == "draft"
    fields = {"general_notes": "Written by someone else"}
    assert save(other, draft, zone("forehead"), **fields).status_code == 403
    assert load_visit(app, draft).general_notes == ""
    assert save(owner, draft, zone("forehead"), **fields).status_code == 302
    assert load_visit(app, draft).general_notes == "Written by someone else"


def test_a_signed_visit_cannot_be_edited_even_by_its_owner(app, world, owner):
    before = load_visit(app, world.visit_id)
    fields = {**zone("neck"), "general_notes": "Rewritten"}
    response = post(owner, visit_url(world.visit_id, "save"), fields)
    assert response.status_code == 409
    assert load_visit(app, world.visit_id) == before


def test_another_esthetician_cannot_start_the_visit(app, world, owner, other):
    with frozen_clock(), database(app) as session:
        appointment = session.get(Appointment, world.appointment_id)
        scheduling_services.check_in(
            appointment, by_user_id=world.esthetician_id, now=appointment.starts_at
        )
    visits = count(app, Visit)
    url = start_url(world.appointment_id)
    assert post(other, url, {"changed": "no"}).status_code == 409
    assert count(app, Visit) == visits
    assert post(owner, url, {"changed": "no"}).status_code == 302
    assert count(app, Visit) == visits + 1


# --- ids swapped in URLs and forms ----------------------------------------------


def test_a_feed_token_shows_its_owner_and_nobody_else(app, world):
    with frozen_clock():  # the day of the world's appointments
        ical = app.test_client().get(f"/feeds/{world.feed_token}.ics").data
    uids = {str(event["uid"]) for event in Calendar.from_ical(ical).walk("VEVENT")}
    assert f"appointment-{world.appointment_id}@clinic" in uids
    assert f"appointment-{world.other_appointment_id}@clinic" not in uids


def test_intakes_of_another_client_cannot_be_compared_under_this_one(app, world):
    browser = signed_in_browser(app, world.esthetician_email)
    ids = f"older={world.older_intake_id}&newer={world.intake_id}"
    assert (
        browser.get(f"/clients/{world.client_id}/intakes/compare?{ids}").status_code
        == 200
    )
    foreign = f"/clients/{world.other_client_id}/intakes/compare?{ids}"
    assert browser.get(foreign).status_code == 404


def test_a_booking_cannot_rebook_another_clients_series(app, world, owner):
    """Bo's booking form carrying Ada's series id is refused; nothing is booked."""
    with database(app) as session:
        start = session.scalar(
            select(Appointment.starts_at).where(
                Appointment.series_id == world.series_id,
                Appointment.session_number == 1,
            )
        )
    appointments = count(app, Appointment)
    fields = book_form(
        world.clinic.service_id,
        world.esthetician_id,
        start,
        series_id=world.series_id,
        session_number=1,
    )
    assert post_booking(owner, world.other_client_id, fields).status_code == 404
    assert count(app, Appointment) == appointments


def test_working_hours_of_one_esthetician_cannot_be_removed_under_another(
    app, world, browser_as
):
    from clinic.roles import Role

    admin = browser_as(Role.ADMIN)
    foreign = f"/admin/staff/{world.esthetician_id}/hours/{world.hours_id}/remove"
    response = submit(admin, foreign, page=f"/admin/staff/{world.staff_id}/hours")
    assert response.status_code == 404
    assert count(app, WorkingHours, WorkingHours.id == world.hours_id) == 1
