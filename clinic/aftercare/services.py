"""Aftercare sheets: compose a visit's sheet, print, reprint, batch, templates.

A sheet's content is computed once, when it is printed, and stored with the
print; reprints rebuild the PDF from that stored content, so they say exactly
what the first print said (reportlab's invariant mode makes the bytes, and so
the SHA-256, identical too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from clinic import audit
from clinic.aftercare import next_sessions, pdf
from clinic.aftercare.models import (
    AftercareBatch,
    AftercareItem,
    AftercarePrint,
    AftercareTemplate,
)
from clinic.catalogue.models import Service
from clinic.clock import clinic_tz, utcnow
from clinic.extensions import db
from clinic.scheduling import queries
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.visits.models import Visit
from clinic.zones import ZONES, format_zones


class AftercareError(ValueError):
    """Nothing to print, or no template: the message is for the user."""


def current_template(service_id: int) -> AftercareTemplate | None:
    """The service's latest template with its items, in one statement."""
    return (
        db.session.execute(
            select(AftercareTemplate)
            .where(AftercareTemplate.service_id == service_id)
            .options(joinedload(AftercareTemplate.items))
            .order_by(AftercareTemplate.version.desc())
            .limit(1)
        )
        .unique()
        .scalar_one_or_none()
    )


def visit_for_sheet(visit_id: int) -> Visit | None:
    """The visit with everything its sheet shows, loaded up front (not one lazy
    load at a time: printing should cost little more than building the PDF)."""
    return (
        db.session.execute(
            select(Visit)
            .where(Visit.id == visit_id)
            .options(
                joinedload(Visit.appointment).options(
                    joinedload(Appointment.service), joinedload(Appointment.series)
                ),
                joinedload(Visit.client),
                joinedload(Visit.esthetician),
                joinedload(Visit.zone_notes),
            )
        )
        .unique()
        .scalar_one_or_none()
    )


def current_templates(service_ids: list[int]) -> dict[int, AftercareTemplate]:
    """``current_template`` of several services, with their items, in 2 queries."""
    if not service_ids:
        return {}
    latest = (
        select(
            AftercareTemplate.service_id,
            func.max(AftercareTemplate.version).label("version"),
        )
        .where(AftercareTemplate.service_id.in_(service_ids))
        .group_by(AftercareTemplate.service_id)
        .subquery()
    )
    found = db.session.scalars(
        select(AftercareTemplate)
        .join(
            latest,
            (AftercareTemplate.service_id == latest.c.service_id)
            & (AftercareTemplate.version == latest.c.version),
        )
        .options(selectinload(AftercareTemplate.items))
    )
    return {template.service_id: template for template in found}


def clinic_info() -> pdf.ClinicInfo:
    config = current_app.config
    return pdf.ClinicInfo(
        name=config["CLINIC_NAME"],
        address=config["CLINIC_ADDRESS"],
        phone=config["CLINIC_PHONE"],
    )


def long_local(value: datetime) -> str:
    """ "Friday 28 November, 14:00" in the clinic's timezone."""
    local = value.astimezone(clinic_tz())
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def long_local_date(value: datetime) -> str:
    """ "Friday 28 November 2025": a sheet's date says its year."""
    local = value.astimezone(clinic_tz())
    return f"{local:%A} {local.day} {local:%B %Y}"


def compose_sheet(
    visit: Visit,
    template: AftercareTemplate,
    appointments: Sequence[Appointment] | None = None,
) -> pdf.Sheet:
    """The sheet for ``visit`` as it stands now (durations become local dates).

    ``appointments``: the client's, from ``next_sessions.appointments_for``
    (read here when not given).
    """
    appointment = visit.appointment
    finished = appointment.ends_at
    treated = {note.zone for note in visit.zone_notes}
    now = utcnow()
    if appointments is None:
        appointments = next_sessions.appointments_for([visit], now)[visit.client_id]
    listed, more = next_sessions.next_sessions(
        appointment, appointments, now=now, when=long_local
    )
    return pdf.Sheet(
        client_name=visit.client.full_name,
        visit_date=long_local_date(appointment.starts_at),
        esthetician=visit.esthetician.name,
        service=appointment.service.name,
        title=template.title,
        treated_zones=tuple(format_zones([z.code]) for z in ZONES if z.code in treated),
        untreated_zones=tuple(
            format_zones([z.code]) for z in ZONES if z.code not in treated
        ),
        instructions=tuple(
            pdf.Instruction(
                text=item.text,
                until=long_local(finished + timedelta(hours=item.duration_hours))
                if item.duration_hours
                else None,
            )
            for item in template.items
        ),
        general_notes=template.general_notes,
        contact_if=template.contact_if,
        next_sessions=listed,
        sessions_remaining=next_sessions.sessions_remaining(appointment, appointments),
        personal_note=visit.aftercare_note,
        draft=not visit.signed,
        more_sessions=more,
    )


