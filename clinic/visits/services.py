"""Visit operations: start (after re-screening), record, sign, amend, trends.

Functions flush, never commit; each audits what it read or changed with the
client's id (DESIGN.md, guarantee 4). Eligibility is checked again when a
visit starts (guarantee 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clinic import audit
from clinic.auth.models import User
from clinic.clock import clinic_today, utcnow
from clinic.extensions import db
from clinic.intake.eligibility import Eligibility, client_eligibility, latest_intake
from clinic.roles import Role
from clinic.scheduling.models import Appointment, AppointmentStatus, Series
from clinic.scheduling.services import complete as complete_appointment
from clinic.visits.chart import TrendPoint
from clinic.visits.models import (
    Amendment,
    Applicator,
    Polarity,
    Rescreen,
    Sensation,
    Visit,
    VisitStatus,
    Waveform,
    ZoneNote,
)
from clinic.zones import ZONES, format_zones, partner


class VisitError(ValueError):
    """A visit operation the rules refuse; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def _audit(action: str, visit: Visit, details: str = "") -> None:
    audit.record(
        action,
        entity_type="visit",
        entity_id=visit.id,
        client_id=visit.client_id,
        details=details,
    )


def may_write(visit_or_appointment, user: User) -> bool:
    """Only the appointment's esthetician, or an admin, writes its notes."""
    return user.role is Role.ADMIN or visit_or_appointment.esthetician_id == user.id


def visit_for(appointment: Appointment) -> Visit | None:
    return db.session.scalar(
        select(Visit).where(Visit.appointment_id == appointment.id)
    )


def can_start(appointment: Appointment, user: User) -> str | None:
    """Why the visit cannot start, or None."""
    if not may_write(appointment, user):
        return "Only the appointment's esthetician (or an admin) can start this visit."
    if appointment.status is not AppointmentStatus.CHECKED_IN:
        return "Check the client in before starting the visit."
    if visit_for(appointment) is not None:
        return "This visit was already started."
    return None


def start_visit(
    appointment: Appointment, *, user: User, rescreen: Rescreen
) -> tuple[Visit | None, Eligibility]:
    """Record the re-screen answer and open a draft visit if the client may be
    treated today; otherwise (None, eligibility) and nothing is stored."""
    problem = can_start(appointment, user)
    if problem:
        raise VisitError(problem)
    eligibility = client_eligibility(appointment.client_id, clinic_today())
    if appointment.service.needs_screening and not eligibility.may_treat:
        return None, eligibility
    intake = latest_intake(appointment.client_id)
    now = utcnow()
    visit = Visit(
        appointment=appointment,
        client_id=appointment.client_id,
        esthetician_id=appointment.esthetician_id,
        started_at=now,
        started_by_id=user.id,
        rescreen=rescreen,
        rescreened_at=now,
        intake_id=intake.id if intake else None,
        excluded_zones=",".join(eligibility.excluded_zones),
        device_id=appointment.device_id,
    )
    db.session.add(visit)
    db.session.flush()
    _audit("visit.started", visit, f"rescreen={rescreen.value}")
    return visit, eligibility


def _enum_or_none(enum_cls, value):
    return enum_cls(value) if value else None


@dataclass(frozen=True)
class ZoneInput:
    """One treated zone, as validated by the form."""

    zone: str
    current_ua: float
    frequency_hz: float
    waveform: str
    polarity: str
    applicator: str
    duration_seconds: int | None
    holds: int | None
    sensation: str
    observation: str
    adverse: bool
    override_reason: str


def save_visit(
    visit: Visit, fields: dict, zones: list[ZoneInput], *, user: User
) -> list[str]:
    """Replace the draft's record and zone notes; returns warnings to show.

    Raises VisitError (409) for a signed visit, (403) for another's visit.
    """
    if visit.signed:
        raise VisitError("This visit is signed; add an amendment instead.")
    if not may_write(visit, user):
        raise VisitError(
            "Only the visit's esthetician (or an admin) can change it.", 403
        )
    for key, value in fields.items():
        setattr(visit, key, value)
    existing = visit.notes_by_zone()
    wanted = {z.zone for z in zones}
    for code, note in existing.items():
        if code not in wanted:
            visit.zone_notes.remove(note)
    warnings = []
    maximum = visit.device.max_current_ua if visit.device else None
    for item in zones:
        note = existing.get(item.zone) or ZoneNote(zone=item.zone)
        if note not in visit.zone_notes:
            visit.zone_notes.append(note)
        note.current_ua = float(item.current_ua)
        note.frequency_hz = float(item.frequency_hz)
        note.waveform = _enum_or_none(Waveform, item.waveform)
        note.polarity = _enum_or_none(Polarity, item.polarity)
        note.applicator = _enum_or_none(Applicator, item.applicator)
        note.duration_seconds = item.duration_seconds
        note.holds = item.holds
        note.sensation = _enum_or_none(Sensation, item.sensation)
        note.observation = item.observation
        note.adverse = item.adverse
        note.override_reason = item.override_reason
        if maximum is not None and item.current_ua > maximum:
            warnings.append(
                f"{format_zones([item.zone])}: {item.current_ua:g} µA is above "
                f"{visit.device.name}'s configured maximum of {maximum} µA."
            )
    db.session.flush()
    overrides = [z.zone for z in zones if z.override_reason]
    _audit(
        "visit.saved",
        visit,
        f"zones={len(zones)}"
        + (f"; excluded zones treated: {','.join(overrides)}" if overrides else ""),
    )
    return warnings


