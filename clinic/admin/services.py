"""Staff management: the operations behind the admin pages and the CLI.

Each function changes the session's objects and flushes; the caller commits.
Operations that would leave the clinic without an active admin are refused.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic import audit
from clinic.auth import two_factor
from clinic.auth.models import StaffSession, User
from clinic.auth.passwords import hash_password
from clinic.auth.services import find_user_by_email, normalise_email
from clinic.clock import utcnow
from clinic.extensions import db
from clinic.roles import Role


class StaffError(ValueError):
    """A staff change that the rules refuse; the message is for the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


DUPLICATE_EMAIL = "A staff account with this email already exists."


def list_staff() -> list[User]:
    return list(
        db.session.scalars(select(User).order_by(User.active.desc(), User.name))
    )


def create_user(email: str, name: str, role: Role, password: str) -> User:
    """Create an account. StaffError(field="email") if the email is taken."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise StaffError(DUPLICATE_EMAIL, field="email")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    try:
        # A savepoint: a concurrent insert of the same email loses cleanly.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise StaffError(DUPLICATE_EMAIL, field="email") from exc
    audit.record(
        "user.created",
        entity_type="user",
        entity_id=user.id,
        details=f"role={role.value}",
    )
    return user


def _active_admins() -> int:
    # FOR UPDATE (in id order): two admins removing each other at once must not
    # both still see the other as active. On PostgreSQL the second waits and
    # then counts again; SQLite serialises writers anyway (BEGIN IMMEDIATE).
    admin_ids = db.session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    return len(admin_ids)


def _refuse_losing_last_admin(user: User) -> None:
    if user.role == Role.ADMIN and user.active and _active_admins() <= 1:
        raise StaffError("The clinic needs at least one active admin.")


def update_user(user: User, *, name: str, role: Role, by: User) -> None:
    if role != user.role:
        if user.id == by.id:
            raise StaffError("You cannot change your own role.", field="role")
        _refuse_losing_last_admin(user)
        audit.record(
            "user.role_changed",
            entity_type="user",
            entity_id=user.id,
            details=f"{user.role.value}->{role.value}",
        )
        user.role = role
    if name.strip() != user.name:
        user.name = name.strip()
        audit.record("user.renamed", entity_type="user", entity_id=user.id)
    db.session.flush()


def deactivate_user(user: User, *, by: User) -> int:
    """Disable the account and end all its sessions; returns sessions ended."""
    if user.id == by.id:
        raise StaffError("You cannot deactivate your own account.")
    _refuse_losing_last_admin(user)
    user.active = False
    ended = StaffSession.end_all_for(user, "deactivated")
    audit.record(
        "user.deactivated",
        entity_type="user",
        entity_id=user.id,
        details=f"sessions ended: {ended}",
    )
    db.session.flush()
    return ended


def reactivate_user(user: User) -> None:
    user.active = True
    user.failed_login_count = 0
    user.locked_until = None
    audit.record("user.reactivated", entity_type="user", entity_id=user.id)
    db.session.flush()


def reset_password(user: User, password: str) -> int:
    """Set a temporary password the user must change; ends their sessions."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    user.failed_login_count = 0
    user.locked_until = None
    ended = StaffSession.end_all_for(user, "password reset")
    audit.record(
        "user.password_reset",
        entity_type="user",
        entity_id=user.id,
        details=f"sessions ended: {ended}",
    )
    db.session.flush()
    return ended


def reset_two_factor(user: User, *, by: User) -> int:
    """Remove a member's two-factor (lost phone); ends their sessions.

    They sign in with the password alone next time and set it up again (at
    once, if the clinic requires it for their role).
    """
    if user.id == by.id:
        raise StaffError(
            "You cannot reset your own two-factor sign-in here; use your account page."
        )
    if not user.two_factor_enabled:
        raise StaffError(f"{user.name} has no two-factor sign-in to reset.")
    return two_factor.reset_by_admin(user)


def end_sessions(user: User) -> int:
    ended = StaffSession.end_all_for(user, "ended by admin")
    audit.record(
        "user.sessions_ended",
        entity_type="user",
        entity_id=user.id,
        details=f"sessions ended: {ended}",
    )
    db.session.flush()
    return ended
