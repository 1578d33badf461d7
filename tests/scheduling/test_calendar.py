"""The calendar through HTTP: the day view (by esthetician or by room), the
week view, the printable day sheet, check-in from the calendar, the
dashboard's list of today and the client's upcoming appointments and series.

Appointments are booked with the scheduling services in short app contexts;
every page is then read through the real test client (CSRF on).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import event

from clinic.catalogue.models import Protocol, Service
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import series_services, services
from clinic.scheduling.booking import Placement
from clinic.scheduling.models import Appointment, AppointmentStatus
from tests.helpers import DEFAULT_PASSWORD, login
from tests.scheduling.support import (
    add_client,
    build_clinic,
    local,
    next_weekday,
    today,
)

SERVICE = "Microcurrent facial"
DASH = "\u2013"  # between start and end times
TWICE_A_WEEK = 0  # index in Clinic.protocol_ids: 10 sessions, 2-5 days apart

# --- arranging ---------------------------------------------------------------


def placement(clinic, day, at, who: int, place: int) -> Placement:
    return Placement(
        local(day, at),
        clinic.estheticians[who],
        clinic.rooms[place],
        clinic.devices[place],
    )


def book(app, clinic, client_id, day, at, *, who=0, place=0, now=None) -> int:
    """One appointment with esthetician ``who`` in room and device ``place``."""
    with app.app_context():
        appointment = services.book_single(
            db.session.get(Client, client_id),
            db.session.get(Service, clinic.service_id),
            placement(clinic, day, at, who, place),
            by_user_id=clinic.estheticians[who],
            now=now,
        )
        db.session.commit()
        return appointment.id


def book_series(app, clinic, client_id, first_day, at, *, who=0, place=0):
    """A 10-session series every 3 days: (series id, appointment ids by session)."""
    with app.app_context():
        protocol = db.session.get(Protocol, clinic.protocol_ids[TWICE_A_WEEK])
        days = [first_day + timedelta(days=3 * n) for n in range(protocol.sessions)]
        series = series_services.book_series(
            db.session.get(Client, client_id),
            protocol,
            [placement(clinic, day, at, who, place) for day in days],
            by_user_id=clinic.estheticians[who],
        )
        db.session.commit()
        ordered = sorted(series.appointments, key=lambda a: a.session_number)
        return series.id, [a.id for a in ordered]


def cancel(app, appointment_id: int) -> None:
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        services.cancel(
            appointment, reason="Client unwell", by_user_id=appointment.esthetician_id
        )
        db.session.commit()


def status_of(app, appointment_id: int) -> AppointmentStatus:
    with app.app_context():
        return db.session.get(Appointment, appointment_id).status


@pytest.fixture
def shown(app):
    """A Wednesday two weeks ahead: every booking around it is in the future."""
    return next_weekday(today(app) + timedelta(days=14), 2)


# --- reading pages -----------------------------------------------------------

COLUMN = re.compile(
    r'<section class="calendar-column" aria-labelledby="(?:col|d)-([^"]+)">'
    r"\s*<h2[^>]*>(.*?)</h2>(.*?)</section>",
    re.S,
)
CARD = re.compile(r'<article class="appt card mb-2 appt-(\w+)">(.*?)</article>', re.S)
COUNT = re.compile(r"(\d+) appointments?</small>")


def plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def columns(body: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(key, heading, [(status class, card text)]) per calendar column."""
    return [
        (
            key,
            plain(heading),
            [(status, plain(card)) for status, card in CARD.findall(inner)],
        )
        for key, heading, inner in COLUMN.findall(body)
    ]


def column(body: str, heading: str) -> list[tuple[str, str]]:
    [cards] = [cards for _, found, cards in columns(body) if found == heading]
    return cards


def names_in_order(cards, names) -> list[str]:
    """Which of ``names`` each card shows, card by card."""
    found = []
    for _, text in cards:
        [name] = [n for n in names if n in text]
        found.append(name)
    return found


