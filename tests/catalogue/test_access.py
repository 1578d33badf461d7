"""Only admins reach the catalogue pages; unknown ids are 404 for them."""

from __future__ import annotations

import pytest

from clinic.roles import Role
from tests.catalogue.support import (
    add_device,
    add_room,
    device_form,
    page_text,
    protocol_form,
    seed_service_id,
    service_form,
    snapshot,
)
from tests.helpers import DEFAULT_PASSWORD, login, submit

FORBIDDEN = "Your account does not have access to this page."


def catalogue_requests(app, **ids) -> list[tuple[str, str, str]]:
    """Every ``(method, path, endpoint)`` of the blueprint, with ``ids`` filled in."""
    requests = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("catalogue."):
                continue
            values = {name: ids[name] for name in rule.arguments}
            path = app.url_for(rule.endpoint, **values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                requests.append((method, path, rule.endpoint))
    assert len(requests) >= 30
    assert all(path.startswith("/admin/") for _, path, _ in requests)
    return requests


def payloads(app, room_id: int) -> dict:
    """A valid form per endpoint: what an allowed user's POST would store."""
    return {
        "catalogue.service_new": service_form(),
        "catalogue.service_edit": service_form(name="Taken over"),
        "catalogue.protocol_new": protocol_form(seed_service_id(app)),
        "catalogue.protocol_edit": protocol_form(seed_service_id(app), name="New"),
        "catalogue.room_new": {"name": "Room Z"},
        "catalogue.room_edit": {"name": "Room Z"},
        "catalogue.device_new": device_form(),
        "catalogue.device_edit": device_form(),
        "catalogue.staff_hours": {
            "weekday": "0",
            "start_time": "09:00",
            "end_time": "12:00",
        },
        "catalogue.block_new": {
            "resource": f"room:{room_id}",
            "starts_at": "2099-01-01T09:00",
            "ends_at": "2099-01-01T10:00",
        },
    }


@pytest.fixture
def arranged(app, make_user):
    """One row of each kind, so every id in the URLs exists."""
    esthetician = make_user(Role.ESTHETICIAN)
    room_id = add_room(app)
    add_device(app)
    return {
        "ids": {
            "item_id": 1,
            "user_id": esthetician.id,
            "hours_id": 1,
            "block_id": 1,
        },
        "payloads": payloads(app, room_id),
    }


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
def test_other_roles_get_403_everywhere(app, client, login_as, arranged, role):
    login_as(role)
    before = snapshot(app)
    for method, path, endpoint in catalogue_requests(app, **arranged["ids"]):
        if method == "GET":
            response = client.get(path)
        else:
            data = arranged["payloads"].get(endpoint, {})
            response = submit(client, path, data, page="/dashboard")
        assert response.status_code == 403, (method, path)
        assert FORBIDDEN in page_text(response)
    assert snapshot(app) == before


def test_anonymous_visitors_are_sent_to_sign_in(app, client, arranged):
    before = snapshot(app)
    for method, path, endpoint in catalogue_requests(app, **arranged["ids"]):
        if method == "GET":
            response = client.get(path)
        else:
            data = arranged["payloads"].get(endpoint, {})
            response = submit(client, path, data, page="/login")
        assert response.status_code == 302, (method, path)
        assert response.location.startswith("/login"), (method, path)
    assert client.get("/admin/services").location == ("/login?next=%2Fadmin%2Fservices")
    assert snapshot(app) == before


def test_admin_reaches_every_page(app, client, admin, arranged):
    for method, path, _endpoint in catalogue_requests(app, **arranged["ids"]):
        if method == "GET" and "/hours/" not in path:
            assert client.get(path).status_code == 200, path


def test_unknown_ids_are_404(app, client, admin, arranged):
    unknown = dict.fromkeys(arranged["ids"], 999999)
    before = snapshot(app)
    checked = 0
    for method, path, endpoint in catalogue_requests(app, **unknown):
        if "999999" not in path:
            continue
        if method == "GET":
            response = client.get(path)
        else:
            data = arranged["payloads"].get(endpoint, {})
            response = submit(client, path, data, page="/admin/services")
        assert response.status_code == 404, (method, path)
        assert "There is nothing at this address." in page_text(response)
        checked += 1
    assert checked >= 20
    assert snapshot(app) == before


def test_post_without_csrf_token_is_refused(app, client, admin, arranged):
    before = snapshot(app)
    response = client.post("/admin/rooms/new", data={"name": "Room Z"})
    assert response.status_code == 400
    assert "This form has expired" in page_text(response)
    response = client.post("/admin/rooms/1/deactivate")
    assert response.status_code == 400
    assert snapshot(app) == before


def test_navigation_links_only_for_admins(app, client, admin, make_user):
    hub = client.get("/admin").get_data(as_text=True)
    assert 'href="/admin/services"' in hub
    assert 'href="/admin/hours"' in hub
    for role in (Role.FRONT_DESK, Role.ESTHETICIAN):
        other = app.test_client()
        user = make_user(role)
        assert login(other, user.email, DEFAULT_PASSWORD).status_code == 302
        page = other.get("/dashboard").get_data(as_text=True)
        assert user.name in page
        assert 'href="/admin/services"' not in page
        assert 'href="/admin/hours"' not in page
