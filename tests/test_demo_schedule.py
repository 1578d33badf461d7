"""``flask --app clinic seed-demo``, its schedule part: rooms, devices, working
hours, series in progress and a busy day today, seen through the dashboard
and the day view. The clock is frozen so that "today" is a known day.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from clinic.auth.models import User
from clinic.catalogue.models import Device, Room
from clinic.clients.models import Client
from clinic.clock import clinic_today, clinic_tz, utcnow
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import queries
from clinic.scheduling.booking import allocations_overlapping_anywhere
from clinic.scheduling.models import (
    Allocation,
    Appointment,
    AppointmentStatus,
    Series,
    SeriesStatus,
    WorkingHours,
)
from tests.helpers import DEFAULT_PASSWORD, login

DEMO_ESTHETICIANS = {
    "esthetician@demo.clinic": "Elena Esthetician",
    "mia@demo.clinic": "Mia Moreau",
}

# Frozen instants (UTC) and what they are in London.
WEDNESDAY_MORNING = datetime(2031, 4, 16, 7, 0, tzinfo=UTC)  # 08:00 BST
WINTER_WEDNESDAY = datetime(2031, 1, 15, 8, 0, tzinfo=UTC)  # 08:00 GMT
SUNDAY_EVENING = datetime(2031, 4, 20, 18, 0, tzinfo=UTC)  # 19:00 BST
AFTER_SPRING_CHANGE = datetime(2031, 4, 2, 11, 0, tzinfo=UTC)  # series span 30 March
SPRING_CHANGE_DAY = datetime(2031, 3, 30, 8, 0, tzinfo=UTC)  # Sunday, clocks go on
AUTUMN_CHANGE_DAY = datetime(2031, 10, 26, 8, 0, tzinfo=UTC)  # Sunday, clocks go back
INSTANTS = pytest.mark.parametrize(
    "instant",
    [
        WEDNESDAY_MORNING,
        WINTER_WEDNESDAY,
        SUNDAY_EVENING,
        AFTER_SPRING_CHANGE,
        SPRING_CHANGE_DAY,
        AUTUMN_CHANGE_DAY,
    ],
    ids=[
        "wednesday-morning",
        "winter-wednesday",
        "sunday-evening",
        "after-spring-change",
        "spring-change-day",
        "autumn-change-day",
    ],
)


def seed_demo(runner):
    """Run ``flask --app clinic seed-demo`` (the runner needs the app context)."""
    with runner.app.app_context():
        result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


def counts(app) -> dict[str, int]:
    models = (Room, Device, WorkingHours, Series, Appointment, Allocation, Client)
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in models
        }


def todays_appointments(app) -> list[tuple[str, str, time, str, str]]:
    """(esthetician email, client, local start, status, session label) of today."""
    with app.app_context():
        day = clinic_today()
        start, end = queries.day_bounds(day, day)
        return [
            (
                a.esthetician.email,
                a.client.full_name,
                a.starts_at.astimezone(clinic_tz()).time(),
                a.status.value,
                a.session_label,
            )
            for a in queries.appointments_between(start, end)
        ]


def plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def sign_in_as_front_desk(app, make_user):
    user = make_user(Role.FRONT_DESK)
    client = app.test_client()
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
    return client


def dashboard_clients(client) -> list[str]:
    response = client.get("/dashboard")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    [tbody] = re.findall(r"<tbody>(.*?)</tbody>", body, re.S)
    return [
        plain(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1])
        for row in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    ]


COLUMN = re.compile(
    r'<section class="calendar-column"[^>]*>\s*<h2[^>]*>(.*?)</h2>(.*?)</section>',
    re.S,
)


def day_view_columns(client) -> dict[str, list[str]]:
    """Column heading -> card texts of today's day view."""
    response = client.get("/calendar")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return {
        plain(heading): [
            plain(card)
            for card in re.findall(
                r'<article class="appt[^"]*">(.*?)</article>', inner, re.S
            )
        ]
        for heading, inner in COLUMN.findall(body)
    }


@INSTANTS
def test_seed_demo_builds_rooms_devices_and_working_hours(app, runner, instant):
    with time_machine.travel(instant, tick=False):
        result = seed_demo(runner)

    assert "Demo rooms, devices, working hours" in result.output
    with app.app_context():
        assert db.session.scalars(select(Room.name).order_by(Room.name)).all() == [
            "Room 1",
            "Room 2",
            "Room 3",
        ]
        devices = db.session.scalars(select(Device).order_by(Device.name)).all()
        assert [(d.name, d.serial, d.active) for d in devices] == [
            ("Device A", "MC-1001", True),
            ("Device B", "MC-1002", True),
        ]
        for email in DEMO_ESTHETICIANS:
            user = db.session.scalar(select(User).where(User.email == email))
            assert user.role is Role.ESTHETICIAN
            hours = db.session.scalars(
                select(WorkingHours).where(WorkingHours.user_id == user.id)
            ).all()
            assert {h.weekday for h in hours} == set(range(7))
            assert all(h.start_time < h.end_time for h in hours)


