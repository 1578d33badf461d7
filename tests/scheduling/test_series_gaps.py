"""Every path that places a series session keeps the protocol's gaps and the
sessions' order, or books outside them only with a reason (issue 15, item 2).

Confirming six sessions on consecutive days of the "6 sessions, about 10 days
apart" protocol (gaps 8-12 days) booked them; "Check again" accepted session
6 moved after session 7; a reschedule that swapped two sessions' order passed
because the days were sorted first.
"""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.audit import AuditEvent
from clinic.extensions import db
from clinic.scheduling.models import AppointmentEvent
from tests.scheduling.support import (
    TZ,
    add_client,
    appointments_of,
    build_clinic,
    field_error,
    forms_of,
    next_weekday,
    plain,
    post_booking,
    today,
)
from tests.scheduling.test_lifecycle import (
    TUE,
    appointment,
    book_series,
    cancel,
    history,
    reschedule,
)
from tests.scheduling.test_series import (
    confirm,
    confirm_fields,
    plan,
    rows,
    series_count,
    series_id_from,
)

TEN_DAYS_APART = 2  # index of "6 sessions, about 10 days apart" (8-12 days)


@pytest.fixture
def clinic(app):
    return build_clinic(app)


@pytest.fixture
def clara(app):
    return add_client(app, "Clara Client")


@pytest.fixture
def first_day(app):
    return next_weekday(today(app) + timedelta(days=7), TUE)


def consecutive_days(fields: dict, first_day, sessions: int) -> dict:
    return fields | {
        f"sessions-{n}-day": (first_day + timedelta(days=n)).isoformat()
        for n in range(sessions)
    }


def event_details(app, kind: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AppointmentEvent.details)
                .where(AppointmentEvent.kind == kind)
                .order_by(AppointmentEvent.id)
            )
        )


def test_consecutive_days_of_a_ten_day_protocol_are_refused_without_a_reason(
    app, client, front_desk, clinic, clara, first_day
):
    proposal = plan(
        client,
        clara,
        clinic,
        first_day,
        protocol=clinic.protocol_ids[TEN_DAYS_APART],
        weekdays=[str(d) for d in range(7)],
    )
    fields = consecutive_days(confirm_fields(proposal), first_day, 6)

    checked = confirm(client, clara, fields, button="recheck")
    assert checked.status_code == 409
    notes = [r["note"] for r in rows(checked)]
    assert notes[0] == ""
    assert notes[1:] == [
        f"Session {n} is 1 day after session {n - 1}; the protocol allows 8-12 days."
        for n in range(2, 7)
    ]

    refused = confirm(client, clara, fields)
    assert refused.status_code == 422
    assert "Give a reason to book outside the protocol's gaps." in field_error(
        refused, "gap_reason"
    )
    assert series_count(app) == 0 and appointments_of(app) == []

    booked = confirm(
        client, clara, fields | {"gap_reason": "Client leaves the country in a week"}
    )
    series_id_from(booked)
    sessions = appointments_of(app, clara)
    assert [a.starts_at.astimezone(TZ).date() for a in sessions] == [
        first_day + timedelta(days=n) for n in range(6)
    ]
    assert (
        event_details(app, "booked")
        == ["outside the protocol's gaps: Client leaves the country in a week"] * 6
    )
    with app.app_context():
        details = db.session.scalar(
            select(AuditEvent.details).where(AuditEvent.action == "series.booked")
        )
    # The reason is free text (it may hold health details): history, not audit.
    assert details == "6 sessions; outside the protocol's gaps"


def test_check_again_flags_a_session_moved_after_the_next_one(
    app, client, front_desk, clinic, clara, first_day
):
    proposal = plan(client, clara, clinic, first_day)
    fields = confirm_fields(proposal)
    shown = rows(proposal)
    # Session 6 two days after session 7: both days still 2-5 days from
    # session 5 and 8 once sorted, which is what let it through.
    fields["sessions-5-day"] = (shown[6]["day"] + timedelta(days=1)).isoformat()
    checked = confirm(client, clara, fields, button="recheck")
    assert checked.status_code == 409
    notes = {n + 1: r["note"] for n, r in enumerate(rows(checked)) if r["note"]}
    assert notes[7].startswith("Session 7 is 1 day before session 6;")
    refused = confirm(client, clara, fields)
    assert refused.status_code == 422
    assert series_count(app) == 0


