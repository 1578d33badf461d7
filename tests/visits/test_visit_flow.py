"""The visit from start to signature, through the pages: re-screening, the
record, quick entry, signing, amendments, the dashboard reminder and the
series trends on the client profile."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from clinic.visits.models import Visit
from tests.helpers import submit
from tests.intake.support import questionnaire, registered_name
from tests.scheduling.support import TZ, forms_of, plain
from tests.visits.support import (
    INTAKE_DATE_TEXT,
    NOW,
    amend,
    amendments_of,
    appointment_status,
    book_series_of_six,
    browser,
    check_in,
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
    start_no_change,
    start_url,
    visit_id_from,
    visit_url,
    visits_of,
    zone,
    zone_note_count,
)

TEN, TWO = time(10, 0), time(14, 0)


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


def client_intake_ids(app, client_id):
    from sqlalchemy import select

    from clinic.extensions import db
    from clinic.intake.models import Intake

    with app.app_context():
        return list(
            db.session.scalars(
                select(Intake.id)
                .where(Intake.client_id == client_id)
                .order_by(Intake.id)
            )
        )


# --- start: re-screening ---------------------------------------------------------


def test_the_start_page_asks_whether_anything_changed_since_the_last_intake(app):
    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id)
    response = browser(app, clinic).get(start_url(appointment_id))
    assert response.status_code == 200
    text = plain(response)
    assert f"Last intake: {INTAKE_DATE_TEXT}" in text
    assert (
        f"Has anything changed in the client's health since {INTAKE_DATE_TEXT}?" in text
    )
    assert "Clear" in text
    assert re.search(r'name="changed"[^>]*value="no"', response.text)
    assert visits_of(app, appointment_id) == []  # looking starts nothing


def test_no_change_records_the_answer_with_its_time_and_opens_a_draft(app):
    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id)
    user = browser(app, clinic)
    before = NOW.replace(microsecond=0) - timedelta(seconds=1)
    response = post(user, start_url(appointment_id), {"changed": "no"})
    visit_id = visit_id_from(response)

    [visit] = visits_of(app, appointment_id)
    assert visit.id == visit_id
    assert visit.rescreen == "no_change"
    assert visit.status == "draft"
    assert visit.started_by_id == visit.esthetician_id == clinic.estheticians[0]
    assert visit.client_id == client_id
    assert visit.intake_id == client_intake_ids(app, client_id)[-1]
    assert visit.device_id == clinic.devices[0]  # from the booking
    assert before <= visit.rescreened_at <= NOW + timedelta(minutes=5)

    page = user.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Draft" in plain(page)
    assert "re-screen: nothing changed" in plain(page)
    # Coming back to the start page leads to the visit, never a second one.
    again = user.get(start_url(appointment_id))
    assert again.status_code == 302
    assert again.headers["Location"] == visit_url(visit_id)
    assert len(visits_of(app, appointment_id)) == 1


def test_no_answer_is_asked_again_and_nothing_is_stored(app):
    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id)
    response = post(browser(app, clinic), start_url(appointment_id), {})
    assert response.status_code == 422
    assert "Ask the client and choose an answer." in plain(response)
    assert visits_of(app, appointment_id) == []


def yes_then_new_intake(app, user, client_id, appointment_id, yes=None):
    """Answer "Yes", fill the intake it leads to; returns the page it goes back to."""
    response = post(user, start_url(appointment_id), {"changed": "yes"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/clients/{client_id}/intake/new"
    back = parse_qs(location.query)["next"][0]
    assert back.startswith(start_url(appointment_id))
    assert visits_of(app, appointment_id) == []  # nothing started yet

    intake_url = f"{location.path}?{location.query}"
    signed = questionnaire(app, yes, signature_name=registered_name(app, client_id))
    response = submit(user, intake_url, signed)
    assert response.status_code == 302, plain(response)
    assert response.headers["Location"] == back
    return user.get(back)


def test_yes_leads_to_a_new_intake_and_back_to_start_the_visit(app):
    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id)
    user = browser(app, clinic)
    intakes_before = client_intake_ids(app, client_id)

    page = yes_then_new_intake(app, user, client_id, appointment_id)
    assert page.status_code == 200
    new_intake = client_intake_ids(app, client_id)[-1]
    assert new_intake not in intakes_before
    text = plain(page)
    assert "A new intake was just recorded." in text
    assert "Last intake: 5 March 2030" in text
    [start_form] = [f for f in forms_of(page) if f["fields"].get("changed") == "new"]
    assert "Start the visit" in page.text

    response = post(user, start_url(appointment_id), {"changed": "new"})
    visit_id = visit_id_from(response)
    visit = load_visit(app, visit_id)
    assert visit.rescreen == "new_intake"
    assert visit.intake_id == new_intake
    assert start_form["action"] in ("", start_url(appointment_id))


@pytest.mark.parametrize(
    ("yes", "badge", "why"),
    [
        (
            {"epilepsy": {}},
            "Not eligible",
            "The health questionnaire rules out microcurrent.",
        ),
        (
            {"diabetes": {}},
            "Needs clearance",
            "An esthetician must record a clearance before microcurrent can be booked.",
        ),
        (
            {"botulinum_toxin": {"date": date(2030, 2, 28)}},
            "Deferred until 14 March 2030",
            "Microcurrent can be booked from 14 March 2030.",
        ),
    ],
    ids=["not-eligible", "needs-clearance", "deferred"],
)
def test_a_new_intake_that_refuses_treatment_stops_the_visit(app, yes, badge, why):
    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id)
    user = browser(app, clinic)
    page = yes_then_new_intake(app, user, client_id, appointment_id, yes)
    assert badge in plain(page)

    response = post(user, start_url(appointment_id), {"changed": "new"})
    assert response.status_code == 409
    text = plain(response)
    assert "The visit cannot go ahead" in text
    assert badge in text
    assert why in text
    assert visits_of(app, appointment_id) == []
    assert count(app, Visit) == 0
    assert appointment_status(app, appointment_id) == "checked_in"


def test_no_change_cannot_start_a_visit_the_screening_refuses(app):
    """Guarantee 2: "No" does not bypass an intake that now refuses treatment."""
    from tests.scheduling.support import NOT_ELIGIBLE, sign_new_intake

    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id)
    sign_new_intake(app, client_id, NOT_ELIGIBLE)
    response = post(browser(app, clinic), start_url(appointment_id), {"changed": "no"})
    assert response.status_code == 409
    assert "Not eligible" in plain(response)
    assert "The visit cannot go ahead" in plain(response)
    assert visits_of(app, appointment_id) == []


def test_an_admin_can_start_the_visit_for_the_esthetician(app, client, admin):
    clinic, client_id = clinic_with_client(app)
    appointment_id = checked_in(app, clinic, client_id)
    assert "Has anything changed" in plain(client.get(start_url(appointment_id)))
    visit_id = start_no_change(client, appointment_id)
    visit = load_visit(app, visit_id)
    assert visit.started_by_id == admin.id
    assert visit.esthetician_id == clinic.estheticians[0]


# --- the record -----------------------------------------------------------------


def test_zone_notes_and_visit_fields_are_stored_and_skipped_zones_store_nothing(app):
    clinic, client_id = clinic_with_client(app)
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    response = save(
        user,
        visit_id,
        zone("neck", current="150", frequency="8", duration="90"),
        zone(
            "cheek_left",
            current="220.5",
            frequency="0.5",
            duration="",
            holds="6",
            waveform="ramped",
            polarity="positive",
            applicator="gloves",
            sensation="twitching",
            observation="visible lift",
            adverse="y",
        ),
        zone("forehead", current="100", frequency="300", waveform="", polarity=""),
        device=str(clinic.devices[1]),
        conductive_product="Aloe gel",
        skin_before="Dry on the cheeks",
        general_notes="Client relaxed throughout",
        products_after="Hyaluronic serum",
        client_feedback="Felt lifted",
        adverse_kinds=["twitching", "metallic_taste"],
        adverse_details="Brief twitch near the left eye",
        aftercare_note="Drink water",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == visit_url(visit_id)
    assert "The visit was saved." in plain(user.get(visit_url(visit_id)))

    notes = notes_of(app, visit_id)
    assert set(notes) == {"neck", "cheek_left", "forehead"}
    neck = notes["neck"]
    assert (neck.current_ua, neck.frequency_hz, neck.duration_seconds, neck.holds) == (
        150,
        8,
        90,
        None,
    )
    cheek = notes["cheek_left"]
    assert vars(cheek) == {
        "current_ua": 220.5,
        "frequency_hz": 0.5,
        "waveform": "ramped",
        "polarity": "positive",
        "applicator": "gloves",
        "duration_seconds": None,
        "holds": 6,
        "sensation": "twitching",
        "observation": "visible lift",
        "adverse": True,
        "override_reason": "",
    }
    assert notes["forehead"].waveform is None
    assert notes["forehead"].polarity is None
    visit = load_visit(app, visit_id)
    assert visit.device_id == clinic.devices[1]
    assert visit.conductive_product == "Aloe gel"
    assert visit.skin_before == "Dry on the cheeks"
    assert visit.general_notes == "Client relaxed throughout"
    assert visit.products_after == "Hyaluronic serum"
    assert visit.client_feedback == "Felt lifted"
    assert visit.adverse_kinds == "twitching,metallic_taste"
    assert visit.adverse_details == "Brief twitch near the left eye"
    assert visit.aftercare_note == "Drink water"

    # The page shows what was saved; saving again without a zone removes it.
    fields = form_fields(user, visit_id)
    assert fields["z_cheek_left-current_ua"] == "220.5"
    assert fields["z_cheek_left-treated"] == ["y"]
    assert "z_jaw_left-treated" not in fields
    assert fields["adverse_details"] == "Brief twitch near the left eye"
    assert save(user, visit_id, zone("neck", current="160")).status_code == 302
    notes = notes_of(app, visit_id)
    assert set(notes) == {"neck"}
    assert notes["neck"].current_ua == 160
    assert load_visit(app, visit_id) == visit  # the visit fields were kept


# --- quick entry ------------------------------------------------------------------


def signed_visit(app, clinic, client_id, *zones, at):
    """A signed visit of ``client_id`` with esthetician 1; returns its id."""
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id, at=at)
    assert save(user, visit_id, *zones).status_code == 302
    assert sign(user, visit_id).status_code == 302
    return visit_id


def test_copy_last_fills_the_form_from_the_last_signed_visit_without_saving(app):
    clinic, client_id = clinic_with_client(app)
    signed_visit(
        app,
        clinic,
        client_id,
        zone("neck", current="180", frequency="12", duration="45"),
        zone("cheek_right", current="240", frequency="30", holds="4", duration=""),
        at=TEN,
    )
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id, at=TWO)

    response = save(user, visit_id, button="copy_last")
    assert response.status_code == 200
    assert "Filled from the last signed visit: check and save." in plain(response)
    fields = save_form(response)
    assert fields["z_neck-treated"] == ["y"]
    assert float(fields["z_neck-current_ua"]) == 180
    assert float(fields["z_neck-frequency_hz"]) == 12
    assert fields["z_neck-duration_seconds"] == "45"
    assert fields["z_neck-waveform"] == "square"
    assert fields["z_cheek_right-treated"] == ["y"]
    assert float(fields["z_cheek_right-current_ua"]) == 240
    assert fields["z_cheek_right-holds"] == "4"
    assert "z_cheek_left-treated" not in fields
    assert notes_of(app, visit_id) == {}  # nothing saved yet

    # Saving the filled form stores it.
    assert user.post(visit_url(visit_id, "save"), data=fields).status_code == 302
    notes = notes_of(app, visit_id)
    assert set(notes) == {"neck", "cheek_right"}
    assert notes["cheek_right"].current_ua == 240


def test_copy_last_without_an_earlier_signed_visit_says_so(app):
    clinic, client_id = clinic_with_client(app)
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    response = save(user, visit_id, zone("neck"), button="copy_last")
    assert response.status_code == 200
    assert "There is no earlier signed visit to copy from." in plain(response)
    assert save_form(response)["z_neck-treated"] == ["y"]  # what was typed stays
    assert notes_of(app, visit_id) == {}


def test_same_on_both_sides_copies_a_treated_side_to_its_untreated_partner(app):
    clinic, client_id = clinic_with_client(app)
    user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    response = save(
        user,
        visit_id,
        zone("cheek_left", current="275", frequency="40", observation="left only"),
        zone("jaw_left", current="300", frequency="50"),
        zone("jaw_right", current="310", frequency="60"),
        button="mirror",
    )
    assert response.status_code == 200
    fields = save_form(response)
    assert fields["z_cheek_right-treated"] == ["y"]
    assert float(fields["z_cheek_right-current_ua"]) == 275
    assert float(fields["z_cheek_right-frequency_hz"]) == 40
    assert fields["z_cheek_right-observation"] == ""  # observations are per side
    # Both sides treated already: each keeps its own values.
    assert float(fields["z_jaw_right-current_ua"]) == 310
    assert float(fields["z_jaw_left-current_ua"]) == 300
    # Midline zones have no partner; untreated pairs stay untreated.
    assert "z_eye_left-treated" not in fields
    assert "z_eye_right-treated" not in fields
    assert notes_of(app, visit_id) == {}


# --- sign -------------------------------------------------------------------------


def test_signing_needs_the_confirmation(app):
    clinic, client_id = clinic_with_client(app)
    user, appointment_id, visit_id = open_draft(app, clinic, client_id)
    assert save(user, visit_id, zone("neck")).status_code == 302
    response = sign(user, visit_id, confirm=False)
    assert response.status_code == 422
    assert "Tick the confirmation to sign." in plain(response)
    # The draft shown again still holds the stored record, ready to sign.
    fields = save_form(response)
    assert fields["z_neck-treated"] == ["y"]
    assert float(fields["z_neck-current_ua"]) == 200
    visit = load_visit(app, visit_id)
    assert (visit.status, visit.signed_at, visit.signed_by_id) == ("draft", None, None)
    assert appointment_status(app, appointment_id) == "checked_in"


def test_a_visit_without_zone_notes_cannot_be_signed(app):
    clinic, client_id = clinic_with_client(app)
    user, appointment_id, visit_id = open_draft(app, clinic, client_id)
    response = sign(user, visit_id)
    assert response.status_code == 422
    assert "Record at least one treated zone before signing." in plain(response)
    assert load_visit(app, visit_id).status == "draft"
    assert appointment_status(app, appointment_id) == "checked_in"


def test_a_signed_visit_is_read_only_and_completes_the_appointment(app):
    clinic, client_id = clinic_with_client(app)
    user, appointment_id, visit_id = open_draft(app, clinic, client_id)
    assert save(user, visit_id, zone("neck", current="210")).status_code == 302
    response = sign(user, visit_id)
    assert response.status_code == 302
    assert response.headers["Location"] == visit_url(visit_id)

    visit = load_visit(app, visit_id)
    assert visit.status == "signed"
    assert visit.signed_by_id == clinic.estheticians[0]
    signed_on = visit.signed_at.astimezone(TZ)
    page = user.get(visit_url(visit_id))
    assert page.status_code == 200
    text = plain(page)
    assert f"Signed by Esthetician 1 on {signed_on:%-d %B %Y, %H:%M}" in text
    assert signed_on.date() == NOW.date()
    actions = [f["action"] for f in forms_of(page)]
    assert not any(a.endswith(("/save", "/sign")) for a in actions)
    assert 'name="z_neck-current_ua"' not in page.text
    assert "210" in text  # the record is shown

    assert appointment_status(app, appointment_id) == "completed"
    appointment_page = plain(user.get(f"/appointments/{appointment_id}"))
    assert "Completed" in appointment_page
    assert "Visit: Signed" in appointment_page


# --- amendments -----------------------------------------------------------------------


def test_an_amendment_needs_text(app):
    clinic, client_id = clinic_with_client(app)
    visit_id = signed_visit(app, clinic, client_id, zone("neck"), at=TEN)
    user = browser(app, clinic)
    response = amend(user, visit_id, "   ")
    assert response.status_code == 422
    assert "Write the correction." in plain(response)
    assert amendments_of(app, visit_id) == []


def test_an_amendment_shows_under_the_original_which_stays(app):
    clinic, client_id = clinic_with_client(app)
    visit_id = signed_visit(
        app, clinic, client_id, zone("neck", current="210", frequency="9"), at=TEN
    )
    user = browser(app, clinic)
    notes_before, visit_before = notes_of(app, visit_id), load_visit(app, visit_id)

    response = amend(user, visit_id, "Neck current was 230 µA, not 210.")
    assert response.status_code == 302
    [added] = amendments_of(app, visit_id)
    assert added.text == "Neck current was 230 µA, not 210."
    assert added.author_id == clinic.estheticians[0]
    assert notes_of(app, visit_id) == notes_before
    assert load_visit(app, visit_id) == visit_before

    page = user.get(visit_url(visit_id))
    body = page.text
    assert "The amendment was added." in plain(page)
    stamp = f"Esthetician 1, {added.created_at.astimezone(TZ):%a %d %b %Y, %H:%M}"
    assert stamp in plain(page)
    original = body.index("Zone notes")
    assert body.index("Neck current was 230 µA, not 210.") > original
    assert "Signed by Esthetician 1" in plain(page)
    row = re.search(r"<tr[^>]*>\s*<td>Neck.*?</tr>", body, re.DOTALL).group(0)
    assert ">210<" in row  # the original value is still shown


# --- the dashboard reminder ----------------------------------------------------------


def test_drafts_older_than_a_day_wait_for_a_signature_on_their_estheticians_dashboard(
    app, make_user
):
    from clinic.roles import Role
    from tests.helpers import DEFAULT_PASSWORD
    from tests.scheduling.support import add_client, signed_in_browser

    clinic, client_id = clinic_with_client(app, "Dora Draft")
    _user, _appointment_id, visit_id = open_draft(app, clinic, client_id)
    other_client = add_client(app, "Sara Signed")
    signed_visit(app, clinic, other_client, zone("neck"), at=TWO)
    admin = make_user(Role.ADMIN)
    heading = "Visits waiting for a signature"

    def dashboard(email):
        page = signed_in_browser(app, email, DEFAULT_PASSWORD).get("/dashboard")
        assert page.status_code == 200
        return page

    with time_machine.travel(NOW + timedelta(hours=23), tick=True):
        assert heading not in plain(dashboard(clinic.esthetician_emails[0]))

    with time_machine.travel(NOW + timedelta(hours=25), tick=True):
        mine = dashboard(clinic.esthetician_emails[0])
        assert f"{heading} (1)" in plain(mine)
        assert "Dora Draft" in plain(mine)
        assert "Sara Signed" not in plain(mine)
        assert f'href="{visit_url(visit_id)}"' in mine.text
        assert heading not in plain(dashboard(clinic.esthetician_emails[1]))
        everyone = plain(dashboard(admin.email))
        assert f"{heading} (1)" in everyone
        assert "Dora Draft" in everyone and "(Esthetician 1)" in everyone


# --- series trends on the client profile -------------------------------------------


def test_series_trends_show_each_signed_session_and_mark_adverse_ones(app):
    clinic, client_id = clinic_with_client(app)
    sessions = book_series_of_six(app, clinic, client_id)
    user = browser(app, clinic)

    for number, neck, adverse in ((1, "200", None), (2, "320", "y")):
        appointment_id = sessions[number - 1]
        check_in(app, appointment_id)
        visit_id = start_no_change(user, appointment_id)
        extra = (
            [zone("cheek_left", current="150", frequency="30")] if number == 1 else []
        )
        response = save(
            user,
            visit_id,
            zone("neck", current=neck, frequency=str(10 * number), adverse=adverse),
            *extra,
        )
        assert response.status_code == 302
        assert sign(user, visit_id).status_code == 302
    # An unsigned draft is not part of the trend.
    check_in(app, sessions[2])
    draft = start_no_change(user, sessions[2])
    assert save(user, draft, zone("neck", current="777")).status_code == 302

    page = user.get(f"/clients/{client_id}")
    assert page.status_code == 200
    body = page.text
    assert "2 of 6 done" in plain(page)
    charts = re.findall(r'<svg[^>]*class="trend-chart".*?</svg>', body, re.DOTALL)
    titles = {
        re.search(r"<title[^>]*>([^<]*)</title>", svg).group(1): svg for svg in charts
    }
    assert set(titles) == {"Neck", "Cheek (left)"}
    neck_points = re.findall(r"<title>(Session [^<]*)</title>", titles["Neck"])
    assert "Session 1: 200 µA, 10 Hz" in neck_points
    assert "Session 2: 320 µA, 20 Hz, adverse sensation" in neck_points
    assert "Session 2: adverse sensation" in neck_points  # the marker
    assert not any("777" in p for p in neck_points)
    assert "chart-adverse" in titles["Neck"]
    cheek_points = re.findall(r"<title>(Session [^<]*)</title>", titles["Cheek (left)"])
    assert set(cheek_points) == {"Session 1: 150 µA, 30 Hz"}
    assert "chart-adverse" not in titles["Cheek (left)"]
    assert zone_note_count(app) == 4
