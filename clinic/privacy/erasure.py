"""Erasure (anonymisation) of a client, once the retention period is over.

Clinical records must be kept for ``CLINICAL_RECORD_RETENTION_YEARS`` after
the client's **last clinical activity**: the latest of any appointment's
start (whatever its status, so a booked future appointment counts), any
visit's start, signature or amendment, and any intake's submission or
clearance. Before that day erasure is refused with the date; a client with no
clinical record at all may be erased at once.

Erasing keeps every row and the non-identifying structure (counts, dates,
statuses, screening outcomes and rule codes, zone parameters, devices, who
on the staff did what), so statistics and the audit chain stay intact, and
replaces what identifies the person or is free text about them:

* the client: name -> "Erased client", contact details and notes emptied,
  date of birth -> 1 January of the birth year (age statistics survive, the
  exact day does not); the client is archived for good;
* intakes: the typed signature, answer details, clearance reasons and
  physician references, and the age finding's text (it states the birthday);
* visits: every free-text note; zone observations and override reasons;
  amendment texts;
* aftercare prints: the stored sheet content loses the name and the personal
  note (the SHA-256 of the PDF printed then is kept: it identifies a paper
  copy, not a person);
* appointments: cancellation and rescheduling reasons;
* unused tablet intake links are revoked.

The audit log is not touched: it never holds names or health data, only ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import column, func, select, table, update

from clinic import audit
from clinic.aftercare.models import AftercarePrint
from clinic.clients.models import Client
from clinic.clock import clinic_today, to_clinic_time, utcnow
from clinic.db import SEARCH_INDEX_TABLE
from clinic.extensions import db
from clinic.intake.models import Clearance, Intake, IntakeAnswer, IntakeLink
from clinic.intake.screening import AGE_RULE_CODE
from clinic.scheduling.models import Appointment, AppointmentEvent
from clinic.visits.models import Amendment, Visit, ZoneNote

ERASED_NAME = "Erased client"
ERASED_TEXT = "[erased]"
CONFIRMATION_WORD = "ERASE"


class ErasureError(ValueError):
    """Erasure refused; the message is for the user."""


class RetentionNotOver(ErasureError):
    def __init__(self, retention: Retention):
        self.retention = retention
        last = retention.last_activity_on
        super().__init__(
            "The clinical record must be kept until "
            f"{_long(retention.ends_on)}: {retention.years} years after the "
            f"client's last clinical activity on {_long(last)}. "
            "It cannot be erased before then."
        )


def _long(day: date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Retention:
    """When the client's clinical record may be erased."""

    years: int
    last_activity_on: date | None  # clinic-local day; None: no clinical record

    @property
    def ends_on(self) -> date | None:
        last = self.last_activity_on
        return None if last is None else last + relativedelta(years=self.years)

    def over_on(self, today: date) -> bool:
        return self.ends_on is None or today >= self.ends_on


def last_clinical_activity(client_id: int) -> datetime | None:
    """The latest clinical event of the client (see the module docstring)."""
    visits = select(Visit.id).where(Visit.client_id == client_id)
    intakes = select(Intake.id).where(Intake.client_id == client_id)
    candidates = [
        select(func.max(Appointment.starts_at)).where(
            Appointment.client_id == client_id
        ),
        select(func.max(Visit.started_at)).where(Visit.client_id == client_id),
        select(func.max(Visit.signed_at)).where(Visit.client_id == client_id),
        select(func.max(Amendment.created_at)).where(Amendment.visit_id.in_(visits)),
        select(func.max(Intake.submitted_at)).where(Intake.client_id == client_id),
        select(func.max(Clearance.created_at)).where(Clearance.intake_id.in_(intakes)),
    ]
    found = [db.session.scalar(query) for query in candidates]
    found = [value for value in found if value is not None]
    return max(found) if found else None


def retention_of(client: Client) -> Retention:
    last = last_clinical_activity(client.id)
    return Retention(
        years=current_app.config["CLINICAL_RECORD_RETENTION_YEARS"],
        last_activity_on=None if last is None else to_clinic_time(last).date(),
    )


def check_erasable(client: Client) -> Retention:
    """The retention, or ErasureError / RetentionNotOver if erasure is refused."""
    if client.erased:
        raise ErasureError("This client was already erased.")
    retention = retention_of(client)
    if not retention.over_on(clinic_today()):
        raise RetentionNotOver(retention)
    return retention


def erase_client(client: Client, *, reason: str) -> dict[str, int]:
    """Anonymise ``client`` (flushes; the caller commits). Returns counts.

    Raises ErasureError (already erased) or RetentionNotOver.
    """
    retention = check_erasable(client)
    now = utcnow()
    counts = _scrub_sealed_records(client.id)
    counts["links_revoked"] = _revoke_links(client.id, now)

    client.given_name = ERASED_NAME
    client.family_name = ""
    client.date_of_birth = date(client.date_of_birth.year, 1, 1)
    for name in (
        "phone",
        "email",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
        "notes",
    ):
        setattr(client, name, "")
    client.refresh_search_keys()
    if client.archived_at is None:
        client.archived_at = now
    client.archive_reason = "Erased (anonymised) on request"
    client.erased_at = now
    client.erasure_reason = reason
    db.session.flush()
    _compact_search_index()

    last = retention.last_activity_on
    audit.record(
        "client.erased",
        entity_type="client",
        entity_id=client.id,
        client_id=client.id,
        details=(
            f"retention {retention.years} years; last clinical activity "
            f"{last.isoformat() if last else 'none'}; "
            + ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
        ),
    )
    return counts


