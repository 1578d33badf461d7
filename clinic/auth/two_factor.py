"""Two-factor sign-in: enrolment, the second sign-in step, recovery codes.

Functions change the session's objects and flush; the caller commits. Secrets
are sealed with a key derived from TWO_FACTOR_KEY (or SECRET_KEY) and bound to
the account, so a copy of the database alone does not give anyone the codes.

Between the password and the code, the browser's signed session cookie holds
a *pending* sign-in (who, since when, how many wrong codes): it is not a
sign-in, no page accepts it, and it lapses after TWO_FACTOR_PENDING_MINUTES.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, session
from sqlalchemy import delete, func, select, update

from clinic import audit
from clinic.auth import totp
from clinic.auth.models import RecoveryCode, StaffSession, User
from clinic.clock import utcnow
from clinic.extensions import db
from clinic.roles import Role

_PENDING = "two_factor_pending"
_ENROL = "two_factor_enrol"
_NEW_CODES = "two_factor_new_codes"


def _key() -> bytes:
    config = current_app.config
    return totp.derive_key(config.get("TWO_FACTOR_KEY") or config["SECRET_KEY"])


def issuer() -> str:
    config = current_app.config
    return config.get("TWO_FACTOR_ISSUER") or config["CLINIC_NAME"]


def required_for(user: User) -> bool:
    """Does the clinic's setting make two-factor compulsory for this account?"""
    return bool(
        current_app.config["TWO_FACTOR_REQUIRED_FOR_ADMINS"] and user.role == Role.ADMIN
    )


def must_enrol(user: User) -> bool:
    return required_for(user) and not user.two_factor_enabled


def unused_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


# --- enrolment -----------------------------------------------------------------


def enrolment_secret(user: User, *, fresh: bool = False) -> str:
    """The secret being set up in this browser (a new one if none or ``fresh``).

    Kept sealed in the session cookie until confirmed, so reloading the page
    shows the same QR code the phone has already scanned.
    """
    context = f"enrol:{user.id}"
    sealed = session.get(_ENROL)
    if sealed and not fresh:
        try:
            return totp.unseal(sealed, _key(), context)
        except totp.SealError:
            pass
    secret = totp.new_secret()
    session[_ENROL] = totp.seal(secret, _key(), context)
    return secret


def enable(
    user: User, secret: str, step: int, keep: StaffSession | None
) -> tuple[list[str], int]:
    """Switch two-factor on with a confirmed ``secret``.

    Returns the new recovery codes (to show once) and how many other sessions
    were ended: they were opened with the password alone.
    """
    user.totp_secret = totp.seal(secret, _key(), f"user:{user.id}")
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    session.pop(_ENROL, None)
    codes = _replace_recovery_codes(user)
    ended = StaffSession.end_all_for(user, "two-factor enabled", keep=keep)
    audit.record(
        "two_factor.enabled",
        entity_type="user",
        entity_id=user.id,
        details=f"other sessions ended: {ended}",
    )
    db.session.flush()
    return codes, ended


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    now = utcnow()
    db.session.add_all(
        RecoveryCode(
            user_id=user.id, code_hash=totp.hash_recovery_code(code), created_at=now
        )
        for code in codes
    )
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """New codes for an enrolled account; every earlier code stops working."""
    codes = _replace_recovery_codes(user)
    audit.record(
        "two_factor.recovery_codes_regenerated", entity_type="user", entity_id=user.id
    )
    return codes


def keep_codes_to_show(codes: list[str]) -> None:
    """Hold new codes (sealed) for the one page that shows them after redirect."""
    session[_NEW_CODES] = totp.seal(json.dumps(codes), _key(), "codes")


def take_codes_to_show() -> list[str] | None:
    """The codes held for display, removed so that a reload cannot show them."""
    sealed = session.pop(_NEW_CODES, None)
    if not sealed:
        return None
    try:
        return json.loads(totp.unseal(sealed, _key(), "codes"))
    except totp.SealError:
        return None


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User) -> None:
    """The member turns two-factor off (the view checked password and code)."""
    _clear(user)
    audit.record("two_factor.disabled", entity_type="user", entity_id=user.id)
    db.session.flush()


