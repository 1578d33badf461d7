"""The per-esthetician iCalendar feed: a secret address the owner can rotate,
listing that esthetician's appointments with the client's first name and
initial only. Every feed is fetched without signing in and parsed back with
``icalendar``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import select

from clinic.audit import AuditEvent
from clinic.auth.models import User
from clinic.catalogue.models import Protocol, Service
from clinic.clients.models import Client
from clinic.clients.services import create_client
from clinic.extensions import db
from clinic.intake.models import IntakeAnswer
from clinic.intake.screening import Answer
from clinic.roles import Role
from clinic.scheduling import series_services, services
from clinic.scheduling.booking import Placement
from clinic.scheduling.models import Appointment, CalendarFeed
from tests.helpers import submit
from tests.scheduling.support import (
    TZ,
    add_client,
    build_clinic,
    local,
    submit_intake,
    today,
)

SERVICE = "Microcurrent facial"

# Everything about the client that must never leave the clinic in a feed.
PRIVATE = {
    "given_name": "Wilhelmina",
    "family_name": "Quenby-Farrow",
    "date_of_birth": date(1961, 2, 3),
    "email": "wilhelmina.qf@example.org",
    "phone": "07700 900987",
    "address": "12 Juniper Lane, Lowestoft",
    "notes": "Prefers unscented gel",
}
INTAKE_DETAILS = "Herpes flare after sunbathing in Crete"
FORBIDDEN = [
    "Quenby",
    "Farrow",
    "1961",
    "900987",
    "07700",
    "wilhelmina.qf",
    "example.org",
    "Juniper",
    "Lowestoft",
    "unscented",
    "Herpes",
    "sunbathing",
    "Crete",
    "cold sore",
    "Cold sore",
    "perioral",
]


def add_private_client(app) -> int:
    """A client with every personal field filled and a "yes" answer with
    details (a cold sore: treatable, the mouth area excluded)."""
    with app.app_context():
        client = create_client(dict(PRIVATE), by_user_id=None)
        submit_intake(
            client,
            {
                "cold_sore": Answer(
                    "cold_sore", True, zones=("perioral",), details=INTAKE_DETAILS
                )
            },
            signed_at=datetime.now(UTC) - timedelta(days=30),
        )
        db.session.commit()
        stored = db.session.scalar(
            select(IntakeAnswer.details).where(IntakeAnswer.rule_code == "cold_sore")
        )
        assert stored == INTAKE_DETAILS  # the feed has something to leak
        return client.id


def placement(clinic, day, at, who=0) -> Placement:
    return Placement(
        local(day, at), clinic.estheticians[who], clinic.rooms[who], clinic.devices[who]
    )


def book(app, clinic, client_id, day, at, *, who=0, now=None) -> int:
    with app.app_context():
        appointment = services.book_single(
            db.session.get(Client, client_id),
            db.session.get(Service, clinic.service_id),
            placement(clinic, day, at, who),
            by_user_id=clinic.estheticians[who],
            now=now,
        )
        db.session.commit()
        return appointment.id


def book_series(app, clinic, client_id, first_day, at) -> list[int]:
    """Ten sessions three days apart for esthetician 1; ids by session number."""
    with app.app_context():
        protocol = db.session.get(Protocol, clinic.protocol_ids[0])
        assert protocol.sessions == 10
        series = series_services.book_series(
            db.session.get(Client, client_id),
            protocol,
            [
                placement(clinic, first_day + timedelta(days=3 * n), at)
                for n in range(protocol.sessions)
            ],
            by_user_id=clinic.estheticians[0],
        )
        db.session.commit()
        return [
            a.id for a in sorted(series.appointments, key=lambda a: a.session_number)
        ]


def cancel(app, appointment_id: int) -> None:
    with app.app_context():
        services.cancel(
            db.session.get(Appointment, appointment_id),
            reason="Client unwell",
            by_user_id=None,
        )
        db.session.commit()


def starts_of(app, ids) -> dict[int, datetime]:
    with app.app_context():
        return {
            appointment.id: appointment.starts_at
            for appointment in db.session.scalars(
                select(Appointment).where(Appointment.id.in_(list(ids)))
            )
        }


@pytest.fixture
def diary(app):
    """Esthetician 1: a past visit, a single, a series and a cancellation;
    esthetician 2: another client at the same time as the single."""
    clinic = build_clinic(app)
    wil = add_private_client(app)
    otto = add_client(app, "Otto Brandvold")
    first = today(app)
    past_day = first - timedelta(days=5)
    past = book(
        app, clinic, wil, past_day, time(10, 0), now=local(past_day, time(0, 0))
    )
    single = book(app, clinic, wil, first + timedelta(days=10), time(10, 0))
    sessions = book_series(app, clinic, wil, first + timedelta(days=3), time(14, 0))
    cancelled = book(app, clinic, wil, first + timedelta(days=11), time(12, 0))
    cancel(app, cancelled)
    theirs = book(app, clinic, otto, first + timedelta(days=10), time(10, 0), who=1)
    return {
        "clinic": clinic,
        "past": past,
        "single": single,
        "sessions": sessions,
        "cancelled": cancelled,
        "theirs": theirs,
    }


ADDRESS = re.compile(r'aria-label="Feed address of ([^"]+)" value="([^"]+)"')


CREATE = re.compile(
    r'action="(/admin/feeds/\d+/rotate)">[^<]*<input[^>]*>\s*'
    r"<button[^>]*>Create address"
)


def create_missing_addresses(client) -> int:
    """Press every "Create address" button of the admin's page; how many."""
    html = client.get("/admin/feeds").get_data(as_text=True)
    actions = CREATE.findall(html)
    for action in actions:
        assert submit(client, action, page="/admin/feeds").status_code == 302
    return len(actions)


