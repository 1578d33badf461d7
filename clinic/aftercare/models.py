"""Aftercare templates (versioned per service) and the record of every print.

A print stores the exact content of the sheet it produced (``content_json``)
and the SHA-256 of the PDF, so a reprint gives the same sheet even after the
template was edited, and anyone can check a paper copy against the record.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.auth.models import User
from clinic.catalogue.models import Service
from clinic.clock import utcnow
from clinic.db import UTCDateTime, make_immutable
from clinic.extensions import db


class AftercareTemplate(db.Model):
    """One version of a service's aftercare advice; editing makes the next."""

    __tablename__ = "aftercare_template"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    general_notes: Mapped[str] = mapped_column(Text, default="")
    contact_if: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    service: Mapped[Service] = relationship()
    items: Mapped[list[AftercareItem]] = relationship(
        back_populates="template", order_by="AftercareItem.position"
    )


class AftercareItem(db.Model):
    """One instruction, e.g. "Avoid sauna and heavy exercise" for 24 hours."""

    __tablename__ = "aftercare_item"
    __table_args__ = (
        CheckConstraint(
            "duration_hours IS NULL OR (duration_hours > 0 AND duration_hours <= 2160)",
            name="duration_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("aftercare_template.id"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(300))
    duration_hours: Mapped[int | None]

    template: Mapped[AftercareTemplate] = relationship(back_populates="items")


class AftercareBatch(db.Model):
    """One PDF with the sheets of every visit completed on a day."""

    __tablename__ = "aftercare_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    printed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    sha256: Mapped[str] = mapped_column(String(64))

    printed_by: Mapped[User] = relationship()
    prints: Mapped[list[AftercarePrint]] = relationship(
        back_populates="batch", order_by="AftercarePrint.position"
    )


class AftercarePrint(db.Model):
    """A sheet printed for a visit: what it said, from which template, by whom."""

    __tablename__ = "aftercare_print"
    __table_args__ = (
        Index("ix_aftercare_print_visit", "visit_id", "printed_at"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("aftercare_template.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("aftercare_batch.id"))
    position: Mapped[int] = mapped_column(default=0)  # order within a batch
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    printed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    page_size: Mapped[str] = mapped_column(String(10))
    content_json: Mapped[str] = mapped_column(Text)
    # SHA-256 of the PDF served for this print (for a batch: the batch's PDF).
    sha256: Mapped[str] = mapped_column(String(64))
    draft: Mapped[bool] = mapped_column(default=False)

    template: Mapped[AftercareTemplate] = relationship()
    printed_by: Mapped[User] = relationship()
    batch: Mapped[AftercareBatch | None] = relationship(back_populates="prints")


class ImmutableAftercareError(RuntimeError):
    """A template version or a print record was about to change."""


make_immutable(
    (AftercareTemplate, AftercareItem, AftercarePrint),
    ImmutableAftercareError,
    "a record of what was printed",
)
