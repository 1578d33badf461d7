"""No N+1: every list page costs as many queries with 12 rows as with 2.

Two clinics are built, one with 2 of everything (clients, appointments of the
day, series and their sessions, visits, printed batches, staff, catalogue
rows, blocks; each row with its own esthetician, room, device or protocol, so
the identity map cannot hide a lazy load) and one with 12. Each page is
requested once to warm up, then once with a counter on the engine
(``before_cursor_execute``); both clinics must issue the same number of
statements. A loop of lazy loads over the rows would differ.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from clinic import create_app, security
from clinic.admin.services import create_user
from clinic.aftercare import services as aftercare
from clinic.auth.models import User
from clinic.catalogue.models import Protocol, Service
from clinic.clients.models import Client
from clinic.clock import clinic_today
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import series_services
from clinic.scheduling import services as scheduling
from clinic.scheduling.booking import Placement
from clinic.scheduling.models import Appointment, Block, BlockKind
from clinic.visits import services as visits
from clinic.visits.models import Rescreen
from tests.aftercare.support import zone_input
from tests.conftest import base_config
from tests.helpers import DEFAULT_PASSWORD, login
from tests.scheduling.support import add_client, build_clinic, local

SIZES = (2, 12)
ADMIN_EMAIL = "owner@queries.test.clinic"
# Opening hours long enough for a day of back-to-back sessions.
HOURS = [(time(6, 0), time(23, 0))]


def populate(app, n: int) -> dict:
    """``n`` of every kind of row; returns the URLs of the pages to check."""
    clinic = build_clinic(app, estheticians=n, rooms=n, devices=n, hours=HOURS)
    clients = [add_client(app, f"Clara Client{chr(97 + i)}") for i in range(n)]
    petra = add_client(app, "Petra Profile")
    with app.app_context():
        today = clinic_today()
        long_ago = datetime.now(UTC) - timedelta(days=30)
        admin = create_user(ADMIN_EMAIL, "Olivia Owner", Role.ADMIN, DEFAULT_PASSWORD)
        service = db.session.get(Service, clinic.service_id)
        for i in range(n):
            db.session.add(Service(name=f"Extra service {i}", duration_minutes=30))
        singles = [
            Protocol(
                name=f"One session {i}",
                service_id=service.id,
                sessions=1,
                min_gap_days=0,
                preferred_gap_days=0,
                max_gap_days=0,
            )
            for i in range(n)
        ]
        course = Protocol(
            name=f"{n} sessions",
            service_id=service.id,
            sessions=n,
            min_gap_days=1,
            preferred_gap_days=1,
            max_gap_days=2,
        )
        db.session.add_all([*singles, course])
        for i in range(n):
            db.session.add(
                Protocol(
                    name=f"Extra protocol {i}",
                    service_id=service.id,
                    sessions=3,
                    min_gap_days=1,
                    preferred_gap_days=2,
                    max_gap_days=3,
                )
            )
            for kind, column, resource in [
                (BlockKind.TIME_OFF, "user_id", clinic.estheticians),
                (BlockKind.ROOM, "room_id", clinic.rooms),
                (BlockKind.DEVICE, "device_id", clinic.devices),
            ]:
                start = local(today + timedelta(days=30 + i), time(9))
                db.session.add(
                    Block(
                        kind=kind,
                        starts_at=start,
                        ends_at=start + timedelta(hours=2),
                        reason="Maintenance",
                        **{column: resource[i]},
                    )
                )
        db.session.flush()

        # Petra: n one-session series on the n days up to today (one person
        # is never in two places at once), each visited and signed.
        client = db.session.get(Client, petra)
        for i in range(n):
            placement = Placement(
                start=local(today - timedelta(days=i), time(9)),
                esthetician_id=clinic.estheticians[i],
            )
            series = series_services.book_series(
                client, singles[i], [placement], by_user_id=admin.id, now=long_ago
            )
            appointment = series.appointments[0]
            scheduling.check_in(
                appointment, by_user_id=admin.id, now=appointment.starts_at
            )
            visit, _ = visits.start_visit(
                appointment, user=admin, rescreen=Rescreen.NO_CHANGE
            )
            visits.save_visit(
                visit, {}, [zone_input("neck"), zone_input("brow")], user=admin
            )
            visits.sign_visit(visit, user=admin)
        # The Clara clients: one appointment each today, later than Petra's.
        for i, client_id in enumerate(clients):
            scheduling.book_single(
                db.session.get(Client, client_id),
                service,
                Placement(
                    start=local(today, time(11)),
                    esthetician_id=clinic.estheticians[i],
                ),
                by_user_id=admin.id,
                now=long_ago,
            )
        # A series of n sessions, one a day from tomorrow.
        series = series_services.book_series(
            db.session.get(Client, clients[0]),
            course,
            [
                Placement(
                    start=local(today + timedelta(days=1 + i), time(14)),
                    esthetician_id=clinic.estheticians[i],
                    room_id=clinic.rooms[i],
                    device_id=clinic.devices[i],
                )
                for i in range(n)
            ],
            by_user_id=admin.id,
        )
        db.session.commit()
        for i in range(n):
            aftercare.new_template_version(
                db.session.scalar(
                    select(Service).where(Service.name == f"Extra service {i}")
                ),
                title=f"After extra service {i}",
                general_notes="",
                contact_if="",
                items=[("Avoid sauna", 24), ("Drink water", None)],
                by_user_id=admin.id,
            )
        # n printed batches of the day's sheets.
        for _ in range(n):
            aftercare.print_day(today, by_user_id=admin.id)
        db.session.commit()
        day = today.isoformat()
        return {
            "clients list": "/clients",
            "clients search": "/clients?q=clara",
            "calendar day": f"/calendar?date={day}",
            "calendar day by room": f"/calendar?date={day}&by=room",
            "calendar week": f"/calendar/week?date={day}"
            f"&esthetician={clinic.estheticians[0]}",
            "calendar print": f"/calendar/print?date={day}",
            "dashboard": "/dashboard",
            "client profile": f"/clients/{petra}",
            "series page": f"/series/{series.id}",
            "aftercare day": f"/aftercare?date={day}",
            "staff list": "/admin/staff",
            "services list": "/admin/services",
            "protocols list": "/admin/protocols",
            "rooms list": "/admin/rooms",
            "devices list": "/admin/devices",
            "working hours": "/admin/hours",
            "blocks list": "/admin/blocks",
            "aftercare templates": "/admin/aftercare",
            "calendar feeds": "/admin/feeds",
            "audit log": "/admin/audit",
            "audit log by client": f"/admin/audit?client=%23{petra}",
        }


def _rows(app) -> dict[str, int]:
    """What the clinic holds, to check that the sizes really differ."""
    with app.app_context():
        return {
            "appointments": len(db.session.scalars(select(Appointment.id)).all()),
            "staff": len(db.session.scalars(select(User.id)).all()),
        }


@pytest.fixture(scope="module")
def clinics(database_factory):
    """{size: (test client signed in as an admin, urls, engine, app)}."""
    built, cleanups = {}, []
    with pytest.MonkeyPatch.context() as patch:
        # A session's last-seen time is written at most once a minute: a
        # slow run must not add that write to one measurement only.
        patch.setattr(security, "_TOUCH_EVERY", timedelta(days=1))
        for n in SIZES:
            uri, cleanup = database_factory()
            cleanups.append(cleanup)
            app = create_app(base_config(uri))
            urls = populate(app, n)
            browser = app.test_client()
            assert login(browser, ADMIN_EMAIL, DEFAULT_PASSWORD).status_code == 302
            with app.app_context():
                engine = db.engine
            built[n] = (browser, urls, engine, app)
        yield built
    for _browser, _urls, _engine, app in built.values():
        with app.app_context():
            db.engine.dispose()
    for cleanup in cleanups:
        cleanup()


def statements(browser, engine, url: str) -> list[str]:
    """The statements one GET of ``url`` sends (after a warm-up GET)."""
    assert browser.get(url).status_code == 200, url
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = browser.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, url
    return seen


def test_the_two_clinics_differ_in_size(clinics):
    small, large = (_rows(clinics[n][3]) for n in SIZES)
    assert large["appointments"] > small["appointments"] * 4
    assert large["staff"] > small["staff"] * 3


@pytest.mark.parametrize(
    "page",
    [
        "clients list",
        "clients search",
        "calendar day",
        "calendar day by room",
        "calendar week",
        "calendar print",
        "dashboard",
        "client profile",
        "series page",
        "aftercare day",
        "staff list",
        "services list",
        "protocols list",
        "rooms list",
        "devices list",
        "working hours",
        "blocks list",
        "aftercare templates",
        "calendar feeds",
        "audit log",
        "audit log by client",
    ],
)
def test_queries_do_not_grow_with_the_rows_shown(clinics, page):
    counts = {}
    for n in SIZES:
        browser, urls, engine, _app = clinics[n]
        counts[n] = statements(browser, engine, urls[page])
    small, large = (counts[n] for n in SIZES)
    extra = "\n".join(large[len(small) :]) if len(large) > len(small) else ""
    assert len(small) == len(large), (
        f"{page}: {len(small)} statements with {SIZES[0]} rows, {len(large)} with "
        f"{SIZES[1]}; the extra ones include:\n{extra}"
    )