def table_rows(body: str) -> list[list[str]]:
    [tbody] = re.findall(r"<tbody>(.*?)</tbody>", body, re.S)
    return [
        [plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    ]


def check_in_form(body: str, appointment_id: int) -> dict[str, str]:
    """The hidden fields of the check-in form of one appointment."""
    match = re.search(
        rf'<form method="post" action="/appointments/{appointment_id}/check-in"'
        r"[^>]*>(.*?)</form>",
        body,
        re.S,
    )
    assert match, f"no check-in button for appointment {appointment_id}"
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', match.group(1)
        )
    }


# --- the day view ------------------------------------------------------------


class TestDayView:
    @pytest.fixture
    def day(self, app, shown):
        """Esthetician 1: a series session, a cancellation and a single
        appointment, booked out of time order; esthetician 2: one in room 2."""
        clinic = build_clinic(app)
        ada = add_client(app, "Ada Lovelace")
        bea = add_client(app, "Bea Fairfax")
        cy = add_client(app, "Cy Ashdown")
        dot = add_client(app, "Dot Penhallow")
        late = book(app, clinic, bea, shown, time(14, 0))
        _, sessions = book_series(
            app, clinic, ada, shown - timedelta(days=6), time(9, 0)
        )
        cancelled = book(app, clinic, cy, shown, time(11, 0))
        cancel(app, cancelled)
        other = book(app, clinic, dot, shown, time(10, 0), who=1, place=1)
        book(app, clinic, dot, shown + timedelta(days=1), time(12, 0), who=1)
        return {
            "clinic": clinic,
            "series_session": sessions[2],
            "late": late,
            "cancelled": cancelled,
            "other": other,
        }

    NAMES = ["Ada Lovelace", "Bea Fairfax", "Cy Ashdown", "Dot Penhallow"]

    def test_a_column_per_esthetician_in_time_order(
        self, client, front_desk, day, shown
    ):
        body = page(client, f"/calendar?date={shown.isoformat()}")

        assert [heading for _, heading, _ in columns(body)] == [
            "Esthetician 1",
            "Esthetician 2",
        ]
        first = column(body, "Esthetician 1")
        assert names_in_order(first, self.NAMES) == [
            "Ada Lovelace",
            "Cy Ashdown",
            "Bea Fairfax",
        ]
        assert [text.split()[0] for _, text in first] == ["09:00", "11:00", "14:00"]
        assert names_in_order(column(body, "Esthetician 2"), self.NAMES) == [
            "Dot Penhallow"
        ]
        # The next day's appointment of esthetician 2 is not on this day (and
        # nothing is checked in two weeks ahead: no check-in label).
        assert body.count("Dot Penhallow") == 1

    def test_each_card_shows_client_service_session_room_device_and_status(
        self, client, front_desk, day, shown
    ):
        body = page(client, f"/calendar?date={shown.isoformat()}")

        (series_status, series_card), (gone_status, gone_card), (_, single_card) = (
            column(body, "Esthetician 1")
        )
        assert series_status == "booked"
        for part in (
            "Ada Lovelace",
            SERVICE,
            "Session 3 of 10",
            "Room 1",
            "Device 1",
            "Booked",
        ):
            assert part in series_card, part
        # Check-in opens on the appointment's day: none two weeks ahead.
        assert "Check in" not in series_card
        assert "Session" not in single_card
        [(_, other_card)] = column(body, "Esthetician 2")
        for part in ("Dot Penhallow", SERVICE, "Room 2", "Device 2", "Booked"):
            assert part in other_card, part
        # Cancelled: still shown, marked as such, no check-in button.
        assert gone_status == "cancelled"
        assert "Cancelled" in gone_card and "Cy Ashdown" in gone_card
        assert "Check in" not in gone_card

    def test_cancelled_appointments_are_shown_but_not_counted(
        self, client, front_desk, day, shown
    ):
        body = page(client, f"/calendar?date={shown.isoformat()}")

        assert COUNT.findall(body) == ["3"]
        statuses = [status for _, _, cards in columns(body) for status, _ in cards]
        assert sorted(statuses) == ["booked", "booked", "booked", "cancelled"]

    def test_by_room_shows_a_column_per_room(self, client, front_desk, day, shown):
        body = page(client, f"/calendar?date={shown.isoformat()}&by=room")

        assert [heading for _, heading, _ in columns(body)] == ["Room 1", "Room 2"]
        room_1 = column(body, "Room 1")
        assert names_in_order(room_1, self.NAMES) == [
            "Ada Lovelace",
            "Cy Ashdown",
            "Bea Fairfax",
        ]
        # By room, each card says who gives the treatment.
        assert all("Esthetician 1" in text for _, text in room_1)
        [(_, other)] = column(body, "Room 2")
        assert "Dot Penhallow" in other and "Esthetician 2" in other
        assert "<strong>By room</strong>" in body

    def test_an_unknown_grouping_falls_back_to_estheticians(
        self, client, front_desk, day, shown
    ):
        body = page(client, f"/calendar?date={shown.isoformat()}&by=nonsense")

        assert [heading for _, heading, _ in columns(body)] == [
            "Esthetician 1",
            "Esthetician 2",
        ]

    def test_a_day_without_bookings_still_has_every_column(
        self, client, front_desk, day, shown
    ):
        body = page(client, f"/calendar?date={(shown - timedelta(days=1)).isoformat()}")

        assert [(h, cards) for _, h, cards in columns(body)] == [
            ("Esthetician 1", []),
            ("Esthetician 2", []),
        ]
        assert COUNT.findall(body) == ["0"]
        assert body.count("Nothing booked.") == 2


