"""Sign-in sessions, safe redirects and the security headers of every response."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user

from clinic.access import declare_public, enforce_access
from clinic.clock import utcnow
from clinic.extensions import db, login_manager

if TYPE_CHECKING:
    from clinic.auth.models import StaffSession

# Updating last_seen_at on every request would write on every page view;
# once a minute keeps the idle timeout exact to within a minute.
_TOUCH_EVERY = timedelta(seconds=60)


@login_manager.user_loader
def _no_user_id_loading(_user_id: str):
    # Identity comes only from the server-side session (request_loader below).
    return None


@login_manager.request_loader
def load_user_from_session(_request):
    """Resolve the signed-in user from the server-side session, or None.

    Ends the session when it has been idle or alive too long, or when the
    account was deactivated meanwhile, and says so on the next page.
    """
    from clinic.auth.models import StaffSession

    token = session.get("sid")
    if not token:
        return None
    staff_session = StaffSession.by_token(token)
    if staff_session is None:
        session.pop("sid", None)
        return None
    now = utcnow()
    config = current_app.config
    reason = staff_session.expiry_reason(
        now,
        idle=timedelta(minutes=config["SESSION_IDLE_TIMEOUT_MINUTES"]),
        lifetime=timedelta(hours=config["SESSION_ABSOLUTE_LIFETIME_HOURS"]),
    )
    if reason is None and not staff_session.user.active:
        reason = "deactivated"
    if reason is not None:
        staff_session.end(reason, now)
        db.session.commit()
        session.pop("sid", None)
        if reason in {"idle", "lifetime"}:
            flash("You were signed out because your session expired.", "info")
        return None
    if now - staff_session.last_seen_at >= _TOUCH_EVERY:
        staff_session.last_seen_at = now
        db.session.commit()
    g.staff_session = staff_session
    return staff_session.user


def current_staff_session() -> StaffSession | None:
    return g.get("staff_session")


def is_safe_next(target: str | None) -> bool:
    """Only local paths ("/x"), never another host or scheme ("//evil", "http:")."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default_endpoint: str = "dashboard.index") -> str:
    return target if is_safe_next(target) else url_for(default_endpoint)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault(
            "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
        )
    static = request.endpoint is not None and request.endpoint.endswith("static")
    if not static:
        # Pages may show client data: never keep them in any cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


# Pages a user who must pick a new password can still reach.
_PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout"}


def _require_password_change():
    """After an admin reset, the only way on is to choose a new password."""
    if (
        request.endpoint is not None
        and not request.endpoint.endswith("static")
        and request.endpoint not in _PASSWORD_CHANGE_ENDPOINTS
        and current_user.is_authenticated
        and current_user.must_change_password
    ):
        flash("Please choose a new password to continue.", "warning")
        return redirect(url_for("auth.change_password"))
    return None


# Pages an admin who must set up two-factor can still reach.
_TWO_FACTOR_SETUP_ENDPOINTS = {
    "auth.two_factor_setup",
    "auth.recovery_codes",
    "auth.logout",
}


def _require_two_factor():
    """With TWO_FACTOR_REQUIRED_FOR_ADMINS, an admin without it must set it up.

    Runs after the password-change gate: a forced password change comes first.
    """
    if (
        request.endpoint is None
        or request.endpoint.endswith("static")
        or request.endpoint in _TWO_FACTOR_SETUP_ENDPOINTS
        or not current_user.is_authenticated
    ):
        return None
    from clinic.auth import two_factor

    if not two_factor.must_enrol(current_user):
        return None
    if current_user.must_change_password and request.endpoint in (
        _PASSWORD_CHANGE_ENDPOINTS
    ):
        return None
    flash(
        "Set up two-factor sign-in to continue: it is required for admins.", "warning"
    )
    return redirect(url_for("auth.two_factor_setup"))


def init_app(app: Flask) -> None:
    declare_public("static")
    declare_public("bootstrap.static")
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    app.before_request(enforce_access)
    app.before_request(_require_password_change)
    app.before_request(_require_two_factor)
    app.after_request(_security_headers)
