"""The one-time tablet link: the client fills the questionnaire without staff login.

The tablet is a separate browser (a fresh test client) with no staff session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pytest
import time_machine

from clinic.roles import Role
from tests.helpers import csrf_token, submit
from tests.intake.support import (
    NOW,
    archive,
    audit_rows,
    badge,
    create_link,
    field_error,
    frozen_clock,
    intake_count,
    link_from,
    links_of,
    load_intake,
    make_client,
    page,
    questionnaire,
    signed_in_client,
)

GONE = "This link is no longer available"
MIREILLE = "Mireille Oudinot"  # the client of the links, as registered


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


@pytest.fixture
def clients(app):
    """The client the link is for, and another one whose name must never show."""
    return (
        make_client(app, given_name="Mireille", family_name="Oudinot", phone="0770"),
        make_client(app, given_name="Theodora", family_name="Quartermaine"),
    )


def answers(app, **overrides) -> dict:
    """A complete questionnaire signed by the links' client, as registered."""
    return questionnaire(app, signature_name=MIREILLE, **overrides)


def _tablet(app):
    """A browser nobody signed in on."""
    return app.test_client()


def test_front_desk_starts_a_link_and_only_its_hash_is_stored(
    app, client, front_desk, clients
):
    client_id, _ = clients
    response = create_link(client, client_id)
    path = link_from(response)
    token = path.removeprefix("/tablet/intake/")
    assert len(token) >= 40
    body = page(response)
    assert "Tablet intake for Mireille Oudinot" in body
    assert "expires in 30 minutes" in body

    [link] = links_of(app, client_id)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in link.token_hash
    assert link.expires_at - link.created_at == timedelta(minutes=30)
    assert (link.used_at, link.revoked_at, link.intake_id) == (None, None, None)
    events = audit_rows(app, "intake.link_created", client_id)
    assert [e.user_id for e in events] == [front_desk.id]
    assert token not in events[0].details


def test_starting_a_link_needs_a_staff_session_and_csrf(
    app, client, make_user, clients
):
    client_id, _ = clients
    url = f"/clients/{client_id}/intake-link"
    anonymous = client.post(url, data={"csrf_token": csrf_token(client, "/login")})
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")
    staff, _ = signed_in_client(app, make_user, Role.FRONT_DESK)
    assert staff.post(url).status_code == 400
    assert links_of(app, client_id) == []


