"""Field-level privacy: the front desk sees outcomes, never answers; every view of
answers by an esthetician or admin is audited with the client id."""

from __future__ import annotations

import pytest

from clinic.roles import Role
from tests.intake.support import (
    all_audit_details,
    audit_rows,
    badge,
    clearance,
    create_link,
    days_ago,
    excluded,
    frozen_clock,
    link_from,
    load_intake,
    make_client,
    page,
    plain,
    signed_in_client,
    staff_intake,
)

BOTOX_DETAILS = "Zx9-botox-note-glabella-units-20"
SORE_DETAILS = "Zx9-sore-note-upper-lip"
HEART_DETAILS = "Zx9-heart-note-stent-2029"


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


@pytest.fixture
def screened(app, make_user):
    """A client with answers on file: (client id, intake ids, questions said yes to)."""
    esthetician, _ = signed_in_client(app, make_user, Role.ESTHETICIAN)
    client_id = make_client(
        app, given_name="Leontyne", family_name="Pryce", email="leontyne@example.org"
    )
    first = staff_intake(
        app,
        esthetician,
        client_id,
        {"heart_condition": {"details": HEART_DETAILS}},
    )
    # Clear the heart condition, then a later intake adds two new findings.
    assert clearance(esthetician, first).status_code == 302
    second = staff_intake(
        app,
        esthetician,
        client_id,
        {
            "heart_condition": {"details": HEART_DETAILS},
            "botulinum_toxin": {"date": days_ago(5), "details": BOTOX_DETAILS},
            "cold_sore": {"zones": ["perioral"], "details": SORE_DETAILS},
        },
    )
    answers = load_intake(app, second).answers
    questions = [a.question for a in answers.values() if a.yes]
    return client_id, (first, second), questions


def _secrets(questions) -> list[str]:
    return [
        BOTOX_DETAILS,
        SORE_DETAILS,
        HEART_DETAILS,
        *questions,
        # The findings' labels would say as much as the answers.
        "Botulinum toxin",
        "Cold sore",
        "Heart condition",
    ]


def test_front_desk_sees_the_outcome_but_no_answer_anywhere(
    app, client, front_desk, screened
):
    client_id, (first, second), questions = screened

    profile = client.get(f"/clients/{client_id}")
    assert profile.status_code == 200
    assert badge(profile) == "Needs clearance"
    assert excluded(profile) == "Excluded zones: Mouth / perioral"
    assert "/intakes/" not in profile.get_data(as_text=True)
    assert "compare" not in profile.get_data(as_text=True)

    reachable = [
        profile,
        client.get("/clients"),
        client.get("/clients?q=Leontyne"),
        client.get("/clients?q=leontyne%40example.org"),
        client.get(f"/clients/{client_id}/edit"),
        client.get("/dashboard"),
        create_link(client, client_id),
    ]
    for response in reachable:
        assert response.status_code == 200
        body = page(response)
        for secret in _secrets(questions):
            assert secret not in body, (response.request.path, secret)
    assert "Leontyne Pryce" in page(reachable[2])
    # Answers are not searchable (the page only echoes what was typed).
    by_details = page(client.get(f"/clients?q={BOTOX_DETAILS}"))
    assert "No client matches" in by_details
    assert "Leontyne" not in by_details

    forbidden = [
        client.get(f"/intakes/{first}"),
        client.get(f"/intakes/{second}"),
        client.get(f"/clients/{client_id}/intakes/compare"),
        client.get(
            f"/clients/{client_id}/intakes/compare?older={first}&newer={second}"
        ),
        client.get(f"/clients/{client_id}/intake/new"),
    ]
    for response in forbidden:
        assert response.status_code == 403, response.request.path
        body = page(response)
        for secret in _secrets(questions):
            assert secret not in body
    for action in ("intake.answers_viewed", "intake.compared"):
        assert front_desk.id not in {r.user_id for r in audit_rows(app, action)}


