"""Clients of the clinic. Never hard-deleted: archived, with who and when.

An erased client (``erased_at`` set, see ``clinic.privacy``) keeps its row and
its non-identifying structure; name, contact details and free texts were
replaced, and the record stays archived for good.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.clock import utcnow
from clinic.db import UTCDateTime, postgresql_only
from clinic.extensions import db
from clinic.text import digits, fold


class Client(db.Model):
    __tablename__ = "client"
    __table_args__ = (
        CheckConstraint("length(given_name) > 0", name="given_name_not_empty"),
        Index("ix_client_name_dob", "name_key", "date_of_birth"),
        Index("ix_client_email", "email"),
        Index("ix_client_phone_digits", "phone_digits"),
        # Substring search ("LIKE '%frag%'") uses a trigram index on PostgreSQL.
        postgresql_only(
            Index(
                "ix_client_search_trgm",
                "search_text",
                postgresql_using="gin",
                postgresql_ops={"search_text": "gin_trgm_ops"},
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), default="")
    date_of_birth: Mapped[date]
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    emergency_contact_name: Mapped[str] = mapped_column(String(200), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    # Derived columns kept in step by ``refresh_search_keys``: the folded full
    # name (duplicates), digits of the phone, and one text to search in.
    name_key: Mapped[str] = mapped_column(String(201), default="")
    phone_digits: Mapped[str] = mapped_column(String(40), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    archive_reason: Mapped[str] = mapped_column(String(200), default="")
    # Anonymised on request after the retention period (clinic.privacy).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erasure_reason: Mapped[str] = mapped_column(
        String(200), default="", server_default=""
    )

    def __repr__(self) -> str:
        return f"<Client {self.id}>"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def initials(self) -> str:
        parts = [self.given_name, self.family_name]
        return "".join(fold(p)[:1].upper() for p in parts if p) or "X"

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (
            self.date_of_birth.month,
            self.date_of_birth.day,
        )
        return day.year - self.date_of_birth.year - before_birthday

    def refresh_search_keys(self) -> None:
        self.name_key = fold(self.full_name)
        self.phone_digits = digits(self.phone)
        self.search_text = " ".join(
            part
            for part in (self.name_key, fold(self.email), self.phone_digits)
            if part
        )

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    def archive(self, by_user_id: int, reason: str) -> None:
        self.archived_at = utcnow()
        self.archived_by_id = by_user_id
        self.archive_reason = reason

    def restore(self) -> None:
        if self.erased:
            raise ValueError("an erased client cannot be restored")
        self.archived_at = None
        self.archived_by_id = None
        self.archive_reason = ""