def sign_visit(visit: Visit, *, user: User) -> None:
    """Sign the visit (read-only from now on) and complete the appointment."""
    if visit.signed:
        raise VisitError("This visit is already signed.")
    if not may_write(visit, user):
        raise VisitError("Only the visit's esthetician (or an admin) can sign it.", 403)
    if not visit.zone_notes:
        raise VisitError("Record at least one treated zone before signing.", 422)
    visit.status = VisitStatus.SIGNED
    visit.signed_at = utcnow()
    visit.signed_by_id = user.id
    db.session.flush()
    _audit("visit.signed", visit)
    if visit.appointment.status is AppointmentStatus.CHECKED_IN:
        complete_appointment(visit.appointment, by_user_id=user.id)


def amend_visit(visit: Visit, text: str, *, user: User) -> Amendment:
    if not visit.signed:
        raise VisitError("Edit the draft directly; amendments are for signed visits.")
    if not may_write(visit, user):
        raise VisitError(
            "Only the visit's esthetician (or an admin) can amend it.", 403
        )
    amendment = Amendment(
        visit=visit, author_id=user.id, text=text, created_at=utcnow()
    )
    db.session.add(amendment)
    db.session.flush()
    _audit("visit.amended", visit)
    return amendment


def audit_viewed(visit: Visit) -> None:
    _audit("visit.viewed", visit)


def audit_start_viewed(appointment: Appointment) -> None:
    """The start page shows the client's screening outcome (health data)."""
    audit.record(
        "screening.viewed",
        entity_type="appointment",
        entity_id=appointment.id,
        client_id=appointment.client_id,
    )


def last_signed_visit(client_id: int, before: Visit) -> Visit | None:
    return db.session.scalar(
        select(Visit)
        .where(
            Visit.client_id == client_id,
            Visit.status == VisitStatus.SIGNED,
            Visit.id != before.id,
        )
        .order_by(Visit.started_at.desc())
        .limit(1)
    )


def note_values(note: ZoneNote) -> dict:
    """A zone note as form data (copy from last visit, same on both sides)."""
    return {
        "treated": True,
        "current_ua": note.current_ua,
        "frequency_hz": note.frequency_hz,
        "waveform": note.waveform.value if note.waveform else "",
        "polarity": note.polarity.value if note.polarity else "",
        "applicator": note.applicator.value if note.applicator else "",
        "duration_seconds": note.duration_seconds,
        "holds": note.holds,
        "sensation": "",
        "observation": "",
        "adverse": False,
        "override_reason": "",
    }


def mirror_pairs(data: dict[str, dict]) -> dict[str, dict]:
    """Copy each treated left/right zone's settings to an untreated partner."""
    result = dict(data)
    for zone in ZONES:
        other = partner(zone.code)
        if other is None:
            continue
        mine, theirs = data.get(zone.code, {}), data.get(other.code, {})
        if mine.get("treated") and not theirs.get("treated"):
            result[other.code] = {
                **mine,
                "observation": "",
                "adverse": False,
                "override_reason": "",
            }
    return result


def unsigned_older_than(user: User, hours: int = 24) -> list[Visit]:
    """Drafts of this esthetician (all, for an admin) started over ``hours`` ago."""
    stmt = select(Visit).where(
        Visit.status == VisitStatus.DRAFT,
        Visit.started_at < utcnow() - timedelta(hours=hours),
    )
    if user.role is not Role.ADMIN:
        stmt = stmt.where(Visit.esthetician_id == user.id)
    return list(db.session.scalars(stmt.order_by(Visit.started_at)))


def client_visits(client_id: int) -> list[Visit]:
    return list(
        db.session.scalars(
            select(Visit)
            .where(Visit.client_id == client_id)
            .options(joinedload(Visit.esthetician))
            .order_by(Visit.started_at.desc())
        )
    )


def series_trends(series: Series) -> dict[str, list[TrendPoint]]:
    """Per zone, the signed current and frequency by session of the series."""
    return series_trends_of([series.id]).get(series.id, {})


def series_trends_of(
    series_ids: list[int],
) -> dict[int, dict[str, list[TrendPoint]]]:
    """``series_trends`` of several series in one query (a client's profile)."""
    if not series_ids:
        return {}
    rows = db.session.execute(
        select(Appointment.series_id, Appointment.session_number, ZoneNote, Visit)
        .join(Visit, Visit.appointment_id == Appointment.id)
        .join(ZoneNote, ZoneNote.visit_id == Visit.id)
        .where(
            Appointment.series_id.in_(series_ids), Visit.status == VisitStatus.SIGNED
        )
        .order_by(Appointment.series_id, Appointment.session_number)
    ).all()
    trends: dict[int, dict[str, list[TrendPoint]]] = {}
    for series_id, session, note, visit in rows:
        trends.setdefault(series_id, {}).setdefault(note.zone, []).append(
            TrendPoint(
                session=session,
                current_ua=note.current_ua,
                frequency_hz=note.frequency_hz,
                adverse=note.adverse or bool(visit.adverse_codes),
            )
        )
    return trends
