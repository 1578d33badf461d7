"""A client is booked like a resource: never in two places at once.

Issue 15, item 1: booking the same client at 10:00 with esthetician A and
then with esthetician B went through (single bookings, series and
reschedules), and the booking page offered the clashing times. Each path is
refused with a 409 naming the clashing appointment; the database enforces it
(an exclusion constraint on PostgreSQL, serialised writers on SQLite), proven
by parallel requests.
"""

from __future__ import annotations

from datetime import time, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError

from clinic.db import UTCDateTime
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling.models import CLIENT_EXCLUSION, Appointment
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import csrf_token, submit
from tests.scheduling.support import (
    add_client,
    appointment_id_from,
    appointments_of,
    book_directly,
    book_form,
    build_clinic,
    free_slots,
    local,
    local_starts,
    next_weekday,
    plain,
    post_booking,
    signed_in_browser,
    today,
)
from tests.scheduling.test_concurrency import RACE_CONFIG, race
from tests.scheduling.test_lifecycle import reschedule
from tests.scheduling.test_series import confirm, confirm_fields, plan, rows

# Moves an appointment behind the application's back (UTC on both databases).
MOVE = text(
    "UPDATE appointment SET starts_at = :start, ends_at = :end WHERE id = :id"
).bindparams(
    bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
)
CLASH = "Clara Client already has an appointment then: Microcurrent facial with "


@pytest.fixture
def clinic(app):
    return build_clinic(app)


@pytest.fixture
def day(app):
    return next_weekday(today(app) + timedelta(days=7), 1)


@pytest.fixture
def clara(app):
    return add_client(app, "Clara Client")


def book_with(browser, clinic, client_id, start, esthetician):
    fields = book_form(clinic.service_id, clinic.estheticians[esthetician], start)
    return post_booking(browser, client_id, fields)


def test_a_second_booking_at_the_same_time_is_refused_naming_the_first(
    app, client, front_desk, clinic, clara, day
):
    appointment_id_from(book_with(client, clinic, clara, local(day, time(10)), 0))
    # 10:30 with the other esthetician, in the other room: only Clara clashes.
    response = book_with(client, clinic, clara, local(day, time(10, 30)), 1)
    assert response.status_code == 409
    text_of_page = plain(response)
    assert CLASH + "Esthetician 1" in text_of_page
    assert f"{day.day} {day:%b %Y}, 10:00-11:00" in text_of_page
    assert len(appointments_of(app, clara)) == 1


def test_back_to_back_with_another_esthetician_is_fine(
    app, client, front_desk, clinic, clara, day
):
    """The buffer after a treatment holds the room, not the client."""
    appointment_id_from(book_with(client, clinic, clara, local(day, time(10)), 0))
    appointment_id_from(book_with(client, clinic, clara, local(day, time(11)), 1))
    response = book_with(client, clinic, clara, local(day, time(9, 15)), 1)
    assert response.status_code == 409  # 9:15-10:15 reaches into 10:00
    assert len(appointments_of(app, clara)) == 2


def test_free_times_leave_out_the_clients_own_appointments(
    app, client, front_desk, clinic, clara, day
):
    appointment_id_from(book_with(client, clinic, clara, local(day, time(10)), 0))
    other = add_client(app, "Olive Other")
    second = clinic.estheticians[1]
    mine = local_starts(free_slots(client, clara, clinic.service_id, day), second)
    theirs = local_starts(free_slots(client, other, clinic.service_id, day), second)
    # A 60-minute facial starting 9:15 to 10:45 would overlap 10:00-11:00.
    clashing = [time(9, 15), time(9, 30), time(9, 45), time(10), time(10, 30)]
    assert all(at in theirs for at in clashing)
    assert not any(at in mine for at in clashing)
    assert time(9) in mine and time(11) in mine
    # A cancelled appointment holds nothing.
    with app.app_context():
        appointment = db.session.scalar(select(Appointment))
    submit(
        client,
        f"/appointments/{appointment.id}/cancel",
        {"reason": "Client is unwell"},
        page="/dashboard",
    )
    mine = local_starts(free_slots(client, clara, clinic.service_id, day), second)
    assert all(at in mine for at in clashing)


def test_a_series_session_clashing_with_an_appointment_books_nothing(
    app, client, front_desk, clinic, clara, day
):
    book_directly(
        app, clara, clinic.service_id, clinic.estheticians[1], local(day, time(10))
    )
    fields = confirm_fields(plan(client, clara, clinic, day, at="11:00"))
    fields["sessions-0-at"] = "10:30"  # esthetician 1 is free; Clara is not
    response = confirm(client, clara, fields)
    assert response.status_code == 409
    assert rows(response)[0]["note"].startswith(CLASH + "Esthetician 2")
    assert len(appointments_of(app, clara)) == 1


def test_the_planner_proposes_around_the_clients_appointments(
    app, client, front_desk, clinic, clara, day
):
    book_directly(
        app, clara, clinic.service_id, clinic.estheticians[1], local(day, time(10))
    )
    proposal = rows(plan(client, clara, clinic, day, at="10:00"))
    assert proposal[0]["day"] == day
    assert proposal[0]["at"] != "10:00"
    assert "moved" in proposal[0]["mark"] or proposal[0]["mark"] == "table-warning"


