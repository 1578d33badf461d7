"""Intake operations: submit, tablet links, clearance, history and diff."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from clinic import audit
from clinic.clients.models import Client
from clinic.clock import to_clinic_time, utcnow
from clinic.extensions import db
from clinic.intake import screening
from clinic.intake.models import (
    Clearance,
    ConsentDocument,
    ConsentKind,
    EnteredVia,
    Intake,
    IntakeAnswer,
    IntakeLink,
    RuleSet,
)
from clinic.zones import format_zones


class IntakeError(ValueError):
    """An intake operation the rules refuse; the message is for the user."""


def current_rule_set() -> RuleSet:
    rule_set = db.session.scalar(select(RuleSet).order_by(RuleSet.version.desc()))
    if rule_set is None:
        raise IntakeError("No screening rules are set up; run the migrations.")
    return rule_set


def current_consents() -> dict[ConsentKind, ConsentDocument]:
    latest = (
        select(ConsentDocument.kind, func.max(ConsentDocument.version).label("v"))
        .group_by(ConsentDocument.kind)
        .subquery()
    )
    rows = db.session.scalars(
        select(ConsentDocument).join(
            latest,
            (ConsentDocument.kind == latest.c.kind)
            & (ConsentDocument.version == latest.c.v),
        )
    )
    return {doc.kind: doc for doc in rows}


@dataclass(frozen=True)
class Submission:
    """What the questionnaire form collected (validated)."""

    answers: tuple[screening.Answer, ...]
    signature_name: str
    photo_consent: bool


def submit_intake(
    client: Client,
    submission: Submission,
    *,
    rule_set: RuleSet,
    consents: dict[ConsentKind, ConsentDocument],
    via: EnteredVia,
    by_user_id: int | None,
    ip: str | None,
    signed_at: datetime | None = None,
) -> Intake:
    """Screen the answers and store the signed intake (flushes).

    ``signed_at`` backdates a paper intake signed earlier (default: now).
    Raises ``screening.ScreeningInputError`` for answers the engine refuses.
    """
    signed_at = signed_at or utcnow()
    today = to_clinic_time(signed_at).date()
    result = screening.screen(
        submission.answers,
        client.date_of_birth,
        rule_set.engine_rules(),
        today,
        minimum_age=rule_set.minimum_age,
    )
    intake = Intake(
        client=client,
        rule_set=rule_set,
        submitted_at=signed_at,
        screened_on=today,
        entered_via=via,
        entered_by_id=by_user_id,
        ip=ip,
        treatment_consent=consents[ConsentKind.TREATMENT],
        data_consent=consents[ConsentKind.DATA],
        photo_consent=consents.get(ConsentKind.PHOTO)
        if submission.photo_consent
        else None,
        signature_name=submission.signature_name,
        signature_agreed=True,
    )
    intake.store_result(result)
    questions = {rule.code: rule for rule in rule_set.active_rules()}
    for position, answer in enumerate(submission.answers):
        rule = questions[answer.rule_code]
        intake.answers.append(
            IntakeAnswer(
                position=position,
                rule_code=answer.rule_code,
                question=rule.question,
                yes=answer.yes,
                event_date=answer.event_date if answer.yes else None,
                zones=",".join(answer.zones) if answer.yes else "",
                details=answer.details,
            )
        )
    db.session.add(intake)
    db.session.flush()
    audit.record(
        "intake.submitted",
        entity_type="intake",
        entity_id=intake.id,
        client_id=client.id,
        details=f"via={via.value}; rules v{rule_set.version}",
    )
    return intake


def intake_history(client_id: int) -> list[Intake]:
    return list(
        db.session.scalars(
            select(Intake)
            .where(Intake.client_id == client_id)
            .order_by(Intake.submitted_at.desc(), Intake.id.desc())
        )
    )


def audit_answers_viewed(intake: Intake, what: str = "intake.answers_viewed") -> None:
    audit.record(
        what, entity_type="intake", entity_id=intake.id, client_id=intake.client_id
    )


# --- the tablet link -------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(client: Client, *, by_user_id: int) -> tuple[IntakeLink, str]:
    """A new one-time link; earlier unused links of the client are revoked."""
    now = utcnow()
    db.session.execute(
        update(IntakeLink)
        .where(
            IntakeLink.client_id == client.id,
            IntakeLink.used_at.is_(None),
            IntakeLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    link = IntakeLink(
        token_hash=_hash_token(token),
        client=client,
        created_by_id=by_user_id,
        created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["INTAKE_LINK_MINUTES"]),
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        "intake.link_created",
        entity_type="intake_link",
        entity_id=link.id,
        client_id=client.id,
    )
    return link, token


def find_usable_link(token: str) -> IntakeLink | None:
    """The link for ``token`` if it can still be used, else None."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(
        select(IntakeLink).where(IntakeLink.token_hash == _hash_token(token))
    )
    if link is None or not link.usable(utcnow()):
        return None
    return link