def feed_paths(client) -> dict[str, str]:
    """Esthetician name -> feed path, as the admin's page shows them (the
    addresses not created yet are created first, as the admin would)."""
    create_missing_addresses(client)
    response = client.get("/admin/feeds")
    assert response.status_code == 200
    found = {}
    for name, url in ADDRESS.findall(response.get_data(as_text=True)):
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("http", "localhost")
        assert re.fullmatch(r"/feeds/[A-Za-z0-9_-]{40,}\.ics", parts.path), url
        found[name] = parts.path
    return found


def fetch(app, path: str):
    """GET a feed with a fresh client that never signed in."""
    return app.test_client().get(path)


def unfolded(response) -> str:
    """The iCalendar text with folded lines joined again (RFC 5545 3.1)."""
    return re.sub(r"\r\n[ \t]", "", response.get_data(as_text=True))


def events(response) -> dict[int, object]:
    """Appointment id -> VEVENT."""
    calendar = Calendar.from_ical(response.get_data())
    found = {}
    for event in calendar.walk("VEVENT"):
        match = re.fullmatch(r"appointment-(\d+)@clinic", str(event["uid"]))
        assert match, event["uid"]
        found[int(match.group(1))] = event
    return found


# --- the feed ------------------------------------------------------------------


def test_the_feed_lists_the_estheticians_own_appointments(app, client, admin, diary):
    paths = feed_paths(client)
    assert set(paths) == {"Esthetician 1", "Esthetician 2"}

    response = fetch(app, paths["Esthetician 1"])

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    found = events(response)
    expected = {diary["past"], diary["single"], *diary["sessions"]}
    assert set(found) == expected
    assert diary["cancelled"] not in found and diary["theirs"] not in found
    calendar = Calendar.from_ical(response.get_data())
    assert "Esthetician 1" in str(calendar["x-wr-calname"])


def test_times_are_utc_and_match_the_bookings(app, client, admin, diary):
    response = fetch(app, feed_paths(client)["Esthetician 1"])

    found = events(response)
    starts = starts_of(app, found)
    text = unfolded(response)
    for appointment_id, event in found.items():
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start == starts[appointment_id]
        assert end - start == timedelta(minutes=60)
        assert start.utcoffset() == timedelta(0) == end.utcoffset()
        assert f"DTSTART:{starts[appointment_id]:%Y%m%dT%H%M%SZ}\r\n" in text
    # The clinic's wall times, whatever the offset of the day.
    wall = {i: e.decoded("dtstart").astimezone(TZ).time() for i, e in found.items()}
    assert wall[diary["single"]] == wall[diary["past"]] == time(10, 0)
    assert {wall[i] for i in diary["sessions"]} == {time(14, 0)}


def test_summaries_name_the_client_by_first_name_and_initial(app, client, admin, diary):
    response = fetch(app, feed_paths(client)["Esthetician 1"])

    found = events(response)
    assert str(found[diary["single"]]["summary"]) == f"{SERVICE}: Wilhelmina Q."
    assert str(found[diary["single"]]["location"]) == "Room 1"
    for number, appointment_id in enumerate(diary["sessions"], start=1):
        assert str(found[appointment_id]["summary"]) == (
            f"{SERVICE}: Wilhelmina Q. (Session {number} of 10)"
        )


def test_the_feed_holds_no_personal_or_health_data(app, client, admin, diary):
    paths = feed_paths(client)

    for path in paths.values():
        text = unfolded(fetch(app, path))
        for secret in FORBIDDEN:
            assert secret not in text, secret
    assert "Otto B." in unfolded(fetch(app, paths["Esthetician 2"]))
    assert "Brandvold" not in unfolded(fetch(app, paths["Esthetician 2"]))


def test_the_feed_is_never_cached_and_needs_no_login(app, client, admin, diary):
    path = feed_paths(client)["Esthetician 2"]

    response = fetch(app, path)

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    [only] = events(response)
    assert only == diary["theirs"]


