"""Helpers for the catalogue tests: valid forms, rows arranged directly, reads.

Every arrangement or read opens its own short app context and returns plain
values (or detached rows), never an object tied to a session that a request
could share.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from clinic.audit import AuditEvent
from clinic.catalogue.models import Device, Protocol, Room, Service
from clinic.clients.services import create_client
from clinic.extensions import db
from clinic.scheduling.models import Appointment, AppointmentStatus, Block
from tests.admin.staff import field_error, page_text  # noqa: F401 (re-exported)

SEED_SERVICE = "Microcurrent facial"
SEED_PROTOCOLS = 3

# A winter morning before the spring daylight-saving change in London.
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def service_form(**overrides) -> dict:
    data = {
        "name": "Lift and tone",
        "description": "Forty-five minutes, face and neck.",
        "duration_minutes": "45",
        "buffer_minutes": "10",
        "needs_device": "y",
        "needs_screening": "y",
    }
    return _apply(data, overrides)


def protocol_form(service_id: int, /, **overrides) -> dict:
    data = {
        "name": "8 sessions, weekly",
        "service_id": str(service_id),
        "sessions": "8",
        "min_gap_days": "5",
        "preferred_gap_days": "7",
        "max_gap_days": "10",
        "maintenance_interval_days": "28",
    }
    return _apply(data, overrides)


def device_form(**overrides) -> dict:
    data = {
        "name": "Wand one",
        "model": "MC-200",
        "serial": "SN-0001",
        "max_current_ua": "500",
    }
    return _apply(data, overrides)


def _apply(data: dict, overrides: dict) -> dict:
    """``overrides`` replace fields; ``None`` removes one (an unticked box)."""
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# --- arranging ---------------------------------------------------------------


def seed_service_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Service.id).where(Service.name == SEED_SERVICE))


def add_row(app, model, **values) -> int:
    """Store one catalogue row directly; returns its id."""
    with app.app_context():
        row = model(**values)
        db.session.add(row)
        db.session.commit()
        return row.id


def add_room(app, name: str = "Room 1", **values) -> int:
    return add_row(app, Room, name=name, **values)


def add_device(app, name: str = "Device 1", serial: str = "D-1", **values) -> int:
    return add_row(app, Device, name=name, serial=serial, **values)


def add_client(app, given_name: str = "Ana", family_name: str = "Example") -> int:
    data = {
        "given_name": given_name,
        "family_name": family_name,
        "date_of_birth": date(1990, 6, 15),
        "phone": "",
        "email": "",
        "address": "",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "notes": "",
    }
    with app.app_context():
        client_id = create_client(data, by_user_id=None).id
        db.session.commit()
        return client_id


def add_appointment(
    app,
    *,
    client_id: int,
    esthetician_id: int,
    room_id: int,
    device_id: int | None,
    starts_at: datetime,
    minutes: int = 60,
    buffer: int = 15,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
) -> int:
    """A bare appointment row (no allocations): enough for overlap queries."""
    ends_at = starts_at + timedelta(minutes=minutes)
    with app.app_context():
        appointment = Appointment(
            client_id=client_id,
            service_id=db.session.scalar(
                select(Service.id).where(Service.name == SEED_SERVICE)
            ),
            esthetician_id=esthetician_id,
            room_id=room_id,
            device_id=device_id,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_until=ends_at + timedelta(minutes=buffer),
            status=status,
        )
        db.session.add(appointment)
        db.session.commit()
        return appointment.id


# --- reading -----------------------------------------------------------------


def row(app, model, row_id: int) -> dict | None:
    """The stored columns of one row, as a dict (None if absent)."""
    with app.app_context():
        item = db.session.get(model, row_id)
        if item is None:
            return None
        return {c.key: getattr(item, c.key) for c in model.__table__.columns}


def find(app, model, **where) -> dict | None:
    with app.app_context():
        item = db.session.scalar(select(model).filter_by(**where))
        if item is None:
            return None
        return {c.key: getattr(item, c.key) for c in model.__table__.columns}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def all_rows(app, model) -> list[dict]:
    with app.app_context():
        return [
            {c.key: getattr(item, c.key) for c in model.__table__.columns}
            for item in db.session.scalars(select(model).order_by(model.id))
        ]


def audit_rows(app, prefix: str) -> list[tuple]:
    """``(action, user_id, entity_type, entity_id, details)`` in chain order."""
    with app.app_context():
        rows = db.session.execute(
            select(
                AuditEvent.action,
                AuditEvent.user_id,
                AuditEvent.entity_type,
                AuditEvent.entity_id,
                AuditEvent.details,
            )
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.seq)
        ).all()
        return [tuple(r) for r in rows]


def snapshot(app) -> tuple:
    """Everything the catalogue pages could change."""
    from clinic.scheduling.models import WorkingHours

    return (
        *(all_rows(app, m) for m in (Service, Protocol, Room, Device)),
        all_rows(app, WorkingHours),
        all_rows(app, Block),
        audit_rows(app, ""),
    )
