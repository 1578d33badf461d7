"""Visits: the clinical record of one session, with per-zone microcurrent notes.

A visit is a draft until its esthetician signs it; a signed visit never
changes (a mapper guard refuses it) and corrections are amendments shown
under the original.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.auth.models import User
from clinic.catalogue.models import Device
from clinic.clients.models import Client
from clinic.clock import utcnow
from clinic.db import UTCDateTime, changed_columns, enum_column
from clinic.extensions import db
from clinic.scheduling.models import Appointment
from clinic.zones import ZONE_CODES


class VisitStatus(enum.Enum):
    DRAFT = "draft"
    SIGNED = "signed"


class Rescreen(enum.Enum):
    NO_CHANGE = "no_change"  # "anything changed since <date>?" - "No"
    NEW_INTAKE = "new_intake"  # "Yes": a new intake was taken first


class Waveform(enum.Enum):
    SQUARE = "square"
    SINE = "sine"
    RAMPED = "ramped"
    SAWTOOTH = "sawtooth"


class Polarity(enum.Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    ALTERNATING = "alternating"


class Applicator(enum.Enum):
    PROBES = "probes"
    GLOVES = "gloves"
    PADS = "pads"
    WAND = "wand"


class Sensation(enum.Enum):
    NONE = "none"
    TINGLING = "tingling"
    TWITCHING = "twitching"
    DISCOMFORT = "discomfort"


ADVERSE_KINDS = {
    "twitching": "Twitching",
    "metallic_taste": "Metallic taste",
    "flashes": "Flashes of light",
    "discomfort": "Discomfort",
    "redness": "Redness",
}


class Visit(db.Model):
    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("appointment_id"),
        CheckConstraint(
            "(status = 'signed') = "
            "(signed_at IS NOT NULL AND signed_by_id IS NOT NULL)",
            name="signed_has_signer",
        ),
        Index("ix_visit_client_started", "client_id", "started_at"),
        Index("ix_visit_esthetician_status", "esthetician_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    esthetician_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    rescreen: Mapped[Rescreen] = mapped_column(enum_column(Rescreen, "rescreen"))
    rescreened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"))
    # The local findings of that intake, as they stood when the visit started.
    excluded_zones: Mapped[str] = mapped_column(String(300), default="")

    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    conductive_product: Mapped[str] = mapped_column(String(200), default="")
    skin_before: Mapped[str] = mapped_column(Text, default="")
    general_notes: Mapped[str] = mapped_column(Text, default="")
    products_after: Mapped[str] = mapped_column(Text, default="")
    client_feedback: Mapped[str] = mapped_column(Text, default="")
    adverse_kinds: Mapped[str] = mapped_column(String(200), default="")  # comma list
    adverse_details: Mapped[str] = mapped_column(Text, default="")
    aftercare_note: Mapped[str] = mapped_column(Text, default="")

    status: Mapped[VisitStatus] = mapped_column(
        enum_column(VisitStatus, "visit_status"), default=VisitStatus.DRAFT
    )
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    appointment: Mapped[Appointment] = relationship(back_populates="visit")
    client: Mapped[Client] = relationship()
    esthetician: Mapped[User] = relationship(foreign_keys=[esthetician_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    device: Mapped[Device | None] = relationship()
    zone_notes: Mapped[list[ZoneNote]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="visit", order_by="Amendment.id"
    )

    @property
    def signed(self) -> bool:
        return self.status is VisitStatus.SIGNED

    @property
    def excluded_zone_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.excluded_zones.split(",") if code)

    @property
    def adverse_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.adverse_kinds.split(",") if code)

    @property
    def has_adverse(self) -> bool:
        return bool(self.adverse_codes) or any(n.adverse for n in self.zone_notes)

    def notes_in_order(self) -> list[ZoneNote]:
        """Zone notes in treatment order (neck upwards)."""
        return sorted(self.zone_notes, key=lambda note: ZONE_CODES.index(note.zone))

    def notes_by_zone(self) -> dict[str, ZoneNote]:
        return {note.zone: note for note in self.zone_notes}


class ZoneNote(db.Model):
    """What was done on one facial zone during one visit."""

    __tablename__ = "zone_note"
    __table_args__ = (
        UniqueConstraint("visit_id", "zone"),
        CheckConstraint(
            "current_ua IS NULL OR (current_ua > 0 AND current_ua <= 1000)",
            name="current_range",
        ),
        CheckConstraint(
            "frequency_hz IS NULL OR (frequency_hz >= 0.1 AND frequency_hz <= 2000)",
            name="frequency_range",
        ),
        CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds > 0", name="duration_positive"
        ),
        CheckConstraint("holds IS NULL OR holds > 0", name="holds_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"))
    zone: Mapped[str] = mapped_column(String(40))
    current_ua: Mapped[float | None]
    frequency_hz: Mapped[float | None]
    waveform: Mapped[Waveform | None] = mapped_column(enum_column(Waveform, "waveform"))
    polarity: Mapped[Polarity | None] = mapped_column(enum_column(Polarity, "polarity"))
    applicator: Mapped[Applicator | None] = mapped_column(
        enum_column(Applicator, "applicator")
    )
    duration_seconds: Mapped[int | None]
    holds: Mapped[int | None]
    sensation: Mapped[Sensation | None] = mapped_column(
        enum_column(Sensation, "sensation")
    )
    observation: Mapped[str] = mapped_column(String(300), default="")
    adverse: Mapped[bool] = mapped_column(default=False)
    # Set when the zone was excluded by screening and treated anyway.
    override_reason: Mapped[str] = mapped_column(String(300), default="")

    visit: Mapped[Visit] = relationship(back_populates="zone_notes")


class Amendment(db.Model):
    """A correction to a signed visit; the original stays as it was."""

    __tablename__ = "visit_amendment"
    __table_args__ = (CheckConstraint("length(text) > 0", name="text_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)

    visit: Mapped[Visit] = relationship(back_populates="amendments")
    author: Mapped[User] = relationship()


class SignedVisitError(RuntimeError):
    """Something tried to change a signed visit or its zone notes."""


@event.listens_for(Visit, "before_update")
def _guard_visit(mapper, _connection, target: Visit) -> None:
    history = inspect(target).attrs.status.history
    was_signed = VisitStatus.SIGNED in (history.deleted or ()) or (
        not history.has_changes() and target.status is VisitStatus.SIGNED
    )
    if was_signed and changed_columns(mapper, target):
        raise SignedVisitError(f"visit {target.id} is signed and cannot change")


def _guard_note(mapper, _connection, target: ZoneNote) -> None:
    visit = target.visit
    signed = visit is not None and visit.status is VisitStatus.SIGNED
    if signed and (mapper is None or changed_columns(mapper, target)):
        raise SignedVisitError(f"visit {visit.id} is signed and cannot change")


event.listen(ZoneNote, "before_update", _guard_note)
event.listen(
    ZoneNote, "before_delete", lambda _m, _c, target: _guard_note(None, None, target)
)
event.listen(
    ZoneNote,
    "before_insert",
    lambda _m, _c, target: _guard_note(None, None, target),
)