def sheet_to_json(sheet: pdf.Sheet, clinic: pdf.ClinicInfo) -> str:
    """The sheet and the clinic's header as printed: a reprint needs both, or
    a later change of address or phone would change the reprint (and its hash)."""
    content = {**asdict(sheet), "clinic": asdict(clinic)}
    return json.dumps(content, ensure_ascii=False, sort_keys=True)


def sheet_from_json(text: str) -> tuple[pdf.Sheet, pdf.ClinicInfo]:
    data = json.loads(text)
    clinic = data.pop("clinic", None)
    data["instructions"] = tuple(pdf.Instruction(**i) for i in data["instructions"])
    data["next_sessions"] = tuple(pdf.NextSession(**n) for n in data["next_sessions"])
    for key in ("treated_zones", "untreated_zones"):
        data[key] = tuple(data[key])
    return pdf.Sheet(**data), pdf.ClinicInfo(**clinic) if clinic else clinic_info()


def _build(
    sheets: list[pdf.Sheet], page_size: str, subject: str, clinic: pdf.ClinicInfo
) -> bytes:
    return pdf.build_pdf(
        sheets,
        clinic=clinic,
        page_size=page_size,
        title="Aftercare",
        subject=subject,
    )


def _template_for(visit: Visit) -> AftercareTemplate:
    template = current_template(visit.appointment.service_id)
    if template is None:
        raise AftercareError(
            f"There is no aftercare template for {visit.appointment.service.name}; "
            "an admin can add one under Admin, Aftercare templates."
        )
    return template


def _audit_print(record: AftercarePrint, action: str) -> None:
    audit.record(
        action,
        entity_type="aftercare_print",
        entity_id=record.id,
        client_id=record.client_id,
        details=f"visit {record.visit_id}; template v{record.template.version}",
    )


def print_visit(visit: Visit, *, by_user_id: int) -> tuple[AftercarePrint, bytes]:
    """Compose, build and record one sheet; returns the record and the PDF."""
    template = _template_for(visit)
    sheet = compose_sheet(visit, template)
    page_size = current_app.config["AFTERCARE_PAGE_SIZE"]
    clinic = clinic_info()
    data = _build([sheet], page_size, f"Aftercare for {sheet.client_name}", clinic)
    record = AftercarePrint(
        visit_id=visit.id,
        client_id=visit.client_id,
        template=template,
        printed_at=utcnow(),
        printed_by_id=by_user_id,
        page_size=page_size,
        content_json=sheet_to_json(sheet, clinic),
        sha256=pdf.sha256_hex(data),
        draft=sheet.draft,
    )
    db.session.add(record)
    db.session.flush()
    _audit_print(record, "aftercare.printed")
    return record, data


def reprint(record: AftercarePrint) -> bytes:
    """The PDF of an earlier print, rebuilt from what it said (audited)."""
    sheet, clinic = sheet_from_json(record.content_json)
    subject = f"Aftercare for {sheet.client_name}"
    data = _build([sheet], record.page_size, subject, clinic)
    _audit_print(record, "aftercare.reprinted")
    return data


