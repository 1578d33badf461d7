"""The sheet's "Your next sessions" lists the client's next booked appointments,
whatever series they belong to (issue 15, item 9): a visit outside a series
used to print "No further sessions are booked yet" with a series booked."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from clinic.aftercare.models import AftercarePrint
from clinic.aftercare.services import current_template
from clinic.catalogue.models import Protocol, Service
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.scheduling import series_services
from clinic.scheduling.booking import Placement
from tests.aftercare.support import (
    CLINIC_SETTINGS,
    NOW,
    TODAY,
    add_service,
    book,
    book_series,
    cancel,
    days_after,
    frozen_clock,
    long_local,
    pdf_text,
    print_sheet,
    prints,
    record_visit,
    sha256,
    visit_on,
)
from tests.scheduling.support import add_client, build_clinic, local

pytestmark = pytest.mark.app_config(**CLINIC_SETTINGS)


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


@pytest.fixture
def clinic(app):
    return build_clinic(app)


def service_name(app, service_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(Service.name).where(Service.id == service_id))


def sessions_part(text: str) -> str:
    """The sheet's text from "Your next sessions" to the personal note."""
    part = text[text.index("Your next sessions") :]
    return part.split("A note from")[0]


def sheet(client, visit_id: int) -> str:
    response = print_sheet(client, visit_id)
    assert response.status_code == 200, response.status_code
    return pdf_text(response.data)


def test_a_single_visit_lists_the_series_booked_after_it(
    app, client, clinic, front_desk
):
    client_id = add_client(app, "Siobhán O'Reilly")
    visit_id = visit_on(app, clinic, client_id)  # today 10:00, no series
    days = days_after(TODAY, 3, 13, 23, 33, 43, 53)
    book_series(app, clinic, client_id, days, at=time(11, 0))

    part = sessions_part(sheet(client, visit_id))

    assert "No further sessions are booked yet." not in part
    expected = [
        f"Session {n} of 6 {long_local(local(days[n - 1], time(11, 0)))}"
        for n in range(1, 6)
    ]
    assert " ".join(expected) in part
    assert "Session 6 of 6" not in part  # five are listed ...
    assert "1 more session is booked after these." in part  # ... and the rest counted
    assert "Sessions remaining" not in part  # the visit is in no series


def test_a_series_visit_also_lists_other_bookings_in_time_order(
    app, client, clinic, front_desk
):
    client_id = add_client(app)
    days = days_after(TODAY - timedelta(days=10), 0, 10, 20, 30, 40, 50)
    sessions = book_series(app, clinic, client_id, days, at=time(11, 15))
    record_visit(app, sessions[0])
    cancel(app, sessions[3])
    visit_id = record_visit(app, sessions[1])  # today: session 2 of 6
    lift = add_service(app)
    lift_day = TODAY + timedelta(days=12)
    book(app, clinic, client_id, day=lift_day, at=time(15, 0), service_id=lift)
    # Booked but already past: not "next".
    book(app, clinic, client_id, day=TODAY - timedelta(days=3), at=time(9, 0))

    part = sessions_part(sheet(client, visit_id))

    when = [long_local(local(day, time(11, 15))) for day in days]
    assert (
        " ".join(
            [
                f"Session 3 of 6 {when[2]}",
                f"Lymphatic lift {long_local(local(lift_day, time(15, 0)))}",
                f"Session 5 of 6 {when[4]}",
                f"Session 6 of 6 {when[5]}",
            ]
        )
        in part
    )
    assert "Session 4 of 6" not in part  # cancelled
    assert "more session" not in part
    assert "Sessions remaining: 4" in part
    facial = service_name(app, clinic.service_id)
    assert part.count(facial) == 0  # past single and own series: no service name


def test_a_series_of_another_service_is_named_by_its_service(
    app, client, clinic, front_desk
):
    client_id = add_client(app)
    visit_id = visit_on(app, clinic, client_id)
    lift = add_service(app)
    with app.app_context():
        lift_course = Protocol(
            name="Lift course",
            service_id=lift,
            sessions=2,
            min_gap_days=7,
            preferred_gap_days=7,
            max_gap_days=14,
        )
        db.session.add(lift_course)
        db.session.flush()
        series = series_services.book_series(
            db.session.get(Client, client_id),
            lift_course,
            [
                Placement(local(day, time(9, 0)), clinic.estheticians[0])
                for day in days_after(TODAY, 7, 14)
            ],
            by_user_id=clinic.estheticians[0],
        )
        assert series.id
        db.session.commit()

    part = sessions_part(sheet(client, visit_id))

    first, second = (
        long_local(local(day, time(9, 0))) for day in days_after(TODAY, 7, 14)
    )
    assert (
        f"Lymphatic lift · Session 1 of 2 {first} "
        f"Lymphatic lift · Session 2 of 2 {second}"
    ) in part


