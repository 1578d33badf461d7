"""The security baseline: headers on error pages, cookies, redirects, error
pages. Every route is covered by test_access_matrix.py, CSRF by test_csrf.py."""

from __future__ import annotations

import pytest

from clinic.roles import Role
from tests.helpers import submit
from tests.security.crawl import header_problems


def fetch(client, url, **kwargs):
    """GET and close the response (static files hold an open file)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
        return response


def assert_baseline_headers(response) -> None:
    assert header_problems(response, "an error page", https=False) == []


def test_error_pages_carry_the_headers_too(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert_baseline_headers(response)
    assert "Page not found" in response.get_data(as_text=True)


def test_hsts_only_over_https(client):
    """Over https every response has HSTS (the matrix checks them all); never
    over plain http, where browsers ignore it and a local trial runs."""
    response = client.get("/login", base_url="https://clinic.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.app_config(SESSION_COOKIE_SECURE=True)
def test_session_cookie_flags(client):
    response = client.get("/login", base_url="https://clinic.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie


def test_oversized_request_gets_the_413_page(client):
    response = client.post("/login", data={"email": "a" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_unexpected_error_shows_the_500_page_without_a_trace(app, client):
    from clinic.access import declare_public

    def boom():
        raise RuntimeError("database password is hunter2")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/boom", "boom", boom)
    declare_public("boom")
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "hunter2" not in body and "Traceback" not in body


def test_method_not_allowed_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert_baseline_headers(response)


def test_login_page_is_reachable_and_labelled(client):
    html = client.get("/login").get_data(as_text=True)
    for field_id in ("email", "password"):
        assert f'<label class="form-label" for="{field_id}"' in html
    assert '<main id="main"' in html
    assert 'href="#main"' in html


def test_bootstrap_is_served_locally(client):
    html = client.get("/login").get_data(as_text=True)
    assert "cdn" not in html.lower()
    assert fetch(client, "/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_logged_in_form_redirects_only_locally(client, make_user):
    user = make_user(Role.ADMIN)
    response = submit(
        client,
        "/login?next=https://evil.example/",
        {"email": user.email, "password": "violet tulip harbour lantern"},
        page="/login",
    )
    assert response.status_code == 302
    assert response.location == "/dashboard"