def visits_completed_on(day: date) -> list[Visit]:
    """Visits whose appointment was on ``day``, in appointment order."""
    start, end = queries.day_bounds(day, day)
    return list(
        db.session.scalars(
            select(Visit)
            .join(Appointment, Appointment.id == Visit.appointment_id)
            .where(
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
                Appointment.status == AppointmentStatus.COMPLETED,
            )
            # The day page and the day's sheets show all of these per visit.
            .options(
                contains_eager(Visit.appointment).joinedload(Appointment.series),
                joinedload(Visit.client),
                joinedload(Visit.esthetician),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def print_day(day: date, *, by_user_id: int) -> tuple[AftercareBatch, bytes]:
    """One PDF with a sheet per visit completed on ``day``; records each."""
    visits = visits_completed_on(day)
    if not visits:
        raise AftercareError(f"No visit was completed on {day.day} {day:%B %Y}.")
    pairs = [(visit, _template_for(visit)) for visit in visits]
    appointments = next_sessions.appointments_for(visits, utcnow())
    sheets = [
        compose_sheet(visit, template, appointments[visit.client_id])
        for visit, template in pairs
    ]
    page_size = current_app.config["AFTERCARE_PAGE_SIZE"]
    clinic = clinic_info()
    data = _build(sheets, page_size, f"Aftercare sheets of {day.isoformat()}", clinic)
    digest = pdf.sha256_hex(data)
    batch = AftercareBatch(
        day=day, printed_at=utcnow(), printed_by_id=by_user_id, sha256=digest
    )
    db.session.add(batch)
    for position, ((visit, template), sheet) in enumerate(
        zip(pairs, sheets, strict=True)
    ):
        record = AftercarePrint(
            visit_id=visit.id,
            client_id=visit.client_id,
            template=template,
            batch=batch,
            position=position,
            printed_at=batch.printed_at,
            printed_by_id=by_user_id,
            page_size=page_size,
            content_json=sheet_to_json(sheet, clinic),
            sha256=digest,
            draft=sheet.draft,
        )
        db.session.add(record)
        db.session.flush()
        _audit_print(record, "aftercare.printed")
    return batch, data


def reprint_batch(batch: AftercareBatch) -> bytes:
    contents = [sheet_from_json(record.content_json) for record in batch.prints]
    sheets = [sheet for sheet, _clinic in contents]
    clinic = contents[0][1] if contents else clinic_info()
    page_size = batch.prints[0].page_size if batch.prints else "A4"
    for record in batch.prints:
        _audit_print(record, "aftercare.reprinted")
    subject = f"Aftercare sheets of {batch.day.isoformat()}"
    return _build(sheets, page_size, subject, clinic)


def prints_of_visit(visit_id: int) -> list[AftercarePrint]:
    return list(
        db.session.scalars(
            select(AftercarePrint)
            .where(AftercarePrint.visit_id == visit_id)
            .order_by(AftercarePrint.printed_at.desc())
        )
    )


def filename(day: date, initials: str) -> str:
    """No full name in a file name: the date and the client's initials."""
    safe = "".join(ch for ch in initials if ch.isascii() and ch.isalnum()) or "X"
    return f"aftercare-{day.isoformat()}-{safe}.pdf"


# --- templates (admin) -------------------------------------------------------


def new_template_version(
    service: Service,
    *,
    title: str,
    general_notes: str,
    contact_if: str,
    items: list[tuple[str, int | None]],
    by_user_id: int,
) -> AftercareTemplate:
    latest = db.session.scalar(
        select(func.max(AftercareTemplate.version)).where(
            AftercareTemplate.service_id == service.id
        )
    )
    template = AftercareTemplate(
        service=service,
        version=(latest or 0) + 1,
        title=title,
        general_notes=general_notes,
        contact_if=contact_if,
        created_by_id=by_user_id,
        created_at=utcnow(),
    )
    template.items = [
        AftercareItem(position=n, text=text, duration_hours=hours)
        for n, (text, hours) in enumerate(items)
    ]
    db.session.add(template)
    try:
        with db.session.begin_nested():  # two admins saving at once: one wins
            db.session.flush()
    except IntegrityError as exc:
        raise AftercareError(
            "Someone saved this template at the same moment; reload and try again."
        ) from exc
    audit.record(
        "aftercare_template.new_version",
        entity_type="aftercare_template",
        entity_id=template.id,
        details=f"service {service.id} v{template.version}",
    )
    return template
