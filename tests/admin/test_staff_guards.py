"""Who may use the admin pages, CSRF on every action, 404s and the audit trail.

The admin URLs are read from the app's own URL map, so a staff-management
route added later is covered by these tests without editing them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinic import audit
from clinic.audit import AuditEvent
from clinic.extensions import db
from clinic.roles import Role
from tests.admin.staff import (
    NEW_PASSWORD,
    audit_rows,
    is_signed_out,
    new_staff_form,
    page_text,
    sign_in_elsewhere,
    staff_count,
    user_state,
)
from tests.helpers import csrf_token, submit

KNOWN_ENDPOINTS = {
    "admin.staff_list",
    "admin.staff_new",
    "admin.staff_edit",
    "admin.staff_reset_password",
    "admin.staff_deactivate",
    "admin.staff_reactivate",
    "admin.staff_end_sessions",
}

# A valid submission for each form, so that a request let through by mistake
# would really change something (and the "nothing changed" checks would fail).
PAYLOADS = {
    "admin.staff_new": new_staff_form(role="admin"),
    "admin.staff_edit": {"name": "Taken Over", "role": "esthetician"},
    "admin.staff_reset_password": {
        "reset-password": NEW_PASSWORD,
        "reset-confirm": NEW_PASSWORD,
    },
}

FORM_EXPIRED = "This form has expired"


def admin_requests(app, user_id: int) -> list[tuple[str, str, str]]:
    """Every ``(method, path, endpoint)`` under /admin, aimed at ``user_id``."""
    requests = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            values = {"user_id": user_id} if "user_id" in rule.arguments else {}
            path = app.url_for(rule.endpoint, **values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                requests.append((method, path, rule.endpoint))
    assert {endpoint for _, _, endpoint in requests} >= KNOWN_ENDPOINTS
    assert all(path.startswith("/admin") for _, path, _ in requests)
    return requests


def everything(app, *user_ids: int) -> tuple:
    """A snapshot of what any admin action could change."""
    return (
        staff_count(app),
        audit_rows(app),
        [user_state(app, user_id) for user_id in user_ids],
    )


class TestOnlyAdminsGetIn:
    @pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
    def test_other_roles_get_403_on_every_admin_url(
        self, app, client, login_as, make_user, role
    ):
        """GET and POST (with a valid CSRF token and a valid form) are all 403."""
        the_admin = make_user(Role.ADMIN)
        admin_browser = sign_in_elsewhere(app, the_admin)
        login_as(role)
        before = everything(app, the_admin.id)

        for method, path, endpoint in admin_requests(app, the_admin.id):
            if method == "GET":
                response = client.get(path)
            else:
                data = PAYLOADS.get(endpoint, {})
                response = submit(client, path, data, page="/dashboard")
            assert response.status_code == 403, (method, path)
            assert "Your account does not have access to this page." in page_text(
                response
            )

        assert everything(app, the_admin.id) == before
        assert not is_signed_out(admin_browser)

    def test_staff_navigation_is_shown_only_to_admins(
        self, app, client, admin, make_user
    ):
        """The "Admin" link (and its staff page) is for admins and nobody else."""
        assert 'href="/admin"' in client.get("/dashboard").get_data(as_text=True)
        assert 'href="/admin/staff"' in client.get("/admin").get_data(as_text=True)
        for role in (Role.FRONT_DESK, Role.ESTHETICIAN):
            browser = sign_in_elsewhere(app, make_user(role))
            page = browser.get("/dashboard").get_data(as_text=True)
            assert 'href="/admin"' not in page
            assert 'href="/admin/staff"' not in page

    def test_anonymous_visitors_are_sent_to_sign_in(self, app, client, make_user):
        """Without a session every admin URL redirects to /login, changing nothing."""
        target = make_user(Role.ADMIN)
        before = everything(app, target.id)

        for method, path, endpoint in admin_requests(app, target.id):
            if method == "GET":
                response = client.get(path)
            else:
                data = PAYLOADS.get(endpoint, {})
                response = submit(client, path, data, page="/login")
            assert response.status_code == 302, (method, path)
            assert response.location.startswith("/login"), (method, path)

        assert client.get("/admin/staff").location == "/login?next=%2Fadmin%2Fstaff"
        assert everything(app, target.id) == before


class TestCsrf:
    @pytest.mark.parametrize(
        "endpoint",
        sorted(
            KNOWN_ENDPOINTS - {"admin.staff_list"},
        ),
    )
    def test_action_without_token_is_refused(
        self, app, client, admin, make_user, endpoint
    ):
        """POST without a CSRF token: 400 page saying the form expired; no change."""
        desk = make_user(Role.FRONT_DESK)
        gone = make_user(Role.ESTHETICIAN, active=False)
        their_browser = sign_in_elsewhere(app, desk)
        target = gone if endpoint == "admin.staff_reactivate" else desk
        before = everything(app, desk.id, gone.id)
        path = next(
            path
            for method, path, name in admin_requests(app, target.id)
            if name == endpoint and method == "POST"
        )

        response = client.post(path, data=PAYLOADS.get(endpoint, {}))

        assert response.status_code == 400
        page = page_text(response)
        assert FORM_EXPIRED in page
        assert "submit the form again" in page
        assert everything(app, desk.id, gone.id) == before
        assert not is_signed_out(their_browser)

    def test_token_from_another_session_is_refused(self, app, client, admin, make_user):
        """A token taken from someone else's session does not pass (no CSRF by copy)."""
        desk = make_user(Role.FRONT_DESK)
        other_browser = app.test_client()
        foreign_token = csrf_token(other_browser, "/login")
        before = everything(app, desk.id)

        response = client.post(
            f"/admin/staff/{desk.id}/deactivate", data={"csrf_token": foreign_token}
        )

        assert response.status_code == 400
        assert FORM_EXPIRED in page_text(response)
        assert everything(app, desk.id) == before