def reset_by_admin(user: User) -> int:
    """An admin removes a member's two-factor (lost phone); ends their sessions."""
    _clear(user)
    ended = StaffSession.end_all_for(user, "two-factor reset")
    audit.record(
        "two_factor.reset",
        entity_type="user",
        entity_id=user.id,
        details=f"sessions ended: {ended}",
    )
    db.session.flush()
    return ended


# --- checking a code -----------------------------------------------------------


def check_code(user: User, text: str, now: datetime | None = None) -> str | None:
    """Accept an authenticator code or an unused recovery code, once.

    Returns "app" or "recovery", or None. The caller holds the user's row
    locked (sign-in) or is the user (account page), so two requests cannot
    both spend the same code: the time-step is stored, and a recovery code is
    spent by a conditional UPDATE that only one transaction can win.
    """
    now = now or utcnow()
    if not user.two_factor_enabled:
        return None
    if totp.looks_like_totp(text):
        try:
            secret = totp.unseal(user.totp_secret, _key(), f"user:{user.id}")
        except totp.SealError:
            current_app.logger.error(
                "two-factor secret of user %s cannot be unsealed: was SECRET_KEY or "
                "TWO_FACTOR_KEY changed? A recovery code or an admin reset helps.",
                user.id,
            )
            return None
        step = totp.matching_step(secret, text, now, user.totp_last_step)
        if step is None:
            return None
        user.totp_last_step = step
        db.session.flush()
        return "app"
    if totp.looks_like_recovery_code(text):
        spent = db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == totp.hash_recovery_code(text),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:
            return None
        audit.record(
            "two_factor.recovery_code_used",
            entity_type="user",
            entity_id=user.id,
            user_id=user.id,
            details=f"unused codes left: {unused_recovery_codes(user)}",
        )
        return "recovery"
    return None


# --- the pending sign-in -------------------------------------------------------


@dataclass(frozen=True)
class PendingSignIn:
    user_id: int
    email: str
    started_at: datetime
    wrong_codes: int
    next_url: str | None
    password_changed_at: float  # a password reset meanwhile voids the step


def begin_pending_sign_in(user: User, next_url: str | None) -> None:
    """The password was right: remember who, in a fresh cookie, for the code."""
    session.clear()
    session[_PENDING] = {
        "user_id": user.id,
        "email": user.email,
        "started_at": utcnow().timestamp(),
        "wrong_codes": 0,
        "next": next_url,
        "password_changed_at": user.password_changed_at.timestamp(),
    }


def pending_sign_in() -> PendingSignIn | None:
    """The pending sign-in of this browser, or None (none, expired or garbled)."""
    raw = session.get(_PENDING)
    if not isinstance(raw, dict):
        return None
    try:
        pending = PendingSignIn(
            user_id=int(raw["user_id"]),
            email=str(raw["email"]),
            started_at=datetime.fromtimestamp(float(raw["started_at"]), UTC),
            wrong_codes=int(raw["wrong_codes"]),
            next_url=raw.get("next"),
            password_changed_at=float(raw["password_changed_at"]),
        )
    except (KeyError, TypeError, ValueError):
        session.pop(_PENDING, None)
        return None
    lifetime = timedelta(minutes=current_app.config["TWO_FACTOR_PENDING_MINUTES"])
    if not timedelta(0) <= utcnow() - pending.started_at <= lifetime:
        session.pop(_PENDING, None)
        return None
    return pending


def count_wrong_code(pending: PendingSignIn) -> bool:
    """Note a wrong code; True when this pending sign-in has had too many."""
    wrong = pending.wrong_codes + 1
    if wrong >= current_app.config["TWO_FACTOR_MAX_CODE_ATTEMPTS"]:
        session.pop(_PENDING, None)
        return True
    session[_PENDING] = {**session[_PENDING], "wrong_codes": wrong}
    return False


def drop_pending_sign_in() -> None:
    session.pop(_PENDING, None)


def pending_account_key() -> str | None:
    """The email of the pending sign-in, for the per-account rate limit."""
    raw = session.get(_PENDING)
    return str(raw.get("email", "")) if isinstance(raw, dict) else None