def test_a_reschedule_that_swaps_two_sessions_needs_a_reason(
    app, client, front_desk, clinic, clara, first_day
):
    ids = book_series(app, clara, clinic, first_day)
    sixth, seventh = appointment(app, ids[5]), appointment(app, ids[6])
    after_seventh = seventh.starts_at.astimezone(TZ).date() + timedelta(days=1)
    refused = reschedule(client, ids[5], after_seventh, "10:00", clinic.estheticians[0])
    assert refused.status_code == 422
    message = field_error(refused, "reason")
    assert "Session 7 is 1 day before session 6" in message
    assert "Give a reason to move it anyway." in message
    assert appointment(app, ids[5]).starts_at == sixth.starts_at

    moved = reschedule(
        client,
        ids[5],
        after_seventh,
        "10:00",
        clinic.estheticians[0],
        reason="Client asked",
    )
    assert moved.status_code == 302


def test_rebooking_a_cancelled_session_outside_the_gaps_asks_for_a_reason(
    app, client, front_desk, clinic, clara, first_day
):
    ids = book_series(app, clara, clinic, first_day)
    assert cancel(client, ids[3]).status_code == 302
    third = appointment(app, ids[2]).starts_at.astimezone(TZ).date()
    series_id = appointment(app, ids[3]).series_id
    fields = {
        "service_id": str(clinic.service_id),
        "esthetician_id": str(clinic.estheticians[0]),
        "room_id": "",
        "device_id": "",
        "start": (
            appointment(app, ids[2]).starts_at + timedelta(days=1, hours=2)
        ).isoformat(),
        "series_id": str(series_id),
        "session_number": "4",
    }
    refused = post_booking(client, clara, fields)
    assert refused.status_code == 422
    assert "Session 4 is 1 day after session 3; the protocol allows 2-5 days." in (
        field_error(refused, "reason")
    )
    # The page offers the same time again, with a reason field.
    [retry] = [f for f in forms_of(refused) if "reason" in f["fields"]]
    assert retry["fields"]["start"] == fields["start"]
    assert retry["fields"]["session_number"] == "4"
    assert len(appointments_of(app, clara)) == 10  # the cancelled one and 9

    booked = post_booking(client, clara, retry["fields"] | {"reason": "Holiday"})
    assert booked.status_code == 302
    new = appointments_of(app, clara)
    assert len(new) == 11
    rebooked = [a for a in new if a.session_number == 4 and a.status == "booked"]
    assert rebooked[0].starts_at.astimezone(TZ).date() == third + timedelta(days=1)
    entries = [
        html.unescape(e) for e in history(client.get(booked.headers["Location"]))
    ]
    assert any("outside the protocol's gaps: Holiday" in e for e in entries), entries
    assert "Rebooked" in plain(client.get(booked.headers["Location"]))


def test_a_gap_reason_never_excuses_a_real_conflict(
    app, client, front_desk, clinic, clara, first_day
):
    """A reason settles the gaps only: a session in the past still refuses."""
    fields = confirm_fields(plan(client, clara, clinic, first_day))
    fields["sessions-0-day"] = (today(app) - timedelta(days=1)).isoformat()
    refused = confirm(client, clara, fields | {"gap_reason": "Because"})
    assert refused.status_code == 409
    assert rows(refused)[0]["note"].startswith("That time is in the past.")
    assert series_count(app) == 0


def test_an_over_long_reason_is_refused_next_to_the_field(
    app, client, front_desk, clinic, clara, first_day
):
    fields = confirm_fields(plan(client, clara, clinic, first_day))
    refused = confirm(client, clara, fields | {"gap_reason": "x" * 301})
    assert refused.status_code == 422
    assert field_error(refused, "gap_reason")
    assert series_count(app) == 0


def test_moving_the_rest_proposes_their_own_times_when_still_free(
    app, client, front_desk, clinic, clara, first_day
):
    """The sessions being moved do not stand in their own way: asked to start
    on session 1's own day, the proposal keeps its day, time and esthetician."""
    ids = book_series(app, clara, clinic, first_day)
    series_id = appointment(app, ids[0]).series_id
    page = client.get(f"/series/{series_id}/move?from={first_day.isoformat()}")
    assert page.status_code == 200
    [form] = [f for f in forms_of(page) if "reason" in f["fields"]]
    fields = form["fields"]
    assert fields["sessions-0-day"] == first_day.isoformat()
    assert fields["sessions-0-at"] == "10:00"
    assert fields["sessions-0-esthetician"] == str(clinic.estheticians[0])