class TestDateNavigation:
    def test_previous_next_and_today_links(self, app, client, front_desk, shown):
        build_clinic(app)
        body = page(client, f"/calendar?date={shown.isoformat()}&by=room")

        before = (shown - timedelta(days=1)).isoformat()
        after = (shown + timedelta(days=1)).isoformat()
        links = dict(
            (plain(label), html.unescape(href))
            for href, label in re.findall(
                r'<a class="btn btn-outline-secondary" href="([^"]+)">(.*?)</a>', body
            )
        )
        assert links == {
            "← Previous day": f"/calendar?date={before}&by=room",
            "Today": "/calendar?by=room",
            "Next day →": f"/calendar?date={after}&by=room",
        }
        assert f'id="goto" name="date" value="{shown.isoformat()}"' in body
        assert f'id="goto" name="date" value="{before}"' in page(
            client, links["← Previous day"]
        )
        assert f'id="goto" name="date" value="{after}"' in page(
            client, links["Next day →"]
        )
        assert f'id="goto" name="date" value="{today(app).isoformat()}"' in page(
            client, links["Today"]
        )

    def test_the_heading_names_the_day(self, app, client, front_desk, shown):
        body = page(client, f"/calendar?date={shown.isoformat()}")

        expected = f"Wednesday {shown.day} {shown:%B %Y}"
        assert expected in plain(re.search(r"<h1.*?</h1>", body, re.S).group(0))

    @pytest.mark.parametrize(
        "value", ["2025-02-30", "tomorrow", "2025-13-01", "9999-12-31", "0001-01-01"]
    )
    @pytest.mark.parametrize("path", ["/calendar", "/calendar/print", "/calendar/week"])
    def test_a_malformed_date_is_a_400(self, app, client, front_desk, path, value):
        build_clinic(app)

        assert client.get(f"{path}?date={value}").status_code == 400


# --- the printable day sheet -------------------------------------------------


