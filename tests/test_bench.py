"""`flask seed-bench` (small sizes) and the bench-only baseline route.

The bench data set also exercises the availability shortcuts on realistic
bookings: merged busy runs and per-day slots must equal the plain results.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.bench.seed import ADMIN_EMAIL, EXPRESS
from clinic.catalogue.models import Service
from clinic.clients.models import Client
from clinic.clock import clinic_today
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import queries
from clinic.scheduling.availability import Interval, merge
from clinic.scheduling.booking import allocations_overlapping_anywhere
from clinic.scheduling.models import Allocation, Appointment, AppointmentStatus
from clinic.visits.models import Visit, ZoneNote
from tests.helpers import DEFAULT_PASSWORD, login

CLIENTS, APPOINTMENTS = 60, 1500


@pytest.fixture
def seeded(app, runner):
    result = runner.invoke(
        args=[
            "seed-bench",
            "--clients",
            str(CLIENTS),
            "--appointments",
            str(APPOINTMENTS),
            "--password-stdin",
        ],
        input=DEFAULT_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    return app


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_builds_a_consistent_clinic(seeded):
    with seeded.app_context():
        assert count(Client) == CLIENTS
        assert count(Appointment) == APPOINTMENTS
        # Three allocations each; only booked and completed ones hold them.
        assert count(Allocation) == 3 * APPOINTMENTS
        holding = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)
        assert count(Allocation, Allocation.active.is_(True)) == 3 * count(
            Appointment, Appointment.status.in_(holding)
        )
        assert allocations_overlapping_anywhere() == []
        assert count(Appointment, Appointment.status == AppointmentStatus.CANCELLED)
        assert count(Visit) and count(ZoneNote) >= 6 * count(Visit)
        # Every client can be booked: a clear intake on file.
        from clinic.intake.eligibility import client_eligibility

        assert client_eligibility(1).may_treat


def test_seed_refuses_a_database_with_clients(seeded, runner):
    result = runner.invoke(args=["seed-bench", "--clients", "1", "--appointments", "1"])
    assert result.exit_code != 0
    assert "already has clients" in result.output


def test_merged_busy_runs_cover_the_same_time(seeded):
    with seeded.app_context():
        today = clinic_today()
        start, end = queries.day_bounds(today - timedelta(days=3), today + timedelta(7))
        rows = db.session.execute(
            select(
                Allocation.resource_kind,
                Allocation.resource_id,
                Allocation.starts_at,
                Allocation.ends_at,
            ).where(
                Allocation.active.is_(True),
                Allocation.starts_at < end,
                Allocation.ends_at > start,
            )
        )
        plain = defaultdict(list)
        for kind, resource_id, starts_at, ends_at in rows:
            plain[(kind, resource_id)].append(Interval(starts_at, ends_at))
        busy = queries._busy(start, end)
        assert plain
        for key, intervals in plain.items():
            assert merge(busy[key]) == merge(intervals), key
        # Back-to-back bookings were merged, not merely copied.
        runs = queries._allocation_runs(start, end)
        assert len(runs) < sum(len(intervals) for intervals in plain.values())


def test_slots_by_day_equal_the_whole_window(seeded):
    with seeded.app_context():
        today = clinic_today()
        for service in db.session.scalars(select(Service)):
            finder = queries.SlotFinder(service, today, today + timedelta(days=15))
            whole = queries.slots_by_day(finder.slots())
            lazy = finder.by_day()
            assert sum(len(v) for v in whole.values())
            for n in range(16):
                day = today + timedelta(days=n)
                assert lazy[day] == whole.get(day, []), (service.name, day)


def test_no_slot_starts_before_now_and_the_rest_are_unchanged(seeded):
    """The start grid of each day is remembered between searches; "now"
    still cuts it, wherever in the day it falls."""
    with seeded.app_context():
        # Past the seeded bookings: every working hour has free slots.
        first = clinic_today() + timedelta(days=30)
        start, _ = queries.day_bounds(first, first)
        service = db.session.scalars(select(Service)).first()
        last = first + timedelta(days=2)
        plain = queries.find_slots(service, first, last, now=start)
        for hours in (0, 11.5, 13.25, 30):
            now = start + timedelta(hours=hours)
            found = queries.find_slots(service, first, last, now=now)
            assert found == [slot for slot in plain if slot.start >= now], hours
            assert len(found) < len(plain) or hours == 0, hours


def test_the_bench_admin_signs_in_and_sees_the_busy_day(seeded):
    browser = seeded.test_client()
    assert login(browser, ADMIN_EMAIL, DEFAULT_PASSWORD).status_code == 302
    with seeded.app_context():
        tomorrow = clinic_today() + timedelta(days=1)
    page = browser.get(f"/calendar?date={tomorrow.isoformat()}")
    assert page.status_code == 200
    assert EXPRESS in page.get_data(as_text=True)


def test_no_baseline_route_outside_bench_mode(app, login_as):
    login_as(Role.FRONT_DESK)
    assert app.test_client().get("/bench/baseline").status_code in (302, 404)
    assert "bench.baseline" not in {rule.endpoint for rule in app.url_map.iter_rules()}


@pytest.mark.app_config(BENCH_MODE=True)
def test_baseline_route_in_bench_mode_is_for_staff(app, client, login_as):
    assert client.get("/bench/baseline?n=40").status_code == 302  # sign in first
    login_as(Role.FRONT_DESK)
    page = client.get("/bench/baseline?n=40&cancelled=4")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('<article class="appt') == 40
    assert "36 appointments" in html