def test_no_link_for_an_archived_or_unknown_client(app, client, front_desk, clients):
    client_id, _ = clients
    token = csrf_token(client, "/dashboard")
    assert (
        client.post("/clients/999999/intake-link", data={"csrf_token": token})
    ).status_code == 404
    archive(app, client_id, front_desk.id)
    response = client.post(
        f"/clients/{client_id}/intake-link", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert links_of(app, client_id) == []


def test_the_client_fills_the_questionnaire_on_the_tablet(
    app, client, front_desk, clients
):
    client_id, other_id = clients
    path = link_from(create_link(client, client_id))
    tablet = _tablet(app)

    opened = tablet.get(path)
    assert opened.status_code == 200
    body = page(opened)
    assert "Welcome, Mireille" in body
    for hidden in ("Oudinot", "Theodora", "Quartermaine", "0770"):
        assert hidden not in body
    assert 'name="q_pregnancy"' in body
    assert 'name="signature_name"' in body
    assert "Consent to microcurrent treatment" in body
    # No staff navigation, no way into the staff pages.
    for staff_only in ("Sign out", "Dashboard", "/clients", "/dashboard", "navbar"):
        assert staff_only not in body

    data = questionnaire(
        app, {"pregnancy": {"details": "12 weeks"}}, signature_name="Mireille Oudinot"
    )
    done = submit(tablet, path, data)
    assert done.status_code == 302
    assert done.headers["Location"] == "/tablet/thank-you"

    thanks = tablet.get("/tablet/thank-you")
    assert thanks.status_code == 200
    thanks_text = page(thanks)
    assert "Thank you" in thanks_text
    for revealing in (
        "eligible",
        "Clear",
        "Deferred",
        "clearance",
        "Mireille",
        "weeks",
    ):
        assert revealing not in thanks_text
    assert "Sign out" not in thanks_text

    [intake_id] = [link.intake_id for link in links_of(app, client_id)]
    stored = load_intake(app, intake_id)
    assert stored.client_id == client_id
    assert (stored.entered_via, stored.entered_by_id) == ("tablet", None)
    assert stored.signature_name == "Mireille Oudinot"
    assert stored.outcome == "not_eligible"
    assert stored.answers["pregnancy"].details == "12 weeks"
    assert intake_count(app, other_id) == 0
    [link] = links_of(app, client_id)
    assert link.used_at is not None
    [event] = audit_rows(app, "intake.submitted", client_id)
    assert event.user_id is None
    assert "via=tablet" in event.details

    # The front desk sees the outcome on the profile, recorded as a tablet intake.
    profile = client.get(f"/clients/{client_id}")
    assert badge(profile) == "Not eligible"
    assert "on the tablet" in page(profile)


def test_a_used_link_is_gone(app, client, front_desk, clients):
    client_id, _ = clients
    path = link_from(create_link(client, client_id))
    tablet = _tablet(app)
    token = csrf_token(tablet, path)
    assert (
        tablet.post(path, data={**answers(app), "csrf_token": token}).status_code == 302
    )

    again = tablet.get(path)
    assert again.status_code == 410
    assert GONE in page(again)
    assert "Mireille" not in page(again)
    resubmit = tablet.post(path, data={**answers(app), "csrf_token": token})
    assert resubmit.status_code == 410
    assert intake_count(app) == 1
    # Another browser does no better.
    assert _tablet(app).get(path).status_code == 410


def test_a_refused_tablet_form_keeps_the_link_usable(app, client, front_desk, clients):
    client_id, _ = clients
    path = link_from(create_link(client, client_id))
    tablet = _tablet(app)
    refused = submit(tablet, path, answers(app, confirm=None))
    assert refused.status_code == 422
    assert field_error(refused, "confirm") == "Confirm your answers to sign."
    assert "Welcome, Mireille" in page(refused)
    assert intake_count(app) == 0
    assert links_of(app, client_id)[0].used_at is None

    assert submit(tablet, path, answers(app)).status_code == 302
    assert intake_count(app, client_id) == 1


@pytest.mark.parametrize("minutes", [31, 60 * 24])
def test_a_link_older_than_30_minutes_is_gone_and_stores_nothing(
    app, client, front_desk, clients, minutes
):
    client_id, _ = clients
    path = link_from(create_link(client, client_id))
    tablet = _tablet(app)
    token = csrf_token(tablet, path)  # the client opened it in time...
    with time_machine.travel(NOW + timedelta(minutes=minutes), tick=False):
        late = tablet.post(path, data={**answers(app), "csrf_token": token})
        assert late.status_code == 410
        assert GONE in page(late)
        assert tablet.get(path).status_code == 410
    assert intake_count(app) == 0
    assert links_of(app, client_id)[0].used_at is None


def test_a_link_still_works_just_before_it_expires(app, client, front_desk, clients):
    client_id, _ = clients
    path = link_from(create_link(client, client_id))
    tablet = _tablet(app)
    with time_machine.travel(NOW + timedelta(minutes=29), tick=False):
        assert submit(tablet, path, answers(app)).status_code == 302
    assert intake_count(app, client_id) == 1


@pytest.mark.app_config(INTAKE_LINK_MINUTES=5)
def test_the_link_lifetime_is_a_setting(app, client, front_desk, clients):
    client_id, _ = clients
    path = link_from(create_link(client, client_id))
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        assert _tablet(app).get(path).status_code == 410


@pytest.mark.parametrize(
    "token",
    [
        secrets.token_urlsafe(32),
        "a",
        "x" * 300,
        "' OR 1=1 --",
    ],
)
def test_a_forged_token_is_gone_and_reveals_nothing(
    app, client, front_desk, clients, token
):
    client_id, _ = clients
    real = link_from(create_link(client, client_id))
    tablet = _tablet(app)
    csrf = csrf_token(tablet, real)
    forged = tablet.get(f"/tablet/intake/{token}")
    assert forged.status_code == 410
    body = page(forged)
    for name in ("Mireille", "Oudinot", "Theodora", "Quartermaine"):
        assert name not in body
    assert 'name="q_' not in body

    # A used link and a forged one look exactly alike.
    assert submit(tablet, real, answers(app)).status_code == 302
    used = tablet.get(real)
    assert used.status_code == 410
    assert used.get_data() == forged.get_data()

    post = tablet.post(
        f"/tablet/intake/{token}",
        data={**answers(app), "csrf_token": csrf},
    )
    assert post.status_code == 410
    assert intake_count(app) == 1


def test_a_new_link_revokes_the_earlier_unused_one(app, client, front_desk, clients):
    client_id, other_id = clients
    first = link_from(create_link(client, client_id))
    other = link_from(create_link(client, other_id))
    second = link_from(create_link(client, client_id))
    assert first != second

    tablet = _tablet(app)
    assert tablet.get(first).status_code == 410
    assert tablet.get(second).status_code == 200
    assert tablet.get(other).status_code == 200  # another client's link is untouched
    links = links_of(app, client_id)
    assert [link.revoked_at is not None for link in links] == [True, False]

    assert submit(tablet, second, answers(app)).status_code == 302
    assert intake_count(app, client_id) == 1


def test_a_new_link_leaves_a_used_link_as_it_was(app, client, front_desk, clients):
    client_id, _ = clients
    first = link_from(create_link(client, client_id))
    assert submit(_tablet(app), first, answers(app)).status_code == 302
    link_from(create_link(client, client_id))
    used, new = links_of(app, client_id)
    assert used.used_at is not None and used.revoked_at is None
    assert used.intake_id is not None
    assert new.revoked_at is None


def test_a_signed_in_esthetician_may_also_start_a_link(app, make_user, clients):
    client_id, _ = clients
    browser, esthetician = signed_in_client(app, make_user, Role.ESTHETICIAN)
    path = link_from(create_link(browser, client_id))
    assert _tablet(app).get(path).status_code == 200
    [event] = audit_rows(app, "intake.link_created", client_id)
    assert event.user_id == esthetician.id
