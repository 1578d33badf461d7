"""Demo schedule for ``seed-demo``: rooms, devices, hours, series, a busy day.

Runs after ``clinic.demo`` (staff and clients). Adds nothing that exists:
the second run finds the demo rooms and stops.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from clinic.admin import services as staff_services
from clinic.catalogue.models import Device, Protocol, Room, Service
from clinic.clients import services as client_services
from clinic.clients.models import Client
from clinic.clock import clinic_today, clinic_tz, utcnow
from clinic.extensions import db
from clinic.intake import services as intake_services
from clinic.intake.models import EnteredVia
from clinic.intake.screening import Answer
from clinic.scheduling import series_services
from clinic.scheduling import services as scheduling
from clinic.scheduling.booking import BookingError, Placement
from clinic.scheduling.models import WorkingHours

ROOMS = ["Room 1", "Room 2", "Room 3"]
DEVICES = [
    ("Device A", "MC-Pro 5", "MC-1001", 500),
    ("Device B", "MC-Pro 5", "MC-1002", 400),
]
# Mon-Sat with a lunch break; a short Sunday so that "today" is always busy.
HOURS = {
    day: [(time(9, 0), time(12, 30)), (time(13, 30), time(18, 0))] for day in range(6)
}
HOURS[6] = [(time(10, 0), time(16, 0))]
CLEAR_CLIENTS = [
    ("Chloé", "Martin", date(1991, 5, 2), "chloe@example.com", "07700 900111"),
    ("Priya", "Shah", date(1986, 8, 14), "priya@example.com", "07700 900112"),
    ("Maya", "Cohen", date(1979, 12, 1), "maya@example.com", "07700 900113"),
    ("Zoë", "Ångström", date(1995, 3, 9), "zoe@example.com", "07700 900114"),
]


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=clinic_tz()).astimezone(UTC)


def _clear_client(given, family, born, email, phone, by_user_id, esthetician_id):
    client = client_services.create_client(
        {
            "given_name": given,
            "family_name": family,
            "date_of_birth": born,
            "email": email,
            "phone": phone,
        },
        by_user_id=by_user_id,
    )
    rule_set = intake_services.current_rule_set()
    answers = tuple(Answer(rule.code, False) for rule in rule_set.active_rules())
    intake_services.submit_intake(
        client,
        intake_services.Submission(answers, client.full_name, photo_consent=True),
        rule_set=rule_set,
        consents=intake_services.current_consents(),
        via=EnteredVia.TABLET,
        by_user_id=None,
        ip=None,
        signed_at=utcnow() - timedelta(days=40),
    )
    return client


def _series(client, protocol, esthetician_id, first_day, at, by_user_id) -> None:
    """Book a series started in the past; mark the past sessions done."""
    days, day = [], first_day
    for _ in range(protocol.sessions):
        days.append(day)
        day += timedelta(days=protocol.preferred_gap_days)
    placements = [Placement(_local(d, at), esthetician_id) for d in days]
    history_start = _local(first_day, time(0, 0)) - timedelta(days=1)
    series = series_services.book_series(
        client, protocol, placements, by_user_id=by_user_id, now=history_start
    )
    now = utcnow()
    for appointment in series.appointments:
        if appointment.ends_at < now:
            appointment.check_in(appointment.starts_at)
            appointment.complete(appointment.ends_at)
    db.session.flush()


def seed_schedule() -> bool:
    """Create the demo schedule once; False if it was already there."""
    if db.session.scalar(select(Room).where(Room.name == ROOMS[0])) is not None:
        return False
    desk = staff_services.find_user_by_email("desk@demo.clinic")
    elena = staff_services.find_user_by_email("esthetician@demo.clinic")
    mia = staff_services.find_user_by_email("mia@demo.clinic")
    db.session.add_all(Room(name=name) for name in ROOMS)
    db.session.add_all(
        Device(name=name, model=model, serial=serial, max_current_ua=maximum)
        for name, model, serial, maximum in DEVICES
    )
    for user in (elena, mia):
        for weekday, ranges in HOURS.items():
            for start, end in ranges:
                db.session.add(
                    WorkingHours(
                        user_id=user.id, weekday=weekday, start_time=start, end_time=end
                    )
                )
    db.session.flush()
    clients = [_clear_client(*row, desk.id, elena.id) for row in CLEAR_CLIENTS]
    twice_a_week = db.session.scalar(select(Protocol).order_by(Protocol.id))
    ten_days = db.session.scalar(select(Protocol).order_by(Protocol.id.desc()))
    today = clinic_today()
    # 10:30, not 10:00: with the 15-minute buffer a 09:00 booking holds Elena
    # until 10:15, and today's session of this series would refuse it.
    _series(
        clients[0],
        twice_a_week,
        elena.id,
        today - timedelta(days=12),
        time(10, 30),
        desk.id,
    )
    _series(
        clients[1], ten_days, mia.id, today - timedelta(days=20), time(14, 0), desk.id
    )
    olena = db.session.scalar(select(Client).where(Client.email == "olena@example.com"))
    if olena is not None:
        _series(
            olena, twice_a_week, mia.id, today - timedelta(days=6), time(11, 0), desk.id
        )
    service = db.session.scalar(select(Service).order_by(Service.id))
    amelie = db.session.scalar(
        select(Client).where(Client.email == "amelie@example.com")
    )
    busy = [
        (clients[2], elena, time(9, 0)),
        (clients[3], elena, time(13, 30)),
        (amelie, mia, time(16, 30)),
    ]
    start_of_day = _local(today, time(0, 0))
    for client, esthetician, at in busy:
        if client is None:
            continue
        try:
            scheduling.book_single(
                client,
                service,
                Placement(_local(today, at), esthetician.id),
                by_user_id=desk.id,
                now=start_of_day,
            )
        except BookingError:
            continue  # that time is already taken by a series session
    return True