def test_a_reschedule_onto_the_clients_other_appointment_is_refused(
    app, client, front_desk, clinic, clara, day
):
    first = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
    )
    second = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[1], local(day, time(14))
    )
    response = reschedule(client, second, day, "10:15", clinic.estheticians[1])
    assert response.status_code == 409
    assert CLASH + "Esthetician 1" in plain(response)
    stored = {a.id: a.starts_at for a in appointments_of(app, clara)}
    assert stored == {first: local(day, time(10)), second: local(day, time(14))}
    # Moving an appointment over its own time is no clash.
    response = reschedule(client, first, day, "10:15", clinic.estheticians[0])
    assert response.status_code == 302


@pytest.mark.app_config(**RACE_CONFIG)
def test_parallel_bookings_of_one_client_with_two_estheticians_let_one_through(
    app, make_user, clinic
):
    """Two estheticians, two rooms, one client: the client is what is fought
    over, so exactly one of many simultaneous requests may win."""
    threads = 20
    desk = make_user(Role.FRONT_DESK)
    browsers = [signed_in_browser(app, desk.email) for _ in range(threads)]
    tokens = [csrf_token(browser, "/dashboard") for browser in browsers]
    clara = add_client(app, "Clara Client")
    rounds = 3
    for number in range(rounds):
        start = local(today(app) + timedelta(days=7 + number), time(10))
        requests = []
        for n, (browser, token) in enumerate(zip(browsers, tokens, strict=True)):
            fields = book_form(
                clinic.service_id,
                clinic.estheticians[n % 2],
                start + timedelta(minutes=15 * (n % 3)),
                room_id=clinic.rooms[n % 2],
                device_id=clinic.devices[n % 2],
            )
            requests.append(
                lambda b=browser, f=fields, t=token: b.post(
                    f"/clients/{clara}/book", data={**f, "csrf_token": t}
                )
            )
        results = race(requests)
        statuses = [status for status, _ in results]
        assert set(statuses) <= {302, 409}, [r for r in results if r[0] != 409][:3]
        assert statuses.count(302) == 1, statuses
        for status, body in results:
            if status == 409:
                assert "already" in body or "just taken" in body, body[:300]
    booked = appointments_of(app, clara)
    assert len(booked) == rounds
    for earlier, later in pairwise(booked):
        assert earlier.starts_at.date() != later.starts_at.date()


@pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="PostgreSQL only: the exclusion constraint does not exist on SQLite, "
    "where BEGIN IMMEDIATE serialises writers instead",
)
def test_the_database_refuses_overlapping_appointments_of_one_client(
    app, clinic, clara, day
):
    first = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
    )
    second = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[1], local(day, time(12))
    )
    with app.app_context():
        with pytest.raises(IntegrityError) as refused:
            db.session.execute(
                MOVE,
                {
                    "start": local(day, time(10, 59)),
                    "end": local(day, time(11, 59)),
                    "id": second,
                },
            )
        assert CLIENT_EXCLUSION in str(refused.value)
        db.session.rollback()
        # Half-open: back to back is fine; a cancelled one never blocks.
        db.session.execute(
            MOVE,
            {"start": local(day, time(11)), "end": local(day, time(12)), "id": second},
        )
        db.session.execute(
            text("UPDATE appointment SET status = 'cancelled' WHERE id = :id"),
            {"id": first},
        )
        db.session.execute(
            MOVE,
            {"start": local(day, time(10)), "end": local(day, time(11)), "id": second},
        )
        db.session.commit()


def test_the_migration_keeps_overlaps_booked_before_it_and_marks_them(
    empty_database_uri,
):
    """A clinic whose client was double booked under the old code upgrades:
    both appointments stay, the later is marked, and new clashes are refused."""
    from flask_migrate import downgrade, upgrade

    from clinic import create_app
    from tests.conftest import base_config

    app = create_app(base_config(empty_database_uri))
    with app.app_context():
        upgrade()
        db.session.remove()
    clinic = build_clinic(app)
    clara = add_client(app, "Clara Client")
    day = next_weekday(today(app) + timedelta(days=7), 1)
    first = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
    )
    second = book_directly(
        app, clara, clinic.service_id, clinic.estheticians[1], local(day, time(14))
    )
    with app.app_context():
        # To the revision before clients were checked (and the ones after it).
        downgrade(revision="7b3e4c9a1d32")
        # What the old code allowed: the second at 10:30 with the other person.
        db.session.execute(
            MOVE,
            {
                "start": local(day, time(10, 30)),
                "end": local(day, time(11, 30)),
                "id": second,
            },
        )
        db.session.commit()
        upgrade()
        marked = dict(
            db.session.execute(
                select(Appointment.id, Appointment.legacy_client_overlap)
            ).all()
        )
        db.session.remove()
    assert marked == {first: False, second: True}

    desk_email = "desk@migrated.test"
    with app.app_context():
        from clinic.admin.services import create_user
        from tests.helpers import DEFAULT_PASSWORD

        create_user(desk_email, "Desk", Role.FRONT_DESK, DEFAULT_PASSWORD)
        db.session.commit()
    browser = signed_in_browser(app, desk_email)
    response = book_with(browser, clinic, clara, local(day, time(10, 45)), 1)
    assert response.status_code == 409
    # Moving the marked one checks it again like any other.
    response = reschedule(browser, second, day, "15:00", clinic.estheticians[1])
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(Appointment, second).legacy_client_overlap
        db.session.remove()
        db.engine.dispose()
