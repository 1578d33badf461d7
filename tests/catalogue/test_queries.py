"""The queries the booking pages use: active rows, weekly hours, blocks."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import event

from clinic.catalogue import services
from clinic.catalogue.models import Protocol, Service
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling.models import Block, BlockKind, WorkingHours
from tests.catalogue.support import SEED_SERVICE, add_device, add_room, add_row


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class count_queries:
    """``with count_queries() as counter:`` counts SELECTs on the engine."""

    def __enter__(self):
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, _conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            self.count += 1

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)


def test_active_catalogue_rows_by_name(app):
    add_room(app, "Room B")
    add_room(app, "Room A")
    add_room(app, "Closed", active=False)
    add_device(app, "Wand", "S1")
    add_device(app, "Old", "S2", active=False)
    retired = add_row(app, Service, name="Retired", duration_minutes=30, active=False)
    add_row(
        app,
        Protocol,
        name="On a retired service",
        service_id=retired,
        sessions=3,
        min_gap_days=1,
        preferred_gap_days=2,
        max_gap_days=3,
    )
    with app.app_context():
        assert [s.name for s in services.active_services()] == [SEED_SERVICE]
        assert [r.name for r in services.active_rooms()] == ["Room A", "Room B"]
        assert [d.name for d in services.active_devices()] == ["Wand"]
        assert [p.name for p in services.active_protocols()] == [
            "10 sessions, twice a week",
            "12 sessions, once or twice a week",
            "6 sessions, about 10 days apart",
        ]


def test_active_estheticians_by_name(app, make_user):
    make_user(Role.ESTHETICIAN, name="Zoe")
    make_user(Role.ESTHETICIAN, name="Anna")
    make_user(Role.ESTHETICIAN, name="Gone", active=False)
    make_user(Role.FRONT_DESK, name="Desk")
    make_user(Role.ADMIN, name="Boss")
    with app.app_context():
        assert [u.name for u in services.active_estheticians()] == ["Anna", "Zoe"]


def test_weekly_hours_in_one_query(app, make_user):
    nora = make_user(Role.ESTHETICIAN).id
    zoe = make_user(Role.ESTHETICIAN).id
    idle = make_user(Role.ESTHETICIAN).id
    for user_id, weekday, start, end in [
        (nora, 0, time(14), time(18)),
        (nora, 0, time(9), time(12, 30)),
        (nora, 3, time(10), time(16)),
        (zoe, 6, time(8), time(9)),
    ]:
        add_row(
            app,
            WorkingHours,
            user_id=user_id,
            weekday=weekday,
            start_time=start,
            end_time=end,
        )
    with app.app_context(), count_queries() as counter:
        hours = services.weekly_hours([nora, zoe, idle])
    assert counter.count == 1
    assert hours == {
        nora: {
            0: [(time(9), time(12, 30)), (time(14), time(18))],
            3: [(time(10), time(16))],
        },
        zoe: {6: [(time(8), time(9))]},
        idle: {},
    }
    with app.app_context():
        assert services.weekly_hours([]) == {}


def test_blocks_between_active_and_overlapping(app):
    room = add_room(app)

    def block(start, end, **extra):
        return add_row(
            app,
            Block,
            kind=BlockKind.ROOM,
            room_id=room,
            starts_at=start,
            ends_at=end,
            **extra,
        )

    inside = block(utc(2027, 3, 2, 10), utc(2027, 3, 2, 11))
    across = block(utc(2027, 3, 1, 20), utc(2027, 3, 2, 1))
    block(utc(2027, 3, 1, 8), utc(2027, 3, 2, 0))  # ends at the window's start
    block(utc(2027, 3, 3, 0), utc(2027, 3, 3, 5))  # starts at the window's end
    block(
        utc(2027, 3, 2, 12),
        utc(2027, 3, 2, 13),
        cancelled_at=utc(2027, 3, 1, 9),
    )
    with app.app_context(), count_queries() as counter:
        found = services.blocks_between(utc(2027, 3, 2), utc(2027, 3, 3))
        ids = [b.id for b in found]
    assert counter.count == 1
    assert ids == [across, inside]


def test_local_to_utc_round_trips_ordinary_times():
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    assert services.local_to_utc(datetime(2027, 1, 5, 9), london) == utc(2027, 1, 5, 9)
    assert services.local_to_utc(datetime(2027, 6, 5, 9), london) == utc(2027, 6, 5, 8)
    assert services.local_to_utc(
        datetime(2027, 10, 31, 1, 30), london, later=True
    ) == utc(2027, 10, 31, 1, 30)