def test_day_sheet_lists_the_day_in_time_order_without_cancelled(
    app, client, front_desk, shown
):
    clinic = build_clinic(app)
    ada = add_client(app, "Ada Lovelace")
    bea = add_client(app, "Bea Fairfax")
    cy = add_client(app, "Cy Ashdown")
    dot = add_client(app, "Dot Penhallow")
    book(app, clinic, bea, shown, time(15, 0))
    book_series(app, clinic, ada, shown - timedelta(days=3), time(9, 30))
    cancel(app, book(app, clinic, cy, shown, time(12, 0)))
    book(app, clinic, dot, shown, time(11, 0), who=1, place=1)
    book(app, clinic, cy, shown + timedelta(days=1), time(9, 0))

    body = page(client, f"/calendar/print?date={shown.isoformat()}")

    rows = table_rows(body)
    assert [row[:2] for row in rows] == [
        [f"09:30{DASH}10:30", "Ada Lovelace"],
        [f"11:00{DASH}12:00", "Dot Penhallow"],
        [f"15:00{DASH}16:00", "Bea Fairfax"],
    ]
    assert rows[0][2:] == [
        f"{SERVICE} Session 2 of 10",
        "Esthetician 1",
        "Room 1",
        "Device 1",
        "Booked",
    ]
    assert rows[1][3:5] == ["Esthetician 2", "Room 2"]
    assert "Cy Ashdown" not in body
    assert "Cancelled" not in body
    assert "Test Clinic" in body


def test_an_empty_day_sheet_says_nothing_is_booked(app, client, front_desk, shown):
    build_clinic(app)

    body = page(client, f"/calendar/print?date={shown.isoformat()}")

    assert table_rows(body) == [["Nothing booked."]]


# --- the week view -----------------------------------------------------------


class TestWeekView:
    @pytest.fixture
    def week(self, app, shown):
        clinic = build_clinic(app)
        mine = add_client(app, "Ada Lovelace")
        theirs = add_client(app, "Otto Brandvold")
        monday = shown - timedelta(days=shown.weekday())
        sunday = monday + timedelta(days=6)
        book(app, clinic, mine, sunday, time(16, 0))
        book(app, clinic, mine, monday, time(9, 0))
        book(app, clinic, mine, shown, time(13, 0))
        book(app, clinic, theirs, shown, time(10, 0), who=1, place=1)
        # Just outside the week, on either side.
        book(app, clinic, mine, monday - timedelta(days=1), time(16, 30))
        book(app, clinic, mine, sunday + timedelta(days=1), time(9, 0))
        return clinic, monday

    def test_seven_days_monday_to_sunday_for_one_esthetician(
        self, client, front_desk, week, shown
    ):
        clinic, monday = week
        body = page(
            client,
            f"/calendar/week?esthetician={clinic.estheticians[0]}"
            f"&date={shown.isoformat()}",
        )

        days = columns(body)
        assert [key for key, _, _ in days] == [
            (monday + timedelta(days=n)).isoformat() for n in range(7)
        ]
        assert [heading.split()[0] for _, heading, _ in days] == [
            "Mon",
            "Tue",
            "Wed",
            "Thu",
            "Fri",
            "Sat",
            "Sun",
        ]
        times = [[text.split()[0] for _, text in cards] for _, _, cards in days]
        assert times == [["09:00"], [], ["13:00"], [], [], [], ["16:00"]]
        assert "Otto Brandvold" not in body
        assert "Esthetician 1: week of" in plain(body)

    def test_any_day_of_the_week_shows_the_same_week(self, client, front_desk, week):
        clinic, monday = week
        url = f"/calendar/week?esthetician={clinic.estheticians[0]}&date="

        on_monday = columns(page(client, url + monday.isoformat()))
        on_sunday = columns(page(client, url + (monday + timedelta(6)).isoformat()))

        assert on_monday == on_sunday
        assert sum(len(cards) for _, _, cards in on_monday) == 3

    def test_the_other_esthetician_sees_only_their_own(
        self, client, front_desk, week, shown
    ):
        clinic, _ = week
        body = page(
            client,
            f"/calendar/week?esthetician={clinic.estheticians[1]}"
            f"&date={shown.isoformat()}",
        )

        cards = [text for _, _, found in columns(body) for _, text in found]
        assert len(cards) == 1 and "Otto Brandvold" in cards[0]
        assert "Ada Lovelace" not in body

    def test_unknown_esthetician_is_a_404(self, client, front_desk, week):
        assert client.get("/calendar/week?esthetician=999999").status_code == 404

    def test_someone_who_is_not_an_esthetician_is_a_404(self, client, front_desk, week):
        assert (
            client.get(f"/calendar/week?esthetician={front_desk.id}").status_code == 404
        )


