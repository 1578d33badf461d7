"""Helpers that drive the app the way a browser does: real forms, real CSRF."""

from __future__ import annotations

import re

DEFAULT_PASSWORD = "violet tulip harbour lantern"

_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, url: str) -> str:
    """GET ``url`` and return the CSRF token of its first form."""
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return next(group for group in match.groups() if group)


def submit(
    client, url: str, data: dict | None = None, *, page: str | None = None, **kwargs
):
    """POST a form to ``url`` with the CSRF token of ``page`` (default: ``url``)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def login(client, email: str, password: str, **kwargs):
    return submit(client, "/login", {"email": email, "password": password}, **kwargs)


def logout(client):
    return submit(client, "/logout", page="/dashboard")
