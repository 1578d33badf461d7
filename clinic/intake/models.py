"""Screening rules (versioned), consent texts (versioned), intakes, clearances.

A submitted intake is immutable: answers, rules version, consent versions,
signature and outcome never change (a mapper guard refuses updates and
deletes). A correction is a new intake.
"""

from __future__ import annotations

import enum
import json
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

from clinic.clients.models import Client
from clinic.clock import utcnow
from clinic.db import UTCDateTime, enum_column, make_immutable
from clinic.extensions import db
from clinic.intake import screening
from clinic.intake.screening import Outcome, RuleClass


class RuleSet(db.Model):
    """One version of the screening catalogue; a change makes the next one."""

    __tablename__ = "screening_rule_set"
    __table_args__ = (CheckConstraint("minimum_age >= 0", name="minimum_age_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    minimum_age: Mapped[int] = mapped_column(default=18)
    note: Mapped[str] = mapped_column(String(300), default="")
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    rules: Mapped[list[ScreeningRule]] = relationship(
        back_populates="rule_set",
        order_by="ScreeningRule.position",
    )

    def active_rules(self) -> list[ScreeningRule]:
        return [rule for rule in self.rules if rule.active]

    def engine_rules(self) -> list[screening.Rule]:
        return [rule.to_engine() for rule in self.active_rules()]


class ScreeningRule(db.Model):
    __tablename__ = "screening_rule"
    __table_args__ = (
        UniqueConstraint("rule_set_id", "code"),
        CheckConstraint(
            "(rule_class = 'temporary' AND waiting_days IS NOT NULL "
            "AND waiting_days >= 0) OR (rule_class <> 'temporary' "
            "AND waiting_days IS NULL)",
            name="waiting_days_for_temporary",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("screening_rule_set.id"))
    code: Mapped[str] = mapped_column(String(60))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(String(500), default="")
    rule_class: Mapped[RuleClass] = mapped_column(enum_column(RuleClass, "rule_class"))
    waiting_days: Mapped[int | None]
    requires_clearance: Mapped[bool] = mapped_column(default=False)
    zones: Mapped[str] = mapped_column(String(300), default="")  # comma-separated
    active: Mapped[bool] = mapped_column(default=True)

    rule_set: Mapped[RuleSet] = relationship(back_populates="rules")

    @property
    def zone_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.zones.split(",") if code)

    def to_engine(self) -> screening.Rule:
        return screening.Rule(
            code=self.code,
            question=self.question,
            rule_class=self.rule_class,
            waiting_days=self.waiting_days,
            requires_clearance=self.requires_clearance,
            zones=self.zone_codes,
            label=self.label,
        )

    def content(self) -> dict:
        """The editable content, to copy into the next version."""
        return {
            "code": self.code,
            "position": self.position,
            "label": self.label,
            "question": self.question,
            "help_text": self.help_text,
            "rule_class": self.rule_class,
            "waiting_days": self.waiting_days,
            "requires_clearance": self.requires_clearance,
            "zones": self.zones,
            "active": self.active,
        }


class ConsentKind(enum.Enum):
    TREATMENT = "treatment"
    DATA = "data_processing"
    PHOTO = "photo"

    @property
    def label(self) -> str:
        return {
            "treatment": "Consent to treatment",
            "data_processing": "Consent to the processing of health data",
            "photo": "Consent to photographs (optional)",
        }[self.value]


class ConsentDocument(db.Model):
    """A version of a consent text; editing makes the next version."""

    __tablename__ = "consent_document"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ConsentKind] = mapped_column(enum_column(ConsentKind, "consent_kind"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class EnteredVia(enum.Enum):
    STAFF = "staff"
    TABLET = "tablet"


class Intake(db.Model):
    __tablename__ = "intake"
    __table_args__ = (
        Index("ix_intake_client_submitted", "client_id", "submitted_at"),
        CheckConstraint("signature_agreed", name="signature_agreed"),
        CheckConstraint("length(signature_name) > 0", name="signature_name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("screening_rule_set.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    screened_on: Mapped[date]  # the clinic-local day the screening applies from
    entered_via: Mapped[EnteredVia] = mapped_column(
        enum_column(EnteredVia, "entered_via")
    )
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    ip: Mapped[str | None] = mapped_column(String(64))

    treatment_consent_id: Mapped[int] = mapped_column(ForeignKey("consent_document.id"))
    data_consent_id: Mapped[int] = mapped_column(ForeignKey("consent_document.id"))
    photo_consent_id: Mapped[int | None] = mapped_column(
        ForeignKey("consent_document.id")
    )
    signature_name: Mapped[str] = mapped_column(String(200))
    signature_agreed: Mapped[bool]

    # The screening outcome as computed at submission (the engine's result).
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome, "outcome"))
    eligible_from: Mapped[date | None]
    excluded_zones: Mapped[str] = mapped_column(String(300), default="")
    needs_clearance: Mapped[bool]
    not_eligible: Mapped[bool]
    findings_json: Mapped[str] = mapped_column(Text, default="[]")

    client: Mapped[Client] = relationship()
    rule_set: Mapped[RuleSet] = relationship()
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    answers: Mapped[list[IntakeAnswer]] = relationship(
        back_populates="intake", order_by="IntakeAnswer.position"
    )
    treatment_consent: Mapped[ConsentDocument] = relationship(
        foreign_keys=[treatment_consent_id]
    )
    data_consent: Mapped[ConsentDocument] = relationship(foreign_keys=[data_consent_id])
    photo_consent: Mapped[ConsentDocument | None] = relationship(
        foreign_keys=[photo_consent_id]
    )
    clearance: Mapped[Clearance | None] = relationship(back_populates="intake")

    @property
    def excluded_zone_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.excluded_zones.split(",") if code)

    def store_result(self, result: screening.ScreeningResult) -> None:
        self.outcome = result.outcome
        self.eligible_from = result.eligible_from
        self.excluded_zones = ",".join(result.excluded_zones)
        self.needs_clearance = result.needs_clearance
        self.not_eligible = result.not_eligible
        self.findings_json = json.dumps(
            [
                {
                    "rule_code": f.rule_code,
                    "rule_class": f.rule_class.value,
                    "reason": f.reason,
                    "eligible_from": f.eligible_from.isoformat()
                    if f.eligible_from
                    else None,
                    "zones": list(f.zones),
                    "requires_clearance": f.requires_clearance,
                }
                for f in result.findings
            ],
            ensure_ascii=False,
        )

    def result(self) -> screening.ScreeningResult:
        """The stored engine result, rebuilt (no re-screening)."""
        findings = tuple(
            screening.Finding(
                rule_code=item["rule_code"],
                rule_class=RuleClass(item["rule_class"]),
                reason=item["reason"],
                eligible_from=date.fromisoformat(item["eligible_from"])
                if item["eligible_from"]
                else None,
                zones=tuple(item["zones"]),
                requires_clearance=item["requires_clearance"],
            )
            for item in json.loads(self.findings_json)
        )
        return screening.ScreeningResult(
            outcome=self.outcome,
            findings=findings,
            eligible_from=self.eligible_from,
            excluded_zones=self.excluded_zone_codes,
            not_eligible=self.not_eligible,
            needs_clearance=self.needs_clearance,
        )


class IntakeAnswer(db.Model):
    __tablename__ = "intake_answer"
    __table_args__ = (UniqueConstraint("intake_id", "rule_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"))
    position: Mapped[int]
    rule_code: Mapped[str] = mapped_column(String(60))
    question: Mapped[str] = mapped_column(String(300))  # as asked
    yes: Mapped[bool]
    event_date: Mapped[date | None]
    zones: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[str] = mapped_column(Text, default="")

    intake: Mapped[Intake] = relationship(back_populates="answers")

    @property
    def zone_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.zones.split(",") if code)

    def to_engine(self) -> screening.Answer:
        return screening.Answer(
            rule_code=self.rule_code,
            yes=self.yes,
            event_date=self.event_date,
            zones=self.zone_codes,
            details=self.details,
        )


class Clearance(db.Model):
    """An esthetician's clearance of the relative findings of one intake."""

    __tablename__ = "clearance"
    __table_args__ = (CheckConstraint("length(reason) > 0", name="reason_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), unique=True)
    cleared_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    physician_note_ref: Mapped[str] = mapped_column(String(200), default="")
    cleared_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    intake: Mapped[Intake] = relationship(back_populates="clearance")
    cleared_by = relationship("User")


class IntakeLink(db.Model):
    """A one-time link for the client to fill the intake on a clinic tablet.

    Only the SHA-256 of the token is stored; the link expires after a setting
    (default 30 minutes) or at its first submission.
    """

    __tablename__ = "intake_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"))

    client: Mapped[Client] = relationship()

    def usable(self, now: datetime) -> bool:
        return (
            self.used_at is None and self.revoked_at is None and now < self.expires_at
        )


class ImmutableRecordError(RuntimeError):
    """A signed intake (or its answers) was about to be changed or deleted."""


# Rules versions, consent texts and intakes are what was signed: never edited.
make_immutable(
    (RuleSet, ScreeningRule, ConsentDocument, Intake, IntakeAnswer),
    ImmutableRecordError,
    "a signed record",
)