def test_an_esthetician_without_appointments_gets_an_empty_calendar(app, client, admin):
    build_clinic(app)

    response = fetch(app, feed_paths(client)["Esthetician 2"])

    assert response.status_code == 200
    assert events(response) == {}


def test_opening_the_page_again_keeps_the_addresses(app, client, admin, diary):
    first = feed_paths(client)

    assert feed_paths(client) == first
    assert len(set(first.values())) == 2


def test_opening_the_page_creates_no_address(app, client, admin, diary):
    """A GET changes nothing: addresses are created by a button (a POST)."""
    client.get("/admin/feeds")
    with app.app_context():
        assert db.session.scalars(select(CalendarFeed)).all() == []
    assert create_missing_addresses(client) == 2
    assert create_missing_addresses(client) == 0
    with app.app_context():
        created = db.session.scalars(
            select(AuditEvent.entity_id).where(
                AuditEvent.action == "calendar_feed.created"
            )
        ).all()
    assert sorted(created) == sorted(str(i) for i in diary["clinic"].estheticians)


def test_a_deactivated_estheticians_feed_stops_working(app, client, admin, diary):
    path = feed_paths(client)["Esthetician 1"]
    with app.app_context():
        db.session.get(User, diary["clinic"].estheticians[0]).active = False
        db.session.commit()

    assert fetch(app, path).status_code == 404


# --- rotating an address -------------------------------------------------------


def test_rotating_an_address_retires_the_old_one(app, client, admin, diary):
    before = feed_paths(client)
    first = diary["clinic"].estheticians[0]

    response = submit(client, f"/admin/feeds/{first}/rotate", page="/admin/feeds")

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/feeds"
    after = feed_paths(client)
    assert after["Esthetician 1"] != before["Esthetician 1"]
    assert after["Esthetician 2"] == before["Esthetician 2"]
    assert fetch(app, before["Esthetician 1"]).status_code == 404
    renewed = fetch(app, after["Esthetician 1"])
    assert renewed.status_code == 200
    assert diary["single"] in events(renewed)
    assert fetch(app, after["Esthetician 2"]).status_code == 200
    with app.app_context():
        rotated = db.session.scalars(
            select(AuditEvent.entity_id).where(
                AuditEvent.action == "calendar_feed.rotated"
            )
        ).all()
        assert rotated == [str(first)]


def test_rotating_needs_the_csrf_token(app, client, admin, diary):
    before = feed_paths(client)
    first = diary["clinic"].estheticians[0]

    response = client.post(f"/admin/feeds/{first}/rotate")

    assert response.status_code == 400
    assert feed_paths(client) == before


@pytest.mark.parametrize("who", ["nobody", "the admin"])
def test_rotating_someone_who_is_not_an_esthetician_is_a_404(app, client, admin, who):
    build_clinic(app)
    if who == "nobody":
        user_id = 999999
    else:
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.role == Role.ADMIN))

    response = submit(client, f"/admin/feeds/{user_id}/rotate", page="/admin/feeds")

    assert response.status_code == 404


# --- addresses that do not exist -----------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        "A" * 43,
        "a" * 64,
        "a" * 65,
        "a" * 101,
        "a" * 5000,
        "%27%20OR%20%271%27%3D%271",
    ],
)
def test_an_unknown_or_over_long_token_is_a_404(app, client, admin, diary, token):
    feed_paths(client)  # the real tokens exist

    assert fetch(app, f"/feeds/{token}.ics").status_code == 404


def test_the_token_of_one_feed_is_not_a_prefix_match(app, client, admin, diary):
    path = feed_paths(client)["Esthetician 1"]
    token = path.removeprefix("/feeds/").removesuffix(".ics")

    assert fetch(app, f"/feeds/{token[:-1]}.ics").status_code == 404
    assert fetch(app, f"/feeds/{token}x.ics").status_code == 404
    assert fetch(app, path).status_code == 200


# --- who may manage the feeds --------------------------------------------------


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
def test_only_the_admin_manages_feeds(app, client, login_as, role):
    clinic = build_clinic(app)
    with app.app_context():
        db.session.add(CalendarFeed(user_id=clinic.estheticians[0], token="t" * 43))
        db.session.commit()
    login_as(role)

    assert client.get("/admin/feeds").status_code == 403
    response = submit(
        client, f"/admin/feeds/{clinic.estheticians[0]}/rotate", page="/dashboard"
    )
    assert response.status_code == 403
    with app.app_context():
        tokens = db.session.scalars(select(CalendarFeed.token)).all()
        assert tokens == ["t" * 43]
    assert fetch(app, f"/feeds/{'t' * 43}.ics").status_code == 200


def test_anonymous_visitors_cannot_open_the_feeds_page(app, client):
    build_clinic(app)

    response = client.get("/admin/feeds")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
