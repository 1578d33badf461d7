"""The staff questionnaire: who may enter it, what is stored and shown, bad input,
and the intake as an immutable record (corrections, history, what changed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.intake.catalogue import new_consent_version
from clinic.intake.models import ConsentKind, ImmutableRecordError, Intake
from clinic.roles import Role
from clinic.zones import ZONES
from tests.helpers import submit
from tests.intake.support import (
    TODAY,
    active_rules,
    answer_count,
    audit_rows,
    badge,
    client_intake_ids,
    days_ago,
    excluded,
    field_error,
    frozen_clock,
    intake_count,
    intake_id_from,
    load_intake,
    make_client,
    page,
    plain,
    questionnaire,
    staff_intake,
    staff_intake_url,
    submit_staff_intake,
    table_rows,
)


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


# --- who may enter it ----------------------------------------------------------


def test_the_questionnaire_asks_every_active_rule(app, client, esthetician):
    client_id = make_client(app)
    response = client.get(staff_intake_url(client_id))
    assert response.status_code == 200
    body = page(response)
    rules = active_rules(app)
    assert len(rules) == 26
    for code, rule_class in rules:
        assert f'name="q_{code}"' in body
        assert f'name="q_{code}__details"' in body
        assert (f'name="q_{code}__date"' in body) == (rule_class == "temporary")
        assert (f'name="q_{code}__zones"' in body) == (rule_class == "local")
    for name in ("consent_treatment", "consent_data", "consent_photo"):
        assert f'name="{name}"' in body
    assert 'name="signature_name"' in body and 'name="confirm"' in body
    assert "Consent to microcurrent treatment" in body
    assert "Ana Example" in body


def test_an_esthetician_enters_an_intake_and_it_is_stored(app, client, esthetician):
    client_id = make_client(app)
    data = questionnaire(
        app,
        {
            "botulinum_toxin": {"date": days_ago(5), "details": "forehead lines"},
            "cold_sore": {"zones": ["perioral"]},
        },
        signature_name="  Ana   Example ",
    )
    response = submit_staff_intake(client, client_id, data)
    intake_id = intake_id_from(response)

    stored = load_intake(app, intake_id)
    assert stored.client_id == client_id
    assert stored.entered_via == "staff"
    assert stored.entered_by_id == esthetician.id
    assert stored.ip == "127.0.0.1"
    assert stored.rules_version == 1
    assert stored.screened_on == TODAY
    assert stored.signature_name == "Ana Example"
    assert stored.signature_agreed is True
    assert stored.outcome == "deferred"
    assert stored.eligible_from == days_ago(5) + timedelta(days=14)
    assert stored.excluded_zones == ("perioral",)
    assert stored.needs_clearance is False
    assert (stored.treatment_consent, stored.data_consent) == (1, 1)
    assert stored.photo_consent is None
    assert len(stored.answers) == len(active_rules(app))
    assert sorted(code for code, a in stored.answers.items() if a.yes) == [
        "botulinum_toxin",
        "cold_sore",
    ]
    botox = stored.answers["botulinum_toxin"]
    assert (botox.event_date, botox.details) == (days_ago(5), "forehead lines")
    assert botox.question.startswith("Have you had botulinum toxin")
    assert stored.answers["cold_sore"].zones == ("perioral",)
    assert stored.answers["pregnancy"].event_date is None

    events = audit_rows(app, "intake.submitted", client_id)
    assert [(e.user_id, e.entity_id) for e in events] == [
        (esthetician.id, str(intake_id))
    ]
    assert "forehead lines" not in events[0].details

    shown = client.get(response.headers["Location"])
    assert shown.status_code == 200
    body = page(shown)
    assert "The intake was signed and screened." in body
    assert "Deferred until 14 March 2030" in body
    assert "Excluded zones: Mouth / perioral" in body
    assert "forehead lines" in body
    assert "28 February 2030" in body
    assert f"with {esthetician.name}" in body
    assert "Signed “Ana Example”" in body


def test_an_admin_may_enter_an_intake(app, client, admin):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id)
    stored = load_intake(app, intake_id)
    assert (stored.entered_via, stored.entered_by_id) == ("staff", admin.id)
    assert stored.outcome == "clear"


def test_the_front_desk_may_not_enter_an_intake(app, client, front_desk):
    client_id = make_client(app)
    assert client.get(staff_intake_url(client_id)).status_code == 403
    response = submit(
        client, staff_intake_url(client_id), questionnaire(app), page="/dashboard"
    )
    assert response.status_code == 403
    assert intake_count(app) == 0
    profile = page(client.get(f"/clients/{client_id}"))
    assert staff_intake_url(client_id) not in profile
    assert "Start a tablet intake" in profile


def test_an_unknown_client_is_404(client, esthetician):
    assert client.get(staff_intake_url(999_999)).status_code == 404


# --- every class gives the right badge ------------------------------------------


@pytest.mark.parametrize(
    ("yes", "outcome", "expected_badge", "expected_zones"),
    [
        ({}, "clear", "Clear", ""),
        ({"heart_condition": {}}, "needs_clearance", "Needs clearance", ""),
        ({"metal_in_face": {}}, "needs_clearance", "Needs clearance", ""),
        (
            {"botulinum_toxin": {"date": days_ago(5)}},
            "deferred",
            "Deferred until 14 March 2030",
            "",
        ),
        # The day before and the day of eligibility.
        (
            {"botulinum_toxin": {"date": days_ago(13)}},
            "deferred",
            "Deferred until 6 March 2030",
            "",
        ),
        ({"botulinum_toxin": {"date": days_ago(14)}}, "clear", "Clear", ""),
        # Several temporaries: the latest date wins (isotretinoin: 180 days).
        (
            {
                "botulinum_toxin": {"date": days_ago(5)},
                "isotretinoin": {"date": days_ago(30)},
                "retinoid": {"date": days_ago(1)},
            },
            "deferred",
            "Deferred until 2 August 2030",
            "",
        ),
        # Facial surgery is temporary and needs clearance: clearance is worse.
        (
            {"facial_surgery": {"date": days_ago(10)}},
            "needs_clearance",
            "Needs clearance",
            "",
        ),
        (
            {"heart_condition": {}, "dermal_filler": {"date": days_ago(2)}},
            "needs_clearance",
            "Needs clearance",
            "",
        ),
        ({"pregnancy": {}}, "not_eligible", "Not eligible", ""),
        (
            {
                "implanted_device": {},
                "diabetes": {},
                "botulinum_toxin": {"date": days_ago(1)},
            },
            "not_eligible",
            "Not eligible",
            "",
        ),
        (
            {"cold_sore": {"zones": ["perioral"]}},
            "clear",
            "Clear",
            "Excluded zones: Mouth / perioral",
        ),
        # No area ticked: every zone the rule can affect (a cold sore: the mouth).
        ({"cold_sore": {}}, "clear", "Clear", "Excluded zones: Mouth / perioral"),
        (
            {
                "rash": {"zones": ["forehead", "cheek_left"]},
                "bruising": {"zones": ["cheek_left", "neck"]},
            },
            "clear",
            "Clear",
            "Excluded zones: Neck, Cheek (left), Forehead",
        ),
        (
            {"sunburn": {}},
            "clear",
            "Clear",
            "Excluded zones: " + ", ".join(zone.label for zone in ZONES),
        ),
        (
            {"cold_sore": {}, "botulinum_toxin": {"date": days_ago(5)}},
            "deferred",
            "Deferred until 14 March 2030",
            "Excluded zones: Mouth / perioral",
        ),
    ],
)
def test_each_outcome_gives_its_badge(
    app, client, esthetician, yes, outcome, expected_badge, expected_zones
):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, yes)
    assert load_intake(app, intake_id).outcome == outcome
    profile = client.get(f"/clients/{client_id}")
    assert profile.status_code == 200
    assert badge(profile) == expected_badge
    assert excluded(profile) == expected_zones
    assert badge(client.get(f"/intakes/{intake_id}")) == expected_badge


def test_before_the_first_intake_the_badge_says_no_intake(app, client, esthetician):
    client_id = make_client(app)
    profile = client.get(f"/clients/{client_id}")
    assert badge(profile) == "No intake"
    assert excluded(profile) == ""


def _until(day) -> str:
    return f"Not eligible until {day.day} {day:%B %Y} (minimum age)"


@pytest.mark.parametrize(
    ("born", "expected_badge"),
    [
        (
            TODAY.replace(year=TODAY.year - 17),
            _until(TODAY.replace(year=TODAY.year + 1)),
        ),
        (
            TODAY.replace(year=TODAY.year - 18) + timedelta(days=1),
            _until(TODAY + timedelta(days=1)),
        ),
        (TODAY.replace(year=TODAY.year - 18), "Clear"),
    ],
)
def test_a_client_under_18_is_not_eligible(
    app, client, esthetician, born, expected_badge
):
    client_id = make_client(app, date_of_birth=born)
    intake_id = staff_intake(app, client, client_id)
    stored = load_intake(app, intake_id)
    assert badge(client.get(f"/clients/{client_id}")) == expected_badge
    if expected_badge.startswith("Not eligible"):
        assert stored.outcome == "not_eligible"
        assert stored.finding_codes == ["minimum_age"]
    else:
        assert stored.finding_codes == []


def test_photo_consent_is_optional_and_recorded(app, client, esthetician):
    client_id = make_client(app)
    without = staff_intake(app, client, client_id)
    with_photo = staff_intake(app, client, client_id, consent_photo="y")
    assert load_intake(app, without).photo_consent is None
    assert load_intake(app, with_photo).photo_consent == 1
    assert "Photographs: not agreed" in page(client.get(f"/intakes/{without}"))
    assert "Photographs: agreed (version 1)" in page(
        client.get(f"/intakes/{with_photo}")
    )


# --- bad input: 422, field messages, nothing stored ------------------------------


def _assert_nothing_stored(app):
    assert intake_count(app) == 0
    assert answer_count(app) == 0
    assert audit_rows(app, "intake.submitted") == []


@pytest.mark.parametrize(
    ("yes", "overrides", "field_id", "message"),
    [
        ({}, {"q_epilepsy": None}, "q_epilepsy", "Answer yes or no."),
        ({}, {"q_cold_sore": "maybe"}, "q_cold_sore", "Not a valid choice."),
        (
            {"botulinum_toxin": {}},
            {},
            "q_botulinum_toxin__date",
            "Give the date (an approximate date is fine).",
        ),
        (
            {"isotretinoin": {"date": TODAY + timedelta(days=1)}},
            {},
            "q_isotretinoin__date",
            "This date cannot be in the future.",
        ),
        (
            {"retinoid": {}},
            {"q_retinoid__date": "2030-02-30"},
            "q_retinoid__date",
            "Not a valid date value.",
        ),
        (
            {"cold_sore": {"zones": ["forehead"]}},
            {},
            "q_cold_sore__zones",
            "'forehead' is not a valid choice for this field.",
        ),
        (
            {"rash": {"details": "x" * 1001}},
            {},
            "q_rash__details",
            "Field cannot be longer than 1000 characters.",
        ),
        (
            {},
            {"signature_name": None},
            "signature_name",
            "Type your full name to sign.",
        ),
        (
            {},
            {"signature_name": "   "},
            "signature_name",
            "Type your full name to sign.",
        ),
        ({}, {"confirm": None}, "confirm", "Confirm your answers to sign."),
        (
            {},
            {"consent_treatment": None},
            "consent_treatment",
            "You must agree to the treatment consent.",
        ),
        (
            {},
            {"consent_data": None},
            "consent_data",
            "You must agree to the data consent.",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    app, client, esthetician, yes, overrides, field_id, message
):
    client_id = make_client(app)
    data = questionnaire(app, yes, **overrides)
    response = submit_staff_intake(client, client_id, data)
    assert response.status_code == 422
    assert message in field_error(response, field_id)
    assert "Some answers need your attention" in page(response)
    _assert_nothing_stored(app)
    assert badge(client.get(f"/clients/{client_id}")) == "No intake"


def test_a_refused_form_keeps_what_was_typed(app, client, esthetician):
    client_id = make_client(app)
    data = questionnaire(
        app,
        {"botulinum_toxin": {"date": days_ago(3), "details": "left brow"}},
        confirm=None,
    )
    response = submit_staff_intake(client, client_id, data)
    assert response.status_code == 422
    body = page(response)
    assert 'value="2030-03-02"' in body
    assert "left brow</textarea>" in body
    assert 'value="Ana Example"' in body
    raw = response.get_data(as_text=True)
    assert '<input checked class="form-check-input" id="q_botulinum_toxin-0"' in raw


def test_without_csrf_token_nothing_is_stored(app, client, esthetician):
    client_id = make_client(app)
    response = client.post(staff_intake_url(client_id), data=questionnaire(app))
    assert response.status_code == 400
    _assert_nothing_stored(app)


def test_html_in_details_is_stored_as_typed_and_shown_escaped(app, client, esthetician):
    client_id = make_client(app)
    script = "<script>alert('x')</script><b>bold</b> & \"quoted\""
    intake_id = staff_intake(app, client, client_id, {"rash": {"details": script}})
    assert load_intake(app, intake_id).answers["rash"].details == script

    raw = client.get(f"/intakes/{intake_id}").get_data(as_text=True)
    assert "<script>alert(" not in raw
    assert "<b>bold</b>" not in raw
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in raw
    )


# --- immutable: no edit, a correction is a new intake ------------------------------


def test_there_is_no_way_to_edit_an_intake(app, client, esthetician):
    rules = {
        (rule.rule, tuple(sorted(rule.methods - {"HEAD", "OPTIONS"})))
        for rule in app.url_map.iter_rules()
        if "intake_id" in rule.arguments
    }
    assert rules == {
        ("/intakes/<int:intake_id>", ("GET",)),
        ("/intakes/<int:intake_id>/clearance", ("POST",)),
    }

    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, {"thyroid": {}})
    before = load_intake(app, intake_id)
    data = questionnaire(app)
    assert submit(client, f"/intakes/{intake_id}", data).status_code == 405
    assert client.get(f"/intakes/{intake_id}/edit").status_code == 404
    assert client.post(f"/intakes/{intake_id}/edit", data=data).status_code == 404
    assert load_intake(app, intake_id) == before
    detail = page(client.get(f"/intakes/{intake_id}"))
    assert "/edit" not in detail


def test_the_database_refuses_changes_to_a_signed_intake(app, client, esthetician):
    client_id = make_client(app)
    intake_id = staff_intake(app, client, client_id, {"thyroid": {}})
    with app.app_context():
        intake = db.session.get(Intake, intake_id)
        intake.answers[0].details = "changed later"
        with pytest.raises(ImmutableRecordError):
            db.session.flush()
        db.session.rollback()
        intake = db.session.get(Intake, intake_id)
        db.session.delete(intake)
        with pytest.raises(ImmutableRecordError):
            db.session.flush()
        db.session.rollback()
    assert intake_count(app) == 1
    assert all(a.details == "" for a in load_intake(app, intake_id).answers.values())


def test_a_correction_is_a_new_intake_and_the_profile_lists_the_history(
    app, client, esthetician
):
    client_id = make_client(app)
    first = staff_intake(
        app, client, client_id, {"botulinum_toxin": {"date": days_ago(5)}}
    )
    first_before = load_intake(app, first)
    second = staff_intake(app, client, client_id)  # "that was last year, not now"

    assert client_intake_ids(app, client_id) == [first, second]
    assert load_intake(app, first) == first_before
    assert load_intake(app, second).outcome == "clear"

    profile = client.get(f"/clients/{client_id}")
    assert badge(profile) == "Clear"
    body = page(profile)
    history = body[body.index("Intake history") :]
    assert history.index(f"/intakes/{second}") < history.index(f"/intakes/{first}")
    assert "Deferred until 14 March 2030" in history
    assert f"older={first}&amp;newer={second}" in profile.get_data(as_text=True)

    older_page = page(client.get(f"/intakes/{first}"))
    assert "This is an earlier intake." in older_page
    assert f"/intakes/{second}" in older_page


def test_the_compare_page_shows_exactly_the_changed_answers(app, client, esthetician):
    client_id = make_client(app)
    first = staff_intake(
        app,
        client,
        client_id,
        {
            "botulinum_toxin": {"date": days_ago(5), "details": "frown <lines>"},
            "rash": {"zones": ["neck"]},
            "thyroid": {"details": "same"},
        },
    )
    second = staff_intake(
        app,
        client,
        client_id,
        {
            "heart_condition": {},
            "rash": {"zones": ["neck", "forehead"]},
            "thyroid": {"details": "same"},
            "cold_sore": {},
        },
    )
    questions = {
        code: a.question for code, a in load_intake(app, second).answers.items()
    }

    expected = [
        [questions["heart_condition"], "No", "Yes"],
        [questions["botulinum_toxin"], "Yes on 2030-02-28 - frown <lines>", "No"],
        # No area ticked: the answer says just "yes" (the outcome excludes the mouth).
        [questions["cold_sore"], "No", "Yes"],
        [questions["rash"], "Yes (Neck)", "Yes (Neck, Forehead)"],
    ]
    url = f"/clients/{client_id}/intakes/compare"
    response = client.get(f"{url}?older={first}&newer={second}")
    assert response.status_code == 200
    assert table_rows(response) == expected
    assert "frown &lt;lines&gt;" in response.get_data(as_text=True)
    # Swapped or left out, the earlier intake is still "before".
    assert table_rows(client.get(f"{url}?older={second}&newer={first}")) == expected
    assert table_rows(client.get(url)) == expected


def test_comparing_identical_answers_shows_no_change(app, client, esthetician):
    client_id = make_client(app)
    staff_intake(app, client, client_id, {"diabetes": {"details": "type 2"}})
    staff_intake(app, client, client_id, {"diabetes": {"details": "type 2"}})
    response = client.get(f"/clients/{client_id}/intakes/compare")
    assert response.status_code == 200
    assert table_rows(response) == []
    assert "No answer changed." in page(response)


def test_compare_needs_two_intakes_of_this_client(app, client, esthetician):
    client_id = make_client(app)
    other_id = make_client(app, given_name="Zoë", family_name="Other")
    assert client.get(f"/clients/{client_id}/intakes/compare").status_code == 404
    only = staff_intake(app, client, client_id)
    theirs = [
        staff_intake(app, client, other_id, {"epilepsy": {"details": "zoe-secret"}}),
        staff_intake(app, client, other_id),
    ]
    response = client.get(
        f"/clients/{client_id}/intakes/compare?older={only}&newer={theirs[0]}"
    )
    assert response.status_code == 404
    assert client.get("/clients/999999/intakes/compare").status_code == 404


def test_the_consent_versions_signed_are_stored_and_shown(
    app, client, esthetician, make_user
):
    client_id = make_client(app)
    first = staff_intake(app, client, client_id)
    author = make_user(Role.ADMIN)
    with app.app_context():
        new_consent_version(
            ConsentKind.TREATMENT,
            title="Consent to treatment, 2030 wording",
            body="Revised text: probes, gloves and a new aftercare leaflet.",
            by_user_id=author.id,
        )
        db.session.commit()

    form = plain(client.get(staff_intake_url(client_id)))
    assert "Consent to treatment, 2030 wording (version 2)" in form
    assert "Consent to microcurrent treatment" not in form
    second = staff_intake(app, client, client_id, consent_photo="y")

    old, new = load_intake(app, first), load_intake(app, second)
    assert (old.treatment_consent, old.data_consent, old.photo_consent) == (1, 1, None)
    assert (new.treatment_consent, new.data_consent, new.photo_consent) == (2, 1, 1)

    old_page = page(client.get(f"/intakes/{first}"))
    assert "Consent to microcurrent treatment (version 1): agreed" in old_page
    assert "Revised text" not in old_page
    new_page = page(client.get(f"/intakes/{second}"))
    assert "Consent to treatment, 2030 wording (version 2): agreed" in new_page
    assert "Consent to the processing of my health data (version 1): agreed" in new_page
    assert "Revised text: probes, gloves and a new aftercare leaflet." in new_page

    with app.app_context():
        versions = db.session.execute(
            select(Intake.id, Intake.treatment_consent_id).order_by(Intake.id)
        ).all()
    assert versions[0][1] != versions[1][1]