# --- who may see the calendar ------------------------------------------------

CALENDAR_PAGES = ["/calendar", "/calendar?by=room", "/calendar/week", "/calendar/print"]


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN, Role.ADMIN])
def test_every_staff_role_may_view_the_calendar(app, client, login_as, role):
    clinic = build_clinic(app)
    ada = add_client(app, "Ada Lovelace")
    day = today(app) + timedelta(days=2)
    book(app, clinic, ada, day, time(10, 0))
    login_as(role)

    for url in CALENDAR_PAGES:
        joiner = "&" if "?" in url else "?"
        query = f"date={day.isoformat()}&esthetician={clinic.estheticians[0]}"
        body = page(client, f"{url}{joiner}{query}")
        assert "Ada Lovelace" in body, url


@pytest.mark.parametrize("url", CALENDAR_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(app, client, url):
    build_clinic(app)

    response = client.get(url)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- check-in from the calendar ----------------------------------------------


# Check-in opens at midnight of the appointment's day: the check-in tests book
# for today and run at any hour (the window itself: test_check_in_window).
ALL_DAY = {"CHECK_IN_OPENS_MINUTES": 24 * 60}


def book_today(app, clinic, client_id, at, **kw) -> int:
    day = today(app)
    return book(app, clinic, client_id, day, at, now=local(day, time(0, 0)), **kw)


@pytest.mark.app_config(**ALL_DAY)
def test_check_in_from_the_day_view_returns_to_the_day_view(app, client, front_desk):
    clinic = build_clinic(app)
    ada = add_client(app, "Ada Lovelace")
    shown = today(app)
    appointment = book_today(app, clinic, ada, time(10, 0), who=1, place=1)
    url = f"/calendar?date={shown.isoformat()}&by=room"
    fields = check_in_form(page(client, url), appointment)
    assert fields["back"] == url

    response = client.post(f"/appointments/{appointment}/check-in", data=fields)

    assert response.status_code == 302
    assert response.headers["Location"] == url
    assert status_of(app, appointment) is AppointmentStatus.CHECKED_IN
    body = page(client, url)
    [(status, card)] = column(body, "Room 2")
    assert status == "checked_in"
    assert "Checked in" in card and "Check in" not in card.replace("Checked in", "")


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/calendar",
        "//evil.example/calendar",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
@pytest.mark.app_config(**ALL_DAY)
def test_check_in_ignores_a_foreign_back_address(app, client, front_desk, back):
    clinic = build_clinic(app)
    ada = add_client(app, "Ada Lovelace")
    shown = today(app)
    appointment = book_today(app, clinic, ada, time(10, 0))
    fields = check_in_form(
        page(client, f"/calendar?date={shown.isoformat()}"), appointment
    )

    response = client.post(
        f"/appointments/{appointment}/check-in", data={**fields, "back": back}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/appointments/{appointment}"
    assert "evil" not in response.headers["Location"]
    assert status_of(app, appointment) is AppointmentStatus.CHECKED_IN


def test_check_in_without_the_csrf_token_is_refused(app, client, front_desk, shown):
    clinic = build_clinic(app)
    ada = add_client(app, "Ada Lovelace")
    appointment = book(app, clinic, ada, shown, time(10, 0))

    response = client.post(
        f"/appointments/{appointment}/check-in", data={"back": "/calendar"}
    )

    assert response.status_code == 400
    assert status_of(app, appointment) is AppointmentStatus.BOOKED


# --- a fixed number of queries per page --------------------------------------


class StatementCounter:
    """Counts the SQL statements the app's engine runs."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def statements_for(app, client, url: str, expected_cards: int) -> int:
    with StatementCounter(app) as counter:
        body = page(client, url)
    cards = len(CARD.findall(body))
    assert cards == expected_cards, (url, cards)
    return len(counter.statements)


def test_queries_per_page_do_not_grow_with_the_appointments(
    app, client, front_desk, shown
):
    """2 or 12 appointments (singles, series sessions, a cancellation, both
    estheticians, rooms and devices): the same number of statements."""
    clinic = build_clinic(app)
    quiet, busy = shown + timedelta(days=1), shown
    people = [add_client(app, f"Client{n} Family{n}") for n in range(14)]
    book(app, clinic, people[0], quiet, time(9, 0))
    book(app, clinic, people[1], quiet, time(11, 0), who=1, place=1)
    # Busy: a series session each at 09:00, four singles each, one more single
    # for esthetician 2 and a cancellation for esthetician 1 at 15:15.
    book_series(app, clinic, people[2], busy - timedelta(days=3), time(9, 0))
    book_series(
        app, clinic, people[3], busy - timedelta(days=6), time(9, 0), who=1, place=1
    )
    singles = iter(people[4:])
    for who in (0, 1):
        for at in (time(10, 15), time(11, 30), time(12, 45), time(14, 0)):
            book(app, clinic, next(singles), busy, at, who=who, place=who)
    book(app, clinic, next(singles), busy, time(15, 15), who=1, place=1)
    cancel(app, book(app, clinic, next(singles), busy, time(15, 15)))
    page(client, "/dashboard")  # warm up what a first request loads once

    for query in ("", "&by=room"):
        few = statements_for(app, client, f"/calendar?date={quiet}{query}", 2)
        many = statements_for(app, client, f"/calendar?date={busy}{query}", 12)
        assert few == many, (query, few, many)
    few = statements_for(app, client, f"/calendar/print?date={quiet}", 0)
    many = statements_for(app, client, f"/calendar/print?date={busy}", 0)
    assert few == many
    assert len(table_rows(page(client, f"/calendar/print?date={busy}"))) == 11
    week = f"/calendar/week?esthetician={clinic.estheticians[0]}&date="
    # The Monday before both days, and the week after (nothing booked but
    # series sessions): the week of ``busy`` holds both days.
    assert statements_for(app, client, week + busy.isoformat(), 8) == (
        statements_for(app, client, week + (busy + timedelta(days=21)).isoformat(), 2)
    )


# --- the dashboard -----------------------------------------------------------

# Wednesday 16 April 2031, 09:10 in London (BST): check-in is open for the
# 09:00 and 10:00 bookings (it opens an hour before), and the 09:00 one is
# not late yet (15 minutes).
MORNING = datetime(2031, 4, 16, 8, 10, tzinfo=UTC)
BOOKED_AT = MORNING - timedelta(hours=3)


def rows_of_dashboard(body: str) -> list[list[str]]:
    match = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    if match is None:
        return []
    return [
        [plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)
    ]


class TestDashboard:
    @pytest.fixture
    def morning(self, app):
        with time_machine.travel(MORNING, tick=False):
            clinic = build_clinic(app)
            day = today(app)
            ada = add_client(app, "Ada Lovelace")
            bea = add_client(app, "Bea Fairfax")
            cy = add_client(app, "Cy Ashdown")
            dot = add_client(app, "Dot Penhallow")
            ids = {
                "ada": book(app, clinic, ada, day, time(9, 0), now=BOOKED_AT),
                "bea": book(
                    app, clinic, bea, day, time(10, 0), who=1, place=1, now=BOOKED_AT
                ),
                "cy": book(app, clinic, cy, day, time(11, 30)),
                "dot": book(app, clinic, dot, day + timedelta(days=1), time(9, 0)),
            }
            cancel(app, ids["cy"])
            yield clinic, ids

    def test_front_desk_sees_all_of_today_with_a_check_in_button(
        self, app, client, login_as, morning
    ):
        _, ids = morning
        login_as(Role.FRONT_DESK)

        body = page(client, "/dashboard")

        assert "Today's appointments (2)" in plain(body)
        rows = rows_of_dashboard(body)
        assert [row[:6] for row in rows] == [
            ["09:00", "Ada Lovelace", SERVICE, "Esthetician 1", "Room 1", "Booked"],
            ["10:00", "Bea Fairfax", SERVICE, "Esthetician 2", "Room 2", "Booked"],
        ]
        assert "Cy Ashdown" not in body and "Dot Penhallow" not in body
        fields = check_in_form(body, ids["bea"])
        assert fields["back"] == "/dashboard"
        check_in_form(body, ids["ada"])

        response = client.post(f"/appointments/{ids['bea']}/check-in", data=fields)

        assert response.status_code == 302
        assert response.headers["Location"] == "/dashboard"
        assert status_of(app, ids["bea"]) is AppointmentStatus.CHECKED_IN
        rows = rows_of_dashboard(page(client, "/dashboard"))
        assert [row[5] for row in rows] == ["Booked", "Checked in"]
        assert rows[1][6] == ""  # no check-in button any more

    def test_an_esthetician_sees_only_their_own(self, app, client, morning):
        clinic, ids = morning
        response = login(client, clinic.esthetician_emails[1], DEFAULT_PASSWORD)
        assert response.status_code == 302
        body = page(client, "/dashboard")

        assert "Your appointments today" in body
        rows = rows_of_dashboard(body)
        assert [row[:2] for row in rows] == [["10:00", "Bea Fairfax"]]
        assert "Ada Lovelace" not in body
        check_in_form(body, ids["bea"])

    def test_nothing_booked_today(self, app, client, front_desk):
        build_clinic(app)

        body = page(client, "/dashboard")

        assert "Nothing booked today." in body
        assert rows_of_dashboard(body) == []


# --- the client's profile ----------------------------------------------------


def test_profile_lists_upcoming_appointments_and_the_series(
    app, client, front_desk, shown
):
    clinic = build_clinic(app)
    ada = add_client(
        app, "Ada Lovelace", signed_at=datetime.now(UTC) - timedelta(days=30)
    )
    bea = add_client(app, "Bea Fairfax")
    past_day = today(app) - timedelta(days=5)
    book(
        app,
        clinic,
        ada,
        past_day,
        time(10, 0),
        now=local(past_day, time(0, 0)),
    )
    single = book(app, clinic, ada, shown - timedelta(days=1), time(15, 0))
    series_id, sessions = book_series(app, clinic, ada, shown, time(9, 0))
    book(app, clinic, bea, shown - timedelta(days=2), time(9, 0))

    body = page(client, f"/clients/{ada}")

    listed = re.findall(r'<a href="/appointments/(\d+)">', body)
    assert [int(n) for n in listed] == [single, *sessions]
    items = [
        plain(item)
        for item in re.findall(
            r'<li class="list-group-item d-flex[^"]*">(.*?)</li>', body, re.S
        )
        if "/appointments/" in item
    ]
    assert f"{SERVICE} · Esthetician 1 · Booked" in items[0]
    assert "Session" not in items[0]
    assert [f"Session {n} of 10" in item for n, item in enumerate(items[1:], 1)] == [
        True
    ] * 10
    series_links = re.findall(r'<a href="/series/(\d+)">(.*?)</a>', body)
    assert series_links == [(str(series_id), "10 sessions, twice a week")]
    assert "Bea Fairfax" not in body
    assert "Session 1 of 10" in page(client, f"/series/{series_id}")


def test_profile_without_appointments(app, client, front_desk):
    build_clinic(app)
    ada = add_client(app, "Ada Lovelace")

    body = page(client, f"/clients/{ada}")

    assert "No upcoming appointment." in body
    assert 'href="/series/' not in body
    assert '<h3 class="h6">Series</h3>' not in body