@INSTANTS
def test_seed_demo_has_series_in_progress_with_completed_sessions(app, runner, instant):
    with time_machine.travel(instant, tick=False):
        seed_demo(runner)

        with app.app_context():
            now = utcnow()
            in_progress = []
            for series in db.session.scalars(select(Series)):
                statuses = Counter(a.status for a in series.appointments)
                assert len(series.appointments) == series.sessions_total
                numbers = sorted(a.session_number for a in series.appointments)
                assert numbers == list(range(1, series.sessions_total + 1))
                for a in series.appointments:
                    if a.status is AppointmentStatus.COMPLETED:
                        assert a.ends_at <= now
                    else:
                        assert a.status is AppointmentStatus.BOOKED
                        assert a.ends_at >= now
                if (
                    series.status is SeriesStatus.ACTIVE
                    and statuses[AppointmentStatus.COMPLETED] >= 1
                    and statuses[AppointmentStatus.BOOKED] >= 1
                ):
                    in_progress.append(series)
            assert len(in_progress) >= 2
            # Each demo esthetician gives at least one of them.
            assert {s.appointments[0].esthetician.email for s in in_progress} == set(
                DEMO_ESTHETICIANS
            )
            assert allocations_overlapping_anywhere() == []


@INSTANTS
def test_today_is_busy_on_the_dashboard_and_the_day_view(
    app, runner, make_user, instant
):
    with time_machine.travel(instant, tick=False):
        seed_demo(runner)
        today = todays_appointments(app)
        client = sign_in_as_front_desk(app, make_user)
        on_dashboard = dashboard_clients(client)
        on_calendar = day_view_columns(client)

    assert len(today) >= 3
    assert {email for email, *_ in today} == set(DEMO_ESTHETICIANS)
    assert any(label for *_, label in today)  # series sessions among them
    assert on_dashboard == [name for _, name, *_ in today]
    for email, name in DEMO_ESTHETICIANS.items():
        cards = on_calendar[name]
        expected = [row for row in today if row[0] == email]
        assert len(cards) == len(expected)
        for card, (_, client_name, start, _, label) in zip(
            cards, expected, strict=True
        ):
            assert card.startswith(f"{start:%H:%M}")
            assert client_name in card
            assert label in card


@pytest.mark.parametrize(
    "instant", [WEDNESDAY_MORNING, WINTER_WEDNESDAY], ids=["summer", "winter"]
)
def test_a_weekday_has_every_planned_booking(app, runner, instant):
    """Series sessions and the day's single bookings all fit on a weekday."""
    with time_machine.travel(instant, tick=False):
        seed_demo(runner)
        today = todays_appointments(app)

    elena, mia = DEMO_ESTHETICIANS
    assert [(e, c, t, label) for e, c, t, _, label in today] == [
        (elena, "Maya Cohen", time(9, 0), ""),
        (elena, "Chloé Martin", time(10, 30), "Session 5 of 10"),
        (mia, "Олена Коваленко", time(11, 0), "Session 3 of 10"),
        (elena, "Zoë Ångström", time(13, 30), ""),
        (mia, "Priya Shah", time(14, 0), "Session 3 of 6"),
        (mia, "Amélie Laurent", time(16, 30), ""),
    ]
    assert {status for *_, status, _ in today} == {"booked"}


def test_a_second_run_adds_no_rooms_or_appointments(app, runner):
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        seed_demo(runner)
        first = counts(app)
        today = todays_appointments(app)

        second = seed_demo(runner)

        assert counts(app) == first
        assert todays_appointments(app) == today
    assert "Demo rooms" not in second.output
    assert first["Room"] == 3 and first["Appointment"] > 0


def test_a_later_run_on_another_day_adds_nothing_either(app, runner):
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        seed_demo(runner)
        first = counts(app)
    with time_machine.travel(WEDNESDAY_MORNING + timedelta(days=3), tick=False):
        seed_demo(runner)
        assert counts(app) == first


def test_the_audit_chain_verifies_after_seeding(app, runner):
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        seed_demo(runner)
        with runner.app.app_context():
            result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 0, result.output