class TestUnknownAccount:
    def test_every_account_url_is_404_for_an_unknown_id(self, app, client, admin):
        """No account 999999: each page and action answers 404, nothing changes."""
        before = everything(app, admin.id)
        per_account = [
            request
            for request in admin_requests(app, 999999)
            if "/999999" in request[1]
        ]
        assert len(per_account) >= 6

        for method, path, endpoint in per_account:
            if method == "GET":
                response = client.get(path)
            else:
                data = PAYLOADS.get(endpoint, {})
                response = submit(client, path, data, page="/admin/staff")
            assert response.status_code == 404, (method, path)
            assert "There is nothing at this address." in page_text(response)

        assert everything(app, admin.id) == before


class TestAuditTrail:
    def test_every_staff_action_is_audited_with_the_acting_admin(
        self, app, client, admin
    ):
        """Every staff action writes one row naming the admin who acted."""
        response = submit(client, "/admin/staff/new", new_staff_form())
        assert response.status_code == 302
        with app.app_context():
            new_id = db.session.scalar(
                select(AuditEvent.entity_id)
                .where(AuditEvent.action == "user.created")
                .order_by(AuditEvent.seq.desc())
            )
        page = f"/admin/staff/{new_id}"
        steps = [
            (page, {"name": "Nora J", "role": "esthetician"}),
            (page, {"name": "Nora J", "role": "front_desk"}),
            (f"{page}/password", PAYLOADS["admin.staff_reset_password"]),
            (f"{page}/end-sessions", {}),
            (f"{page}/deactivate", {}),
            (f"{page}/reactivate", {}),
        ]
        for url, data in steps:
            assert submit(client, url, data, page=page).status_code == 302, url
        with app.app_context():
            events = db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.startswith("user."))
                .order_by(AuditEvent.seq)
            ).all()
            staff_events = [event for event in events if event.user_id == admin.id]

            assert [event.action for event in staff_events] == [
                "user.created",
                "user.renamed",
                "user.role_changed",
                "user.password_reset",
                "user.sessions_ended",
                "user.deactivated",
                "user.reactivated",
            ]
            for event in staff_events:
                assert event.entity_type == "user"
                assert event.entity_id == new_id
                assert event.ip == "127.0.0.1"
                assert event.occurred_at.tzinfo is not None
                assert NEW_PASSWORD not in event.details
            assert staff_events[0].details == "role=esthetician"
            assert staff_events[2].details == "esthetician->front_desk"
            assert audit.verify_chain().ok

    def test_refused_actions_write_no_audit_row(self, app, client, admin, make_user):
        """A refused change leaves the audit log as it was."""
        desk = make_user(Role.FRONT_DESK)
        before = audit_rows(app)
        submit(client, "/admin/staff/new", new_staff_form(email=desk.email))
        submit(client, f"/admin/staff/{admin.id}", {"name": "x", "role": "esthetician"})
        submit(
            client,
            f"/admin/staff/{admin.id}/deactivate",
            page=f"/admin/staff/{admin.id}",
        )
        assert audit_rows(app) == before
