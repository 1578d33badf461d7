"""Signing in and out, and password changes."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, session
from flask_login import logout_user
from sqlalchemy import select

from clinic import audit
from clinic.auth import two_factor
from clinic.auth.models import StaffSession, User
from clinic.auth.passwords import hash_password, needs_rehash, verify_password
from clinic.clock import utcnow
from clinic.extensions import db


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def find_user_by_email(email: str, *, for_update: bool = False) -> User | None:
    """The account with this email (case-insensitive), or None.

    ``for_update`` locks the row on PostgreSQL so that parallel failed sign-ins
    cannot lose a count (SQLite's BEGIN IMMEDIATE already serialises them).
    """
    stmt = select(User).where(User.email == normalise_email(email))
    if for_update:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    locked_now: bool = False
    method: str | None = None  # second step: "app" or "recovery"


def _failed_attempt(user: User, now, what: str) -> SignInResult:
    """A wrong password or code: counted toward the lockout, and audited."""
    config = current_app.config
    locked = user.record_failed_login(
        now, config["LOCKOUT_THRESHOLD"], config["LOCKOUT_MINUTES"]
    )
    audit.record(
        "login.failed",
        entity_type="user",
        entity_id=user.id,
        details=what + ("; account locked" if locked else ""),
    )
    return SignInResult(None, locked_now=locked)


def authenticate(email: str, password: str) -> SignInResult:
    """Check credentials; count failures and lock at the threshold.

    Unknown email, wrong password, disabled and locked accounts all fail the
    same way, after the same amount of hashing work. Audits every attempt.
    """
    now = utcnow()
    user = find_user_by_email(email, for_update=True)
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        audit.record("login.failed", details="unknown account")
        return SignInResult(None)
    if not user.active or user.is_locked(now):
        why = "account disabled" if not user.active else "account locked"
        audit.record("login.failed", entity_type="user", entity_id=user.id, details=why)
        return SignInResult(None)
    if not password_ok:
        return _failed_attempt(user, now, "wrong password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    # The failure count is reset only when the sign-in completes: with
    # two-factor on, a right password must not wipe the count of wrong codes.
    return SignInResult(user)


def authenticate_code(
    user_id: int, code: str, password_changed_at: float
) -> SignInResult:
    """The second step: check an authenticator or recovery code.

    Wrong codes count toward the same lockout as wrong passwords; a disabled
    or locked account fails like a wrong code. Audits every failure.
    """
    now = utcnow()
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        return SignInResult(None)
    refused = None
    if not user.active:
        refused = "account disabled"
    elif user.is_locked(now):
        refused = "account locked"
    elif not user.two_factor_enabled:
        refused = "two-factor was turned off meanwhile"
    elif user.password_changed_at.timestamp() != password_changed_at:
        refused = "password changed meanwhile"
    if refused:
        audit.record(
            "login.failed",
            entity_type="user",
            entity_id=user.id,
            details=f"second step: {refused}",
        )
        return SignInResult(None)
    method = two_factor.check_code(user, code, now)
    if method is None:
        return _failed_attempt(user, now, "wrong two-factor code")
    return SignInResult(user, method=method)


def start_session(user: User) -> StaffSession:
    """Open a fresh session: the old cookie's contents are dropped entirely."""
    user.record_successful_login(utcnow())
    session.clear()
    staff_session, token = StaffSession.open(
        user, request.remote_addr, request.headers.get("User-Agent")
    )
    db.session.add(staff_session)
    db.session.flush()
    session["sid"] = token
    audit.record("login", entity_type="user", entity_id=user.id, user_id=user.id)
    return staff_session


def end_session(staff_session: StaffSession | None, user: User) -> None:
    if staff_session is not None:
        staff_session.end("logout")
    audit.record("logout", entity_type="user", entity_id=user.id)
    logout_user()
    session.clear()


def change_own_password(
    user: User, new_password: str, keep: StaffSession | None
) -> int:
    """Set a new password and sign out every other session of this user."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    ended = StaffSession.end_all_for(user, "password changed", keep=keep)
    if keep is not None:
        # The cookie that was in use before the change stops working too.
        keep.end("rotated")
        replacement, token = StaffSession.open(
            user, request.remote_addr, request.headers.get("User-Agent")
        )
        db.session.add(replacement)
        session["sid"] = token
    audit.record(
        "user.password_changed",
        entity_type="user",
        entity_id=user.id,
        details=f"other sessions ended: {ended}",
    )
    return ended