def consume_link(link: IntakeLink, intake: Intake) -> None:
    """Mark the link used; IntakeError if another submission won the race."""
    now = utcnow()
    result = db.session.execute(
        update(IntakeLink)
        .where(
            IntakeLink.id == link.id,
            IntakeLink.used_at.is_(None),
            IntakeLink.revoked_at.is_(None),
            IntakeLink.expires_at > now,
        )
        .values(used_at=now, intake_id=intake.id)
    )
    if result.rowcount != 1:
        raise IntakeError("This link was already used or has expired.")


# --- clearance -------------------------------------------------------------


def record_clearance(
    intake: Intake,
    *,
    by_user_id: int,
    reason: str,
    physician_note_ref: str,
    cleared_on: date,
) -> Clearance:
    """Clear the relative findings of the client's latest intake."""
    from clinic.intake.eligibility import latest_intake

    if not intake.needs_clearance:
        raise IntakeError("This intake has nothing that needs clearance.")
    if intake.clearance is not None:
        raise IntakeError("This intake was already cleared.")
    latest = latest_intake(intake.client_id)
    if latest is None or latest.id != intake.id:
        raise IntakeError("Only the latest intake can be cleared.")
    clearance = Clearance(
        intake=intake,
        cleared_by_id=by_user_id,
        reason=reason,
        physician_note_ref=physician_note_ref,
        cleared_on=cleared_on,
    )
    db.session.add(clearance)
    db.session.flush()
    audit.record(
        "intake.cleared",
        entity_type="intake",
        entity_id=intake.id,
        client_id=intake.client_id,
        details="rules: " + ", ".join(intake.result().clearance_rule_codes),
    )
    return clearance


# --- comparing two intakes -------------------------------------------------


@dataclass(frozen=True)
class AnswerChange:
    question: str
    before: str
    after: str


def describe_answer(answer: IntakeAnswer | None) -> str:
    if answer is None:
        return "Not asked"
    if not answer.yes:
        return "No"
    parts = ["Yes"]
    if answer.event_date:
        parts.append(f"on {answer.event_date.isoformat()}")
    if answer.zone_codes:
        parts.append(f"({format_zones(answer.zone_codes)})")
    if answer.details:
        parts.append(f"- {answer.details}")
    return " ".join(parts)


def diff_intakes(older: Intake, newer: Intake) -> list[AnswerChange]:
    """Answers that differ between two intakes, in the newer one's order."""
    before = {answer.rule_code: answer for answer in older.answers}
    after = {answer.rule_code: answer for answer in newer.answers}
    order = [a.rule_code for a in newer.answers] + [
        code for code in before if code not in after
    ]
    changes = []
    for code in order:
        old, new = before.get(code), after.get(code)
        old_text, new_text = describe_answer(old), describe_answer(new)
        if old_text != new_text:
            question = (new or old).question
            changes.append(AnswerChange(question, old_text, new_text))
    return changes
