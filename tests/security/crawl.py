"""Send every route every method, and judge what came back."""

from __future__ import annotations

from urllib.parse import urlsplit

from clinic.access import PUBLIC, access_policy
from clinic.roles import Role
from tests.helpers import csrf_token

EXPECTED_CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SESSION_COOKIE = "clinic_session"
# Public endpoints that send a visitor who is not signed in on to /login: the
# root, and the sign-in code step opened without a password step first.
PUBLIC_REDIRECTS_TO_LOGIN = {"dashboard.root", "auth.login_code"}


def form_token(browser, role: Role | None) -> str:
    """A valid CSRF token of this browser's session, from a page it may open."""
    return csrf_token(browser, "/login" if role is None else "/account/password")


def send(browser, method: str, url: str, data: dict | None = None):
    """One request; the body is read and the response closed (static files)."""
    with browser.open(url, method=method, data=data) as response:
        response.get_data()
        return response


def verdict(response) -> str:
    """ "login" (sent to sign in), "forbidden" (403) or "through" (the view ran)."""
    if response.status_code == 403:
        return "forbidden"
    redirect = response.status_code in (301, 302, 303, 307, 308)
    if redirect and urlsplit(response.location).path == "/login":
        return "login"
    return "through"


def expected_verdict(endpoint: str, role: Role | None, method: str = "GET") -> str:
    rule = access_policy()[endpoint]
    if rule == PUBLIC:
        if (
            role is None
            and endpoint in PUBLIC_REDIRECTS_TO_LOGIN
            and method != "OPTIONS"
        ):
            return "login"
        return "through"
    if role is not None and role in rule:
        # Signing out succeeds by sending the user to sign in again.
        return "login" if (endpoint, method) == ("auth.logout", "POST") else "through"
    return "login" if role is None else "forbidden"


def is_static(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


def header_problems(response, endpoint: str, *, https: bool) -> list[str]:
    """What is missing from the headers every response must carry."""
    headers = response.headers
    wanted = {
        "Content-Security-Policy": EXPECTED_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if not is_static(endpoint):
        # Any page may show client data: nothing may keep a copy of it.
        wanted["Cache-Control"] = "no-store"
    problems = [
        f"{name}: {headers.get(name)!r}"
        for name, value in wanted.items()
        if headers.get(name) != value
    ]
    hsts = headers.get("Strict-Transport-Security", "")
    if https and not hsts.startswith("max-age=63072000"):
        problems.append(f"HSTS over https: {hsts!r}")
    if not https and hsts:
        problems.append("HSTS over plain http")
    for cookie in headers.getlist("Set-Cookie"):
        if cookie.startswith(f"{SESSION_COOKIE}="):
            flags = {part.strip().lower() for part in cookie.split(";")[1:]}
            for flag in ("httponly", "samesite=lax", *(["secure"] if https else [])):
                if flag not in flags:
                    problems.append(f"session cookie without {flag}: {cookie}")
    return problems
