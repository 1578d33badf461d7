"""An appointment's history: its events (for people) and its audit rows.

Event details keep instants as ISO 8601 UTC; ``event_details`` shows them in
the clinic's time. Audit rows name the client, never health data.
"""

from __future__ import annotations

import re
from datetime import datetime

from clinic import audit
from clinic.clock import clinic_tz, utcnow
from clinic.scheduling.models import Appointment, AppointmentEvent


def record_event(appointment: Appointment, kind: str, details: str, by_user_id) -> None:
    appointment.events.append(
        AppointmentEvent(kind=kind, details=details, by_user_id=by_user_id, at=utcnow())
    )


def audit_appointment(action: str, appointment: Appointment, details: str = "") -> None:
    audit.record(
        action,
        entity_type="appointment",
        entity_id=appointment.id,
        client_id=appointment.client_id,
        details=details,
    )


# Event details keep instants as ISO 8601 UTC ("from 2026-12-09T10:00:00+00:00
# to ..."): the history shows them in the clinic's time.
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\+00:00")


def event_details(details: str) -> str:
    """An event's details for people: its instants in clinic time."""
    tz = clinic_tz()

    def local(match: re.Match) -> str:
        moment = datetime.fromisoformat(match.group(0)).astimezone(tz)
        return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"

    return _INSTANT.sub(local, details)