def test_front_desk_sees_the_eligible_from_date(app, client, make_user):
    esthetician, _ = signed_in_client(app, make_user, Role.ESTHETICIAN)
    client_id = make_client(app)
    staff_intake(
        app,
        esthetician,
        client_id,
        {
            "dermal_filler": {"date": days_ago(5), "details": BOTOX_DETAILS},
            "rash": {"zones": ["cheek_left"]},
        },
    )
    front_desk, _ = signed_in_client(app, make_user, Role.FRONT_DESK)
    profile = front_desk.get(f"/clients/{client_id}")
    assert badge(profile) == "Deferred until 14 March 2030"
    assert excluded(profile) == "Excluded zones: Cheek (left)"
    text = plain(profile)
    assert "Microcurrent can be booked from 14 March 2030." in text
    for secret in (BOTOX_DETAILS, "dermal filler", "Dermal filler", "Rash", "rash"):
        assert secret not in text


def test_the_audit_log_holds_no_answers(app, screened):
    details = all_audit_details(app)
    for secret in (BOTOX_DETAILS, SORE_DETAILS, HEART_DETAILS):
        assert secret not in details


@pytest.mark.parametrize("role", [Role.ESTHETICIAN, Role.ADMIN])
def test_every_view_of_the_answers_is_audited(app, make_user, screened, role):
    client_id, (first, second), _ = screened
    before = len(audit_rows(app, "intake.answers_viewed", client_id))
    browser, user = signed_in_client(app, make_user, role)

    shown = browser.get(f"/intakes/{second}")
    assert shown.status_code == 200
    assert BOTOX_DETAILS in page(shown)
    browser.get(f"/intakes/{second}")
    browser.get(f"/intakes/{first}")

    rows = audit_rows(app, "intake.answers_viewed", client_id)[before:]
    assert [(r.user_id, r.client_id, r.entity_id) for r in rows] == [
        (user.id, client_id, str(second)),
        (user.id, client_id, str(second)),
        (user.id, client_id, str(first)),
    ]


@pytest.mark.parametrize("role", [Role.ESTHETICIAN, Role.ADMIN])
def test_every_comparison_is_audited(app, make_user, screened, role):
    client_id, (first, second), _ = screened
    browser, user = signed_in_client(app, make_user, role)
    assert audit_rows(app, "intake.compared", client_id) == []

    compared = browser.get(f"/clients/{client_id}/intakes/compare")
    assert compared.status_code == 200
    assert BOTOX_DETAILS in page(compared)
    browser.get(f"/clients/{client_id}/intakes/compare?older={first}&newer={second}")

    rows = audit_rows(app, "intake.compared", client_id)
    assert len(rows) == 4
    assert {(r.user_id, r.client_id) for r in rows} == {(user.id, client_id)}
    assert sorted(r.entity_id for r in rows) == sorted([str(first), str(second)] * 2)


def test_a_refused_clearance_page_shows_answers_and_is_audited(
    app, make_user, screened
):
    client_id, (_, second), _ = screened
    browser, user = signed_in_client(app, make_user, Role.ESTHETICIAN)
    before = len(audit_rows(app, "intake.answers_viewed", client_id))
    refused = clearance(browser, second, reason="")
    assert refused.status_code == 422
    assert BOTOX_DETAILS in page(refused)
    # The GET that fetched the CSRF token and the refused POST: two views.
    rows = audit_rows(app, "intake.answers_viewed", client_id)[before:]
    assert [(r.user_id, r.entity_id) for r in rows] == [
        (user.id, str(second)),
        (user.id, str(second)),
    ]


def test_the_tablet_shows_no_earlier_answers(app, client, front_desk, screened):
    client_id, _, _ = screened
    path = link_from(create_link(client, client_id))
    tablet = app.test_client().get(path)
    assert tablet.status_code == 200
    body = page(tablet)
    for secret in (BOTOX_DETAILS, SORE_DETAILS, HEART_DETAILS):
        assert secret not in body
    assert "<input checked" not in tablet.get_data(as_text=True)
