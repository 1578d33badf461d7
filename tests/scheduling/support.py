"""Arrange a small clinic for scheduling tests: rooms, devices, hours, clients.

Everything is created inside short app contexts and returned as plain ids,
so tests can go on sending requests without holding a context open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.admin.services import create_user
from clinic.catalogue.models import Device, Protocol, Room, Service
from clinic.clients.services import create_client
from clinic.extensions import db
from clinic.intake import services as intake_services
from clinic.intake.models import EnteredVia
from clinic.intake.screening import Answer
from clinic.roles import Role
from clinic.scheduling.models import WorkingHours
from tests.helpers import DEFAULT_PASSWORD

OPEN = [(time(9, 0), time(18, 0))]


@dataclass
class Clinic:
    """Ids of what ``build_clinic`` made."""

    service_id: int
    protocol_ids: list[int]
    estheticians: list[int]
    esthetician_emails: list[str]
    rooms: list[int]
    devices: list[int]
    clients: dict[str, int] = field(default_factory=dict)


# The test clinic's timezone (tests/conftest.py base_config).
TZ = ZoneInfo("Europe/London")


def local(day: date, at: time) -> datetime:
    """A clinic-local wall time as aware UTC."""
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


def next_weekday(start: date, weekday: int) -> date:
    """The first day on or after ``start`` that is ``weekday`` (0 = Monday)."""
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def submit_intake(client, answers_yes: dict[str, Answer] | None = None, signed_at=None):
    """Store an intake answering "no" to everything but ``answers_yes``."""
    rule_set = intake_services.current_rule_set()
    yes = answers_yes or {}
    answers = tuple(
        yes.get(rule.code, Answer(rule.code, False)) for rule in rule_set.active_rules()
    )
    return intake_services.submit_intake(
        client,
        intake_services.Submission(answers, client.full_name, photo_consent=False),
        rule_set=rule_set,
        consents=intake_services.current_consents(),
        via=EnteredVia.STAFF,
        by_user_id=None,
        ip=None,
        signed_at=signed_at,
    )


def build_clinic(
    app,
    *,
    estheticians: int = 2,
    rooms: int = 2,
    devices: int = 2,
    hours=None,
    weekdays=range(7),
) -> Clinic:
    """Rooms, devices and estheticians working ``hours`` (default 09-18) daily."""
    hours = hours or OPEN
    with app.app_context():
        service = db.session.scalar(select(Service).order_by(Service.id))
        protocols = list(db.session.scalars(select(Protocol.id).order_by(Protocol.id)))
        room_rows = [Room(name=f"Room {n}") for n in range(1, rooms + 1)]
        device_rows = [
            Device(name=f"Device {n}", serial=f"SN-{n:04d}", max_current_ua=500)
            for n in range(1, devices + 1)
        ]
        db.session.add_all(room_rows + device_rows)
        people = []
        for n in range(1, estheticians + 1):
            user = create_user(
                f"esthetician{n}@sched.test.clinic",
                f"Esthetician {n}",
                Role.ESTHETICIAN,
                DEFAULT_PASSWORD,
            )
            people.append(user)
            for weekday in weekdays:
                for start, end in hours:
                    db.session.add(
                        WorkingHours(
                            user_id=user.id,
                            weekday=weekday,
                            start_time=start,
                            end_time=end,
                        )
                    )
        db.session.commit()
        return Clinic(
            service_id=service.id,
            protocol_ids=protocols,
            estheticians=[p.id for p in people],
            esthetician_emails=[p.email for p in people],
            rooms=[r.id for r in room_rows],
            devices=[d.id for d in device_rows],
        )


def add_client(
    app, name: str = "Clara Client", *, intake: bool = True, yes=None, signed_at=None
) -> int:
    """A client with (by default) a clear intake; returns the id."""
    given, _, family = name.partition(" ")
    with app.app_context():
        client = create_client(
            {
                "given_name": given,
                "family_name": family,
                "date_of_birth": date(1985, 6, 15),
                "email": "",
                "phone": "",
            },
            by_user_id=None,
        )
        if intake:
            submit_intake(client, yes, signed_at=signed_at)
        db.session.commit()
        return client.id


def today(app) -> date:
    """The clinic's local date, outside any request."""
    from clinic.clock import clinic_today

    with app.app_context():
        return clinic_today()