def _scrub_sealed_records(client_id: int) -> dict[str, int]:
    """Overwrite the free texts of the client's signed records.

    Intakes, signed visits (and their zone notes) and aftercare prints are
    immutable through the ORM: mapper guards (``clinic.db.make_immutable``,
    ``clinic.visits.models``) refuse any change. Erasure is the one sanctioned
    exception, so it deliberately uses Core UPDATE statements on the tables,
    which do not pass through those mapper events, and only here. The ORM
    objects already loaded are expired afterwards so nobody reads old values.
    """
    visit_ids = select(Visit.id).where(Visit.client_id == client_id)
    intake_ids = select(Intake.id).where(Intake.client_id == client_id)
    appointment_ids = select(Appointment.id).where(Appointment.client_id == client_id)
    run = db.session.execute
    counts: dict[str, int] = {}

    intakes = Intake.__table__
    counts["intakes"] = run(
        update(intakes)
        .where(intakes.c.client_id == client_id)
        .values(signature_name=ERASED_TEXT)
    ).rowcount
    for intake_id, findings in run(
        select(intakes.c.id, intakes.c.findings_json).where(
            intakes.c.client_id == client_id
        )
    ).all():
        scrubbed = _scrub_findings(findings)
        if scrubbed != findings:
            run(
                update(intakes)
                .where(intakes.c.id == intake_id)
                .values(findings_json=scrubbed)
            )
    answers = IntakeAnswer.__table__
    run(
        update(answers)
        .where(answers.c.intake_id.in_(intake_ids), answers.c.details != "")
        .values(details="")
    )
    clearances = Clearance.__table__
    run(
        update(clearances)
        .where(clearances.c.intake_id.in_(intake_ids))
        .values(reason=ERASED_TEXT, physician_note_ref="")
    )

    visits = Visit.__table__
    counts["visits"] = run(
        update(visits)
        .where(visits.c.client_id == client_id)
        .values(
            skin_before="",
            general_notes="",
            products_after="",
            client_feedback="",
            adverse_details="",
            aftercare_note="",
        )
    ).rowcount
    notes = ZoneNote.__table__
    run(update(notes).where(notes.c.visit_id.in_(visit_ids)).values(observation=""))
    # Keep the fact that a screened-out zone was treated, not the words.
    run(
        update(notes)
        .where(notes.c.visit_id.in_(visit_ids), notes.c.override_reason != "")
        .values(override_reason=ERASED_TEXT)
    )
    amendments = Amendment.__table__
    counts["amendments"] = run(
        update(amendments)
        .where(amendments.c.visit_id.in_(visit_ids))
        .values(text=ERASED_TEXT)
    ).rowcount

    prints = AftercarePrint.__table__
    rows = run(
        select(prints.c.id, prints.c.content_json).where(
            prints.c.client_id == client_id
        )
    ).all()
    for print_id, content in rows:
        run(
            update(prints)
            .where(prints.c.id == print_id)
            .values(content_json=_scrub_sheet(content))
        )
    counts["aftercare_prints"] = len(rows)

    appointments = Appointment.__table__
    run(
        update(appointments)
        .where(
            appointments.c.client_id == client_id, appointments.c.cancel_reason != ""
        )
        .values(cancel_reason=ERASED_TEXT)
    )
    events = AppointmentEvent.__table__
    for event_id, kind, details in run(
        select(events.c.id, events.c.kind, events.c.details).where(
            events.c.appointment_id.in_(appointment_ids), events.c.details != ""
        )
    ).all():
        scrubbed = _scrub_event_details(kind, details)
        if scrubbed != details:
            run(update(events).where(events.c.id == event_id).values(details=scrubbed))

    db.session.expire_all()
    return counts


def _scrub_findings(findings_json: str) -> str:
    findings = json.loads(findings_json)
    for finding in findings:
        if finding.get("rule_code") == AGE_RULE_CODE:
            finding["reason"] = "Under the minimum age"
    return json.dumps(findings, ensure_ascii=False)


def _scrub_sheet(content_json: str) -> str:
    content = json.loads(content_json)
    content["client_name"] = ERASED_NAME
    content["personal_note"] = ""
    return json.dumps(content, ensure_ascii=False, sort_keys=True)


def _scrub_event_details(kind: str, details: str) -> str:
    """Reasons are free text; generated parts (times, session numbers) stay."""
    if "; reason: " in details:
        return details.split("; reason: ", 1)[0] + f"; reason: {ERASED_TEXT}"
    if kind == "cancelled":
        return ERASED_TEXT
    return details


def _revoke_links(client_id: int, now: datetime) -> int:
    return db.session.execute(
        update(IntakeLink)
        .where(
            IntakeLink.client_id == client_id,
            IntakeLink.used_at.is_(None),
            IntakeLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def _compact_search_index() -> None:
    """SQLite's FTS5 search index only marks the old name as deleted; merging
    its segments ("optimize") removes the old tokens for good."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    schema = table("sqlite_master", column("type"), column("name"))
    exists = db.session.scalar(
        select(func.count())
        .select_from(schema)
        .where(schema.c.type == "table", schema.c.name == SEARCH_INDEX_TABLE)
    )
    if exists:
        db.session.execute(
            table(SEARCH_INDEX_TABLE, column(SEARCH_INDEX_TABLE))
            .insert()
            .values({SEARCH_INDEX_TABLE: "optimize"})
        )
