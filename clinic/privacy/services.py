"""Client export (right of access): one dict with the client's whole record.

``build_export`` gathers everything the clinic holds about one client into
plain JSON-ready data (strings, numbers, booleans, lists, dicts; datetimes as
ISO 8601 UTC, dates as ISO 8601). The JSON download is that dict; the PDF is
drawn from the same dict (``clinic.privacy.pdf``), so both always say the same.

The keys are a documented, stable format (``FORMAT``/``FORMAT_VERSION``):
add keys in a backwards-compatible way, bump the version for anything else.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clinic import audit
from clinic.aftercare.models import AftercarePrint
from clinic.audit import AuditEvent
from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.clock import utcnow
from clinic.extensions import db
from clinic.intake.models import Intake
from clinic.scheduling.models import Appointment, Series
from clinic.visits.models import Visit
from clinic.zones import zone_by_code

FORMAT = "clinic-client-record"
FORMAT_VERSION = 1
FORMATS = ("json", "pdf")
COMMAND_LINE = "command line (no signed-in user)"


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _d(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _codes(text: str) -> list[str]:
    return [code for code in text.split(",") if code]


def _zone_label(code: str) -> str:
    try:
        return zone_by_code(code).label
    except (KeyError, ValueError):
        return code


class _People:
    """Staff names by id, loaded once for the whole export."""

    def __init__(self):
        self._users = {user.id: user for user in db.session.scalars(select(User)).all()}

    def __call__(self, user_id: int | None) -> dict | None:
        if user_id is None:
            return None
        user = self._users.get(user_id)
        if user is None:
            return {"id": user_id, "name": f"user {user_id}", "role": None}
        return {"id": user.id, "name": user.name, "role": user.role.value}


def _client(client: Client) -> dict:
    return {
        "id": client.id,
        "given_name": client.given_name,
        "family_name": client.family_name,
        "full_name": client.full_name,
        "date_of_birth": _d(client.date_of_birth),
        "phone": client.phone,
        "email": client.email,
        "address": client.address,
        "emergency_contact_name": client.emergency_contact_name,
        "emergency_contact_phone": client.emergency_contact_phone,
        "notes": client.notes,
        "created_at": _dt(client.created_at),
        "updated_at": _dt(client.updated_at),
        "archived_at": _dt(client.archived_at),
        "archive_reason": client.archive_reason,
        "erased_at": _dt(client.erased_at),
    }


def _consent(document) -> dict | None:
    if document is None:
        return None
    return {
        "kind": document.kind.value,
        "version": document.version,
        "title": document.title,
    }


def _intakes(client_id: int, who: _People) -> list[dict]:
    intakes = db.session.scalars(
        select(Intake)
        .where(Intake.client_id == client_id)
        .options(
            selectinload(Intake.answers),
            selectinload(Intake.clearance),
            selectinload(Intake.rule_set),
            selectinload(Intake.treatment_consent),
            selectinload(Intake.data_consent),
            selectinload(Intake.photo_consent),
        )
        .order_by(Intake.submitted_at, Intake.id)
    ).all()
    out = []
    for intake in intakes:
        clearance = intake.clearance
        out.append(
            {
                "id": intake.id,
                "submitted_at": _dt(intake.submitted_at),
                "screened_on": _d(intake.screened_on),
                "entered_via": intake.entered_via.value,
                "entered_by": who(intake.entered_by_id),
                "rules_version": intake.rule_set.version,
                "screening": {
                    "outcome": intake.outcome.value,
                    "eligible_from": _d(intake.eligible_from),
                    "needs_clearance": intake.needs_clearance,
                    "not_eligible": intake.not_eligible,
                    "excluded_zones": _codes(intake.excluded_zones),
                    "findings": json.loads(intake.findings_json),
                },
                "answers": [
                    {
                        "position": answer.position,
                        "rule_code": answer.rule_code,
                        "question": answer.question,
                        "answer": "yes" if answer.yes else "no",
                        "event_date": _d(answer.event_date),
                        "zones": _codes(answer.zones),
                        "details": answer.details,
                    }
                    for answer in intake.answers
                ],
                "consents": {
                    "treatment": _consent(intake.treatment_consent),
                    "data_processing": _consent(intake.data_consent),
                    "photo": _consent(intake.photo_consent),
                },
                "signature": {
                    "name": intake.signature_name,
                    "agreed": intake.signature_agreed,
                },
                "clearance": None
                if clearance is None
                else {
                    "cleared_on": _d(clearance.cleared_on),
                    "cleared_by": who(clearance.cleared_by_id),
                    "reason": clearance.reason,
                    "physician_note_ref": clearance.physician_note_ref,
                    "recorded_at": _dt(clearance.created_at),
                },
            }
        )
    return out


def _series(client_id: int, who: _People) -> list[dict]:
    rows = db.session.scalars(
        select(Series)
        .where(Series.client_id == client_id)
        .options(
            selectinload(Series.protocol),
            selectinload(Series.service),
            selectinload(Series.appointments),
        )
        .order_by(Series.created_at, Series.id)
    ).all()
    return [
        {
            "id": series.id,
            "protocol": series.protocol.name,
            "service": series.service.name,
            "sessions_total": series.sessions_total,
            "min_gap_days": series.min_gap_days,
            "preferred_gap_days": series.preferred_gap_days,
            "max_gap_days": series.max_gap_days,
            "status": series.status.value,
            "created_at": _dt(series.created_at),
            "created_by": who(series.created_by_id),
            "appointment_ids": [a.id for a in series.appointments],
        }
        for series in rows
    ]


def _appointments(client_id: int, who: _People) -> list[dict]:
    rows = db.session.scalars(
        select(Appointment)
        .where(Appointment.client_id == client_id)
        .options(
            selectinload(Appointment.service),
            selectinload(Appointment.room),
            selectinload(Appointment.device),
            selectinload(Appointment.events),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    return [
        {
            "id": a.id,
            "series_id": a.series_id,
            "session_number": a.session_number,
            "service": a.service.name,
            "esthetician": who(a.esthetician_id),
            "room": a.room.name,
            "device": a.device.name if a.device else None,
            "starts_at": _dt(a.starts_at),
            "ends_at": _dt(a.ends_at),
            "status": a.status.value,
            "cancel_reason": a.cancel_reason,
            "late_cancel": a.late_cancel,
            "created_at": _dt(a.created_at),
            "created_by": who(a.created_by_id),
            "checked_in_at": _dt(a.checked_in_at),
            "completed_at": _dt(a.completed_at),
            "cancelled_at": _dt(a.cancelled_at),
            "status_history": [
                {
                    "at": _dt(event.at),
                    "event": event.kind,
                    "by": who(event.by_user_id),
                    "details": event.details,
                }
                for event in a.events
            ],
        }
        for a in rows
    ]


def _visits(client_id: int, who: _People) -> list[dict]:
    rows = db.session.scalars(
        select(Visit)
        .where(Visit.client_id == client_id)
        .options(
            selectinload(Visit.zone_notes),
            selectinload(Visit.amendments),
            selectinload(Visit.device),
        )
        .order_by(Visit.started_at, Visit.id)
    ).all()
    return [
        {
            "id": visit.id,
            "appointment_id": visit.appointment_id,
            "esthetician": who(visit.esthetician_id),
            "started_at": _dt(visit.started_at),
            "status": visit.status.value,
            "signed_at": _dt(visit.signed_at),
            "signed_by": who(visit.signed_by_id),
            "rescreen": visit.rescreen.value,
            "intake_id": visit.intake_id,
            "excluded_zones": _codes(visit.excluded_zones),
            "device": visit.device.name if visit.device else None,
            "device_serial": visit.device.serial if visit.device else None,
            "conductive_product": visit.conductive_product,
            "skin_before": visit.skin_before,
            "general_notes": visit.general_notes,
            "products_after": visit.products_after,
            "client_feedback": visit.client_feedback,
            "adverse_kinds": _codes(visit.adverse_kinds),
            "adverse_details": visit.adverse_details,
            "aftercare_note": visit.aftercare_note,
            "zone_notes": [
                {
                    "zone": note.zone,
                    "zone_label": _zone_label(note.zone),
                    "current_ua": note.current_ua,
                    "frequency_hz": note.frequency_hz,
                    "waveform": note.waveform.value if note.waveform else None,
                    "polarity": note.polarity.value if note.polarity else None,
                    "applicator": note.applicator.value if note.applicator else None,
                    "duration_seconds": note.duration_seconds,
                    "holds": note.holds,
                    "sensation": note.sensation.value if note.sensation else None,
                    "observation": note.observation,
                    "adverse": note.adverse,
                    "override_reason": note.override_reason,
                }
                for note in visit.notes_in_order()
            ],
            "amendments": [
                {
                    "created_at": _dt(amendment.created_at),
                    "author": who(amendment.author_id),
                    "text": amendment.text,
                }
                for amendment in visit.amendments
            ],
        }
        for visit in rows
    ]


def _prints(client_id: int, who: _People) -> list[dict]:
    rows = db.session.scalars(
        select(AftercarePrint)
        .where(AftercarePrint.client_id == client_id)
        .options(selectinload(AftercarePrint.template))
        .order_by(AftercarePrint.printed_at, AftercarePrint.id)
    ).all()
    return [
        {
            "id": record.id,
            "visit_id": record.visit_id,
            "printed_at": _dt(record.printed_at),
            "printed_by": who(record.printed_by_id),
            "template_version": record.template.version,
            "page_size": record.page_size,
            "draft": record.draft,
            "batch_id": record.batch_id,
            "sha256": record.sha256,
        }
        for record in rows
    ]


def _access_log(client_id: int, who: _People) -> list[dict]:
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.client_id == client_id)
        .order_by(AuditEvent.seq)
    ).all()
    return [
        {
            "seq": event.seq,
            "at": _dt(event.occurred_at),
            "by": who(event.user_id),
            "action": event.action,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "details": event.details,
        }
        for event in rows
    ]


def audit_export(client: Client, fmt: str, *, via: str) -> None:
    """Record the export (before building it, so the export lists itself).

    From the command line there is no signed-in user: ``user_id`` stays
    empty and ``via=cli`` says where it came from.
    """
    audit.record(
        "client.exported",
        entity_type="client",
        entity_id=client.id,
        client_id=client.id,
        details=f"format={fmt}; via={via}",
    )


def build_export(client: Client, *, by_user_id: int | None) -> dict:
    """Everything held about ``client``, as JSON-ready data."""
    who = _People()
    config = current_app.config
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": _dt(utcnow()),
        "generated_by": who(by_user_id) or {"id": None, "name": COMMAND_LINE},
        "clinic": {
            "name": config["CLINIC_NAME"],
            "address": config["CLINIC_ADDRESS"],
            "phone": config["CLINIC_PHONE"],
            "timezone": config["CLINIC_TIMEZONE"],
        },
        "client": _client(client),
        "intakes": _intakes(client.id, who),
        "series": _series(client.id, who),
        "appointments": _appointments(client.id, who),
        "visits": _visits(client.id, who),
        "aftercare_prints": _prints(client.id, who),
        "access_log": _access_log(client.id, who),
    }
    data["counts"] = {
        key: len(data[key])
        for key in (
            "intakes",
            "series",
            "appointments",
            "visits",
            "aftercare_prints",
            "access_log",
        )
    }
    return data


def to_json(data: dict) -> bytes:
    """UTF-8 JSON, readable (indented), non-ASCII kept as is."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def filename(client: Client, fmt: str, on: date) -> str:
    """No name or other health data in a file name: the client id and a date."""
    return f"client-{client.id}-record-{on.isoformat()}.{fmt}"