def test_with_nothing_booked_the_sheet_says_so(app, client, clinic, front_desk):
    client_id = add_client(app)
    visit_id = visit_on(app, clinic, client_id)
    other = add_client(app, "Someone Else")
    book(app, clinic, other, day=TODAY + timedelta(days=2))  # not this client's

    part = sessions_part(sheet(client, visit_id))

    assert "No further sessions are booked yet." in part
    assert "Session" not in part.replace("Your next sessions", "")


# --- reprints say what was printed ----------------------------------------------


def test_a_reprint_keeps_the_listed_sessions_and_the_count_as_printed(
    app, client, clinic, front_desk
):
    client_id = add_client(app)
    visit_id = visit_on(app, clinic, client_id)
    days = days_after(TODAY, 3, 13, 23, 33, 43, 53)
    sessions = book_series(app, clinic, client_id, days, at=time(11, 0))
    first = print_sheet(client, visit_id)
    assert "1 more session is booked after these." in pdf_text(first.data)
    [record] = prints(app)

    cancel(app, sessions[0])
    book(app, clinic, client_id, day=TODAY + timedelta(days=1), at=time(9, 0))
    again = client.get(f"/aftercare/prints/{record.id}.pdf")

    assert again.status_code == 200
    assert again.data == first.data
    assert sha256(again.data) == record.sha256
    fresh = pdf_text(print_sheet(client, visit_id).data)
    assert "Session 1 of 6" not in sessions_part(fresh)
    assert "1 more session is booked after these." in fresh


# What a print stored by the version before next sessions were counted holds
# (no "more_sessions"), and the SHA-256 of the PDF that version served for it.
OLDER_PRINT = {
    "client_name": "Siobhán O'Reilly",
    "clinic": {
        "address": "12 Harbour Street, Brighton BN1 2AB",
        "name": "Lumen Microcurrent Studio",
        "phone": "01273 555 019",
    },
    "contact_if": "anything worries you.",
    "draft": False,
    "esthetician": "Esthetician 1",
    "general_notes": "Microcurrent has no downtime.",
    "instructions": [
        {"text": "Avoid exfoliants and retinol", "until": "Monday 29 March, 11:00"},
        {"text": "Drink water", "until": None},
    ],
    "next_sessions": [{"label": "Session 3 of 6", "when": "Monday 5 April, 11:15"}],
    "personal_note": "See you soon.",
    "service": "Microcurrent facial",
    "sessions_remaining": 4,
    "title": "After your microcurrent facial",
    "treated_zones": ["Forehead", "Cheek (left)"],
    "untreated_zones": ["Neck"],
    "visit_date": "Friday 26 March 2027",
}
OLDER_PRINT_SHA256 = "3dd3f9c3bb8feed59bb15a98d3ed6e2fd9f8ec1ed98bf24e017c88e618459f39"


def test_a_print_stored_before_the_change_reprints_byte_identical(
    app, client, clinic, front_desk
):
    client_id = add_client(app, "Siobhán O'Reilly")
    visit_id = visit_on(app, clinic, client_id)
    book_series(app, clinic, client_id, days_after(TODAY, 3, 13, 23, 33, 43, 53))
    with app.app_context():
        record = AftercarePrint(
            visit_id=visit_id,
            client_id=client_id,
            template=current_template(clinic.service_id),
            printed_at=NOW,
            printed_by_id=front_desk.id,
            page_size="A4",
            content_json=json.dumps(OLDER_PRINT, ensure_ascii=False, sort_keys=True),
            sha256=OLDER_PRINT_SHA256,
        )
        db.session.add(record)
        db.session.commit()
        print_id = record.id

    again = client.get(f"/aftercare/prints/{print_id}.pdf")

    assert again.status_code == 200
    assert sha256(again.data) == OLDER_PRINT_SHA256
    assert "more session" not in pdf_text(again.data)
