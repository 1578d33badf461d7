"""Staff accounts and their sign-in sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.clock import utcnow
from clinic.db import UTCDateTime, enum_column
from clinic.extensions import db
from clinic.roles import Role

__all__ = ["RecoveryCode", "Role", "StaffSession", "User"]


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("failed_login_count >= 0", name="failed_login_count_positive"),
        CheckConstraint("length(email) > 0", name="email_not_empty"),
        CheckConstraint(
            "(totp_secret IS NULL AND totp_enabled_at IS NULL) OR "
            "(totp_secret IS NOT NULL AND totp_enabled_at IS NOT NULL)",
            name="two_factor_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored case-folded so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an admin resets the password: the user picks their own next.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in: the TOTP secret sealed with the app's key (never
    # stored or shown in clear after enrolment), and the last time-step a code
    # was accepted for, so that no code works twice.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    sessions: Mapped[list[StaffSession]] = relationship(
        back_populates="user", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"

    # Flask-Login reads is_active to refuse disabled accounts.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_secret is not None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def record_failed_login(self, now: datetime, threshold: int, minutes: int) -> bool:
        """Count a failure; lock the account at the threshold. True if it locked."""
        self.failed_login_count += 1
        if self.failed_login_count >= threshold:
            self.locked_until = now + timedelta(minutes=minutes)
            self.failed_login_count = 0
            return True
        return False

    def record_successful_login(self, now: datetime) -> None:
        self.failed_login_count = 0
        self.locked_until = None
        self.last_login_at = now


class StaffSession(db.Model):
    """A server-side sign-in session: ending it revokes the cookie at once.

    The browser holds a random token; only its SHA-256 is stored, so a copy of
    the database does not let anyone sign in.
    """

    __tablename__ = "staff_session"
    __table_args__ = (Index("ix_staff_session_user_open", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship(back_populates="sessions", lazy="joined")

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def open(cls, user: User, ip: str | None, user_agent: str | None):
        """Create a session for ``user``; returns ``(session, token)``."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        row = cls(
            token_hash=cls.hash_token(token),
            user=user,
            created_at=now,
            last_seen_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
        return row, token

    @classmethod
    def by_token(cls, token: str) -> StaffSession | None:
        return db.session.scalar(
            select(cls).where(
                cls.token_hash == cls.hash_token(token), cls.ended_at.is_(None)
            )
        )

    def end(self, reason: str, now: datetime | None = None) -> None:
        if self.ended_at is None:
            self.ended_at = now or utcnow()
            self.end_reason = reason

    def expiry_reason(
        self, now: datetime, idle: timedelta, lifetime: timedelta
    ) -> str | None:
        if now - self.last_seen_at > idle:
            return "idle"
        if now - self.created_at > lifetime:
            return "lifetime"
        return None

    @staticmethod
    def end_all_for(user: User, reason: str, keep: StaffSession | None = None) -> int:
        """End every open session of ``user`` except ``keep``; returns how many."""
        rows = db.session.scalars(
            select(StaffSession).where(
                StaffSession.user_id == user.id, StaffSession.ended_at.is_(None)
            )
        ).all()
        now = utcnow()
        count = 0
        for row in rows:
            if keep is not None and row.id == keep.id:
                continue
            row.end(reason, now)
            count += 1
        return count


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app.

    Only the SHA-256 of the code is stored: codes carry about 80 random bits,
    so the hash cannot be reversed by guessing, and no salt is needed.
    """

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0
