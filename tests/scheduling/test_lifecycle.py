"""An appointment's life through the pages: reschedule, cancel, check in,
complete, no-show, re-book a series session; its history and audit rows.

Eligibility (DESIGN.md guarantee 2) is checked on the reschedule and re-book
paths here too: a client whose screening changed after booking is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from clinic.audit import AuditEvent
from clinic.catalogue.models import Protocol, Service
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import series_services
from clinic.scheduling.booking import Placement
from clinic.scheduling.models import Allocation, Appointment, ResourceKind, Series
from tests.helpers import submit
from tests.scheduling.support import (
    NEEDS_CLEARANCE,
    NOT_ELIGIBLE,
    REFUSAL_REASONS,
    TZ,
    add_client,
    appointment_id_from,
    appointments_of,
    book_directly,
    book_form,
    build_clinic,
    deferred_answers,
    field_error,
    forms_of,
    free_slots,
    local,
    local_starts,
    next_weekday,
    overlaps,
    plain,
    post_booking,
    sign_new_intake,
    signed_in_browser,
    slots_on,
    today,
)

TUE, WED, THU, FRI = 1, 2, 3, 4


@pytest.fixture
def clinic(app):
    return build_clinic(app)


@pytest.fixture
def day(app):
    return today(app) + timedelta(days=7)


@pytest.fixture
def clara(app):
    return add_client(app, "Clara Client")


def series_days(first_tuesday: date, sessions: int = 10) -> list[date]:
    """Tuesdays and Fridays from ``first_tuesday``: gaps of 3 and 4 days."""
    days, current = [], first_tuesday
    while len(days) < sessions:
        days.append(current)
        current += timedelta(days=3 if current.weekday() == TUE else 4)
    return days


def book_series(app, client_id, clinic, first_tuesday, at=time(10)) -> list[int]:
    """Arrange the 10-session twice-weekly series; ids of sessions 1..10."""
    with app.app_context():
        protocol = db.session.get(Protocol, clinic.protocol_ids[0])
        assert protocol.sessions == 10
        series = series_services.book_series(
            db.session.get(Client, client_id),
            protocol,
            [
                Placement(local(d, at), clinic.estheticians[0])
                for d in series_days(first_tuesday)
            ],
            by_user_id=None,
        )
        db.session.commit()
        return [
            a.id for a in sorted(series.appointments, key=lambda a: a.session_number)
        ]


def appointment(app, appointment_id: int):
    return next(a for a in appointments_of(app) if a.id == appointment_id)


def reschedule(browser, appointment_id, on: date, at: str, esthetician, reason=""):
    return submit(
        browser,
        f"/appointments/{appointment_id}/reschedule",
        {
            "day": on.isoformat(),
            "at": at,
            "esthetician": str(esthetician),
            "reason": reason,
        },
        page=f"/appointments/{appointment_id}",
    )


def cancel(browser, appointment_id, reason="Client is unwell"):
    return submit(
        browser,
        f"/appointments/{appointment_id}/cancel",
        {"reason": reason},
        page="/dashboard",
    )


def action(browser, appointment_id, name):
    return submit(browser, f"/appointments/{appointment_id}/{name}", page="/dashboard")


def history(response) -> list[str]:
    """The entries of the History list on the appointment page."""
    body = response.get_data(as_text=True)
    section = body.split('id="history-heading"', 1)[1]
    items = re.findall(r"<li>(.*?)</li>", section, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def audit_rows(app, action_name: str) -> list[tuple[int | None, str | None]]:
    with app.app_context():
        return [
            (client_id, entity_id)
            for client_id, entity_id in db.session.execute(
                select(AuditEvent.client_id, AuditEvent.entity_id)
                .where(AuditEvent.action == action_name)
                .order_by(AuditEvent.seq)
            )
        ]


def noon_utc(on: date) -> datetime:
    return datetime(on.year, on.month, on.day, 12, tzinfo=UTC)


class TestReschedule:
    def test_within_the_gaps_without_a_reason(
        self, app, client, front_desk, clinic, clara, day
    ):
        first = next_weekday(day, TUE)
        ids = book_series(app, clara, clinic, first)
        fourth = appointment(app, ids[3])
        thursday = fourth.starts_at.astimezone(TZ).date() - timedelta(days=1)
        assert thursday.weekday() == THU  # 2 days after session 3, 5 before 5

        response = reschedule(client, ids[3], thursday, "11:00", clinic.estheticians[1])
        assert response.headers["Location"] == f"/appointments/{ids[3]}"
        moved = appointment(app, ids[3])
        assert moved.starts_at == local(thursday, time(11))
        assert moved.esthetician_id == clinic.estheticians[1]
        assert moved.status == "booked"
        assert ("esthetician", clinic.estheticians[1]) in moved.active_allocations
        assert ("esthetician", clinic.estheticians[0]) not in moved.active_allocations
        assert overlaps(app) == []

        page = client.get(response.headers["Location"])
        assert "The appointment was moved." in plain(page)
        entries = history(page)
        assert [e.split(" · ")[1].split(" by ")[0] for e in entries] == [
            "Booked",
            "Rescheduled",
        ]
        assert "from " in entries[1]
        assert "reason" not in entries[1]
        assert (clara, str(ids[3])) in audit_rows(app, "appointment.rescheduled")

    def test_breaking_the_gaps_needs_a_reason(
        self, app, client, front_desk, clinic, clara, day
    ):
        first = next_weekday(day, TUE)
        ids = book_series(app, clara, clinic, first)
        original = appointment(app, ids[3])
        wednesday = original.starts_at.astimezone(TZ).date() - timedelta(days=2)
        assert wednesday.weekday() == WED

        refused = reschedule(client, ids[3], wednesday, "10:00", clinic.estheticians[0])
        assert refused.status_code == 422
        message = field_error(refused, "reason")
        assert "Session 4 is 1 day after session 3; the protocol allows 2-5 days." in (
            message
        )
        assert "Give a reason to move it anyway." in message
        assert appointment(app, ids[3]).starts_at == original.starts_at
        assert audit_rows(app, "appointment.rescheduled") == []

        accepted = reschedule(
            client,
            ids[3],
            wednesday,
            "10:00",
            clinic.estheticians[0],
            reason="Client travelling on Friday",
        )
        assert accepted.status_code == 302
        assert appointment(app, ids[3]).starts_at == local(wednesday, time(10))
        entries = history(client.get(f"/appointments/{ids[3]}"))
        assert entries[-1].endswith("; reason: Client travelling on Friday")
        assert "Rescheduled by Front desk" in entries[-1]

    def test_a_single_appointment_moves_by_a_quarter_hour_over_itself(
        self, app, client, front_desk, clinic, clara, day
    ):
        """The move overlaps its own old time: the old hold is released first."""
        appointment_id = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        response = reschedule(
            client, appointment_id, day, "10:15", clinic.estheticians[0]
        )
        assert response.status_code == 302
        assert appointment(app, appointment_id).starts_at == local(day, time(10, 15))
        starts = local_starts(
            free_slots(client, clara, clinic.service_id, day),
            clinic.estheticians[0],
        )
        assert time(9) in starts  # 09:00-10:15 ends as the moved one starts
        assert time(9, 15) not in starts
        assert overlaps(app) == []

    def test_onto_a_taken_time_is_a_409_and_nothing_moves(
        self, app, client, front_desk, clinic, clara, day
    ):
        mine = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        other = add_client(app, "Olive Other")
        book_directly(
            app, other, clinic.service_id, clinic.estheticians[0], local(day, time(14))
        )
        response = reschedule(client, mine, day, "14:30", clinic.estheticians[0])
        assert response.status_code == 409
        assert "Esthetician 1 is already booked at that time." in field_error(
            response, "at"
        )
        assert appointment(app, mine).starts_at == local(day, time(10))
        assert appointment(app, mine).active_allocations  # still held

    @pytest.mark.parametrize(
        ("when", "message"),
        [
            ("past", "That time is in the past."),
            ("07:30", "Esthetician 1 is not working for all of that time."),
            ("17:00", "Esthetician 1 is not working for all of that time."),
        ],
    )
    def test_bad_times_are_refused_next_to_the_time(
        self, app, client, front_desk, clinic, clara, day, when, message
    ):
        mine = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        on, at = (
            (today(app) - timedelta(days=1), "10:00")
            if when == "past"
            else (
                day,
                when,
            )
        )
        response = reschedule(client, mine, on, at, clinic.estheticians[0])
        assert response.status_code == 422
        assert field_error(response, "at") == message
        assert appointment(app, mine).starts_at == local(day, time(10))

    def test_a_malformed_form_is_a_422(
        self, app, client, front_desk, clinic, clara, day
    ):
        mine = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        response = submit(
            client,
            f"/appointments/{mine}/reschedule",
            {"day": "soon", "at": "", "esthetician": "nobody"},
            page="/dashboard",
        )
        assert response.status_code == 422
        assert field_error(response, "day")
        assert appointment(app, mine).starts_at == local(day, time(10))


class TestCancel:
    def test_a_reason_is_required(self, app, client, front_desk, clinic, clara, day):
        mine = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        response = cancel(client, mine, reason="   ")
        assert response.status_code == 422
        assert "Give the reason." in plain(response)
        assert appointment(app, mine).status == "booked"

    def test_cancelling_releases_the_slot(
        self, app, client, front_desk, clinic, clara, day
    ):
        mine = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        taken = local_starts(
            free_slots(client, clara, clinic.service_id, day), clinic.estheticians[0]
        )
        assert time(10) not in taken

        response = cancel(client, mine, reason="Client is unwell")
        assert response.headers["Location"] == f"/appointments/{mine}"
        stored = appointment(app, mine)
        assert (stored.status, stored.cancel_reason) == (
            "cancelled",
            "Client is unwell",
        )
        assert stored.late_cancel is False  # a week ahead
        assert stored.active_allocations == []

        page = client.get(f"/appointments/{mine}")
        text = plain(page)
        assert "The appointment was cancelled." in text
        assert "(late cancellation)" not in text
        assert "Status Cancelled · Client is unwell" in text
        assert history(page)[-1].endswith("· Client is unwell")
        assert (clara, str(mine)) in audit_rows(app, "appointment.cancelled")

        # The time is free again, and bookable.
        free = local_starts(
            free_slots(client, clara, clinic.service_id, day), clinic.estheticians[0]
        )
        assert time(10) in free
        other = add_client(app, "Olive Other")
        fields = book_form(
            clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        appointment_id_from(post_booking(client, other, fields))
        assert overlaps(app) == []

    def test_late_cancellation_inside_24_hours(self, app, make_user):
        now = datetime(2030, 3, 5, 12, 0, tzinfo=UTC)  # London is on UTC in March
        with time_machine.travel(now, tick=True):
            clinic = build_clinic(app)
            clara = add_client(app)
            desk = make_user(Role.FRONT_DESK)
            browser = signed_in_browser(app, desk.email)
            tomorrow = date(2030, 3, 6)
            soon = book_directly(  # 22 hours ahead
                app,
                clara,
                clinic.service_id,
                clinic.estheticians[0],
                local(tomorrow, time(10)),
            )
            later = book_directly(  # 25 hours ahead
                app,
                clara,
                clinic.service_id,
                clinic.estheticians[0],
                local(tomorrow, time(13)),
            )
            late = cancel(browser, soon)
            assert late.status_code == 302
            page = browser.get(late.headers["Location"])
            assert "The appointment was cancelled (late cancellation)." in plain(page)
            assert "late cancellation" in plain(page).split("Status", 1)[1]
            in_time = cancel(browser, later)
            assert in_time.status_code == 302
            assert "(late cancellation)" not in plain(
                browser.get(f"/appointments/{later}")
            )
        assert appointment(app, soon).late_cancel is True
        assert appointment(app, later).late_cancel is False

    @pytest.mark.app_config(LATE_CANCEL_HOURS=48)
    def test_the_late_window_is_a_setting(self, app, make_user):
        now = datetime(2030, 3, 5, 12, 0, tzinfo=UTC)
        with time_machine.travel(now, tick=True):
            clinic = build_clinic(app)
            clara = add_client(app)
            desk = make_user(Role.FRONT_DESK)
            browser = signed_in_browser(app, desk.email)
            mine = book_directly(  # 46 hours ahead
                app,
                clara,
                clinic.service_id,
                clinic.estheticians[0],
                local(date(2030, 3, 7), time(10)),
            )
            assert cancel(browser, mine).status_code == 302
        assert appointment(app, mine).late_cancel is True


# Tuesday 5 March 2030, 09:50 in London: check-in is open for today's 10:00.
CLINIC_MORNING = datetime(2030, 3, 5, 9, 50, tzinfo=UTC)


class TestStatusChanges:
    """At a fixed morning (sign-in included): check-in is for today only."""

    @pytest.fixture(autouse=True)
    def morning(self):
        with time_machine.travel(CLINIC_MORNING, tick=True):
            yield

    @pytest.fixture
    def day(self, app):
        return today(app)

    def test_check_in_then_complete(self, app, client, front_desk, clinic, clara, day):
        mine = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        response = action(client, mine, "check-in")
        assert response.headers["Location"] == f"/appointments/{mine}"
        assert appointment(app, mine).status == "checked_in"
        response = action(client, mine, "complete")
        assert response.status_code == 302
        stored = appointment(app, mine)
        assert stored.status == "completed"
        assert len(stored.active_allocations) == 3  # a completed visit keeps its time
        entries = history(client.get(f"/appointments/{mine}"))
        assert [e.split(" · ")[1].split(" by ")[0] for e in entries] == [
            "Booked",
            "Checked in",
            "Completed",
        ]

    def test_no_show_only_after_the_start_time(
        self, app, client, front_desk, clinic, clara, day
    ):
        future = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        response = action(client, future, "no-show")
        assert response.status_code == 409
        assert "A no-show can only be recorded after the start time." in plain(response)
        assert appointment(app, future).status == "booked"

        yesterday = today(app) - timedelta(days=1)
        past = book_directly(
            app,
            clara,
            clinic.service_id,
            clinic.estheticians[0],
            local(yesterday, time(10)),
            now=local(yesterday, time(8)),
        )
        response = action(client, past, "no-show")
        assert response.status_code == 302
        stored = appointment(app, past)
        assert stored.status == "no_show"
        assert stored.active_allocations == []
        assert (
            history(client.get(f"/appointments/{past}"))[-1]
            .split(" · ")[1]
            .startswith("No show")
        )

    @pytest.mark.parametrize(
        ("steps", "attempt", "status", "message"),
        [
            ([], "complete", 409, "A booked appointment cannot be completed."),
            (
                ["check-in", "complete"],
                "cancel",
                409,
                "A completed appointment cannot be cancelled.",
            ),
            (
                ["cancel"],
                "check-in",
                409,
                "A cancelled appointment cannot be checked in.",
            ),
            (["cancel"], "cancel", 409, "A cancelled appointment cannot be cancelled."),
            (
                ["check-in"],
                "check-in",
                409,
                "A checked in appointment cannot be checked in.",
            ),
            (
                ["check-in", "complete"],
                "no-show",
                409,
                "A completed appointment cannot be marked as a no-show.",
            ),
            (["cancel"], "reschedule", 409, "A cancelled appointment cannot be moved."),
            (
                ["check-in"],
                "reschedule",
                409,
                "A checked in appointment cannot be moved.",
            ),
        ],
    )
    def test_transitions_that_make_no_sense_are_refused(
        self,
        app,
        client,
        front_desk,
        clinic,
        clara,
        day,
        steps,
        attempt,
        status,
        message,
    ):
        mine = book_directly(
            app, clara, clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        for step in steps:
            done = (
                cancel(client, mine) if step == "cancel" else action(client, mine, step)
            )
            assert done.status_code == 302, step
        before = appointment(app, mine)

        if attempt == "cancel":
            response = cancel(client, mine, reason="Again")
        elif attempt == "reschedule":
            response = reschedule(
                client, mine, day, "15:00", clinic.estheticians[0], reason="x"
            )
        else:
            response = action(client, mine, attempt)
        assert response.status_code == status
        assert message in plain(response)
        after = appointment(app, mine)
        assert (after.status, after.starts_at, after.cancel_reason) == (
            before.status,
            before.starts_at,
            before.cancel_reason,
        )


class TestRebook:
    def test_a_cancelled_session_is_rebooked_into_its_series(
        self, app, client, front_desk, clinic, clara, day
    ):
        first = next_weekday(day, TUE)
        ids = book_series(app, clara, clinic, first)
        with app.app_context():
            series_id = db.session.get(Appointment, ids[0]).series_id
        assert cancel(client, ids[2], reason="Client away").status_code == 302

        page = client.get(f"/series/{series_id}")
        text = plain(page)
        assert "0 of 10 done , 9 booked ahead, 10 remaining." in text
        assert "Sessions to re-book: 3." in text
        link = re.search(
            r'href="([^"]*)">Find a time for session 3<', page.get_data(as_text=True)
        )
        assert link
        url = link.group(1).replace("&amp;", "&")
        assert f"series={series_id}" in url
        assert "session=3" in url

        # Session 3 was on a Tuesday; look on the Wednesday after it instead.
        wanted = series_days(first)[2] + timedelta(days=1)
        url = re.sub(r"day=[0-9-]+", f"day={wanted.isoformat()}", url)
        booking_page = client.get(url)
        assert booking_page.status_code == 200
        assert "Re-book session 3 for Clara Client" in plain(booking_page)
        slots = slots_on(booking_page)
        assert slots
        slot = next(s for s in slots if s.start == local(wanted, time(10)))
        fields = book_form(
            clinic.service_id,
            slot.esthetician_id,
            slot.start,
            room_id=slot.room_id,
            device_id=slot.device_id,
            series_id=series_id,
            session_number=3,
        )
        # The buttons of the page carry the series and the session number.
        posted = [f for f in forms_of(booking_page) if "start" in f["fields"]]
        assert all(
            (f["fields"].get("series_id"), f["fields"].get("session_number"))
            == (str(series_id), "3")
            for f in posted
        )
        new_id = appointment_id_from(post_booking(client, clara, fields))

        rebooked = appointment(app, new_id)
        assert (rebooked.series_id, rebooked.session_number) == (series_id, 3)
        assert rebooked.starts_at == local(wanted, time(10))
        series_page = plain(client.get(f"/series/{series_id}"))
        assert "0 of 10 done , 10 booked ahead, 10 remaining." in series_page
        assert "Sessions to re-book" not in series_page
        entries = history(client.get(f"/appointments/{new_id}"))
        assert [e.split(" · ")[1].split(" by ")[0] for e in entries] == [
            "Booked",
            "Rebooked",
        ]
        assert "Session 3 of 10" in plain(client.get(f"/appointments/{new_id}"))
        with app.app_context():
            progress = series_services.progress(db.session.get(Series, series_id))
        assert (progress.upcoming, progress.to_rebook) == (10, [])

    def test_an_already_booked_session_number_is_refused(
        self, app, client, front_desk, clinic, clara, day
    ):
        first = next_weekday(day, TUE)
        ids = book_series(app, clara, clinic, first)
        with app.app_context():
            series_id = db.session.get(Appointment, ids[0]).series_id
        wanted = series_days(first)[2] + timedelta(days=1)
        fields = book_form(
            clinic.service_id,
            clinic.estheticians[1],
            local(wanted, time(14)),
            series_id=series_id,
            session_number=4,
        )
        response = post_booking(client, clara, fields)
        assert response.status_code == 422
        assert "Session 4 is already booked or done." in plain(response)
        assert len(appointments_of(app, clara)) == 10

        # Once session 3 is re-booked, booking it a second time is refused too.
        assert cancel(client, ids[2]).status_code == 302
        fields["session_number"] = "3"
        appointment_id_from(post_booking(client, clara, fields))
        fields["start"] = local(wanted, time(16)).isoformat()
        again = post_booking(client, clara, fields)
        assert again.status_code == 422
        assert "Session 3 is already booked or done." in plain(again)
        active = [a for a in appointments_of(app, clara) if a.status == "booked"]
        assert sorted(a.session_number for a in active) == list(range(1, 11))

    def test_a_series_of_another_client_is_not_found(
        self, app, client, front_desk, clinic, clara, day
    ):
        first = next_weekday(day, TUE)
        ids = book_series(app, clara, clinic, first)
        with app.app_context():
            series_id = db.session.get(Appointment, ids[0]).series_id
        other = add_client(app, "Olive Other")
        fields = book_form(
            clinic.service_id,
            clinic.estheticians[1],
            local(day, time(14)),
            series_id=series_id,
            session_number=3,
        )
        assert post_booking(client, other, fields).status_code == 404
        assert appointments_of(app, other) == []


# --- eligibility on the reschedule and re-book paths ------------------------


def insert_appointment(app, client_id, clinic, start, series_id=None, number=None):
    """An appointment stored without the booking service (imported records).

    The only way to hold a booking for a client with no intake at all, to
    prove that moving or re-booking it is still refused.
    """
    with app.app_context():
        service = db.session.get(Service, clinic.service_id)
        end = start + timedelta(minutes=service.duration_minutes)
        held = end + timedelta(minutes=service.buffer_minutes)
        booked = Appointment(
            client_id=client_id,
            service_id=service.id,
            esthetician_id=clinic.estheticians[0],
            room_id=clinic.rooms[0],
            device_id=clinic.devices[0],
            starts_at=start,
            ends_at=end,
            blocked_until=held,
            series_id=series_id,
            session_number=number,
        )
        for kind, resource_id in [
            (ResourceKind.ESTHETICIAN, clinic.estheticians[0]),
            (ResourceKind.ROOM, clinic.rooms[0]),
            (ResourceKind.DEVICE, clinic.devices[0]),
        ]:
            booked.allocations.append(
                Allocation(
                    resource_kind=kind,
                    resource_id=resource_id,
                    starts_at=start,
                    ends_at=held,
                )
            )
        db.session.add(booked)
        db.session.commit()
        return booked.id


def insert_series(app, client_id, clinic) -> int:
    """A series row with no sessions booked yet (imported records)."""
    with app.app_context():
        protocol = db.session.get(Protocol, clinic.protocol_ids[0])
        series = Series(
            client_id=client_id,
            protocol_id=protocol.id,
            service_id=protocol.service_id,
            sessions_total=protocol.sessions,
            min_gap_days=protocol.min_gap_days,
            preferred_gap_days=protocol.preferred_gap_days,
            max_gap_days=protocol.max_gap_days,
        )
        db.session.add(series)
        db.session.commit()
        return series.id


def client_becoming(app, case: str, day: date) -> tuple[int, date]:
    """A client who may be booked on ``day`` but is refused on the day returned.

    The client is clear when the booking is arranged; afterwards a new intake
    (or its expiry) makes the returned day ineligible. "no-intake" returns a
    client without any intake (its booking is inserted directly).
    """
    if case == "no-intake":
        return add_client(app, "Nora Nointake", intake=False), day + timedelta(days=1)
    if case == "intake-expired":
        # Signed so that the intake expires 45 days from now: a series booked
        # a week ahead still fits in, a day 50 days ahead does not.
        signed = today(app) - relativedelta(months=12) + timedelta(days=45)
        client_id = add_client(app, "Ivy Ineligible", signed_at=noon_utc(signed))
        return client_id, today(app) + timedelta(days=50)
    client_id = add_client(app, "Ivy Ineligible")
    return client_id, day + timedelta(days=1)


def make_ineligible(app, case: str, client_id: int) -> None:
    if case == "not-eligible":
        sign_new_intake(app, client_id, NOT_ELIGIBLE)
    elif case == "needs-clearance":
        sign_new_intake(app, client_id, NEEDS_CLEARANCE)


@pytest.mark.parametrize("case", sorted(REFUSAL_REASONS))
def test_reschedule_refuses_an_ineligible_client(
    app, client, front_desk, clinic, day, case
):
    client_id, refused_day = client_becoming(app, case, day)
    if case == "no-intake":
        mine = insert_appointment(app, client_id, clinic, local(day, time(10)))
    else:
        mine = book_directly(
            app,
            client_id,
            clinic.service_id,
            clinic.estheticians[0],
            local(day, time(10)),
        )
    make_ineligible(app, case, client_id)

    response = reschedule(client, mine, refused_day, "11:00", clinic.estheticians[0])
    assert response.status_code == 422
    # The day's free times give way to the reason: nothing to choose.
    assert f"Cannot move it to that day. {REFUSAL_REASONS[case]}" in plain(response)
    assert 'name="at"' not in response.get_data(as_text=True)
    assert appointment(app, mine).starts_at == local(day, time(10))
    assert audit_rows(app, "appointment.rescheduled") == []


def test_reschedule_of_a_deferred_client_before_d_and_on_d(
    app, client, front_desk, clinic, day
):
    client_id = add_client(app, "Dora Deferred")
    mine = book_directly(
        app, client_id, clinic.service_id, clinic.estheticians[0], local(day, time(10))
    )
    event = today(app) - timedelta(days=1)
    until = event + timedelta(days=14)
    sign_new_intake(app, client_id, deferred_answers(event))
    label = f"{until.day} {until:%B %Y}"

    before = reschedule(
        client, mine, until - timedelta(days=1), "10:00", clinic.estheticians[0]
    )
    assert before.status_code == 422
    assert (
        f"Cannot move it to that day. Not before {label}: the client is deferred "
        f"until {label}." in plain(before)
    )
    assert appointment(app, mine).starts_at == local(day, time(10))

    on_the_day = reschedule(client, mine, until, "10:00", clinic.estheticians[0])
    assert on_the_day.status_code == 302
    assert appointment(app, mine).starts_at == local(until, time(10))


@pytest.mark.parametrize("case", sorted(REFUSAL_REASONS))
def test_rebook_refuses_an_ineligible_client(
    app, client, front_desk, clinic, day, case
):
    client_id, refused_day = client_becoming(app, case, day)
    if case == "no-intake":
        series_id = insert_series(app, client_id, clinic)
        number = 1
    else:
        first = next_weekday(day, TUE)
        ids = book_series(app, client_id, clinic, first)
        with app.app_context():
            series_id = db.session.get(Appointment, ids[0]).series_id
        assert cancel(client, ids[0]).status_code == 302
        number = 1
        refused_day = max(refused_day, first)
    make_ineligible(app, case, client_id)
    before = appointments_of(app, client_id)

    fields = book_form(
        clinic.service_id,
        clinic.estheticians[1],
        local(refused_day, time(15)),
        series_id=series_id,
        session_number=number,
    )
    response = post_booking(client, client_id, fields)
    assert response.status_code == 422
    assert REFUSAL_REASONS[case] in plain(response)
    assert appointments_of(app, client_id) == before


def test_rebook_of_a_deferred_client_before_d_and_on_d(
    app, client, front_desk, clinic, day
):
    client_id = add_client(app, "Dora Deferred")
    first = next_weekday(day, TUE)
    ids = book_series(app, client_id, clinic, first)
    with app.app_context():
        series_id = db.session.get(Appointment, ids[0]).series_id
    assert cancel(client, ids[1]).status_code == 302
    event = today(app) - timedelta(days=1)
    until = event + timedelta(days=14)
    sign_new_intake(app, client_id, deferred_answers(event))
    label = f"{until.day} {until:%B %Y}"

    def rebook(on: date):
        fields = book_form(
            clinic.service_id,
            clinic.estheticians[1],
            local(on, time(15)),
            series_id=series_id,
            session_number=2,
        )
        return post_booking(client, client_id, fields)

    before = rebook(until - timedelta(days=1))
    assert before.status_code == 422
    assert f"Not before {label}: the client is deferred until {label}." in plain(before)
    on_the_day = rebook(until)
    rebooked = appointment(app, appointment_id_from(on_the_day))
    assert (rebooked.series_id, rebooked.session_number) == (series_id, 2)
    assert rebooked.starts_at == local(until, time(15))


def test_history_and_audit_follow_every_change(
    app, client, front_desk, clinic, clara, day
):
    fields = book_form(clinic.service_id, clinic.estheticians[0], local(day, time(10)))
    mine = appointment_id_from(post_booking(client, clara, fields))
    assert (
        reschedule(client, mine, day, "12:00", clinic.estheticians[1]).status_code
        == 302
    )
    assert cancel(client, mine, reason="Family emergency").status_code == 302

    entries = history(client.get(f"/appointments/{mine}"))
    assert len(entries) == 3
    kinds = [e.split(" · ")[1] for e in entries]
    assert kinds == [
        "Booked by Front desk 1",
        "Rescheduled by Front desk 1",
        "Cancelled by Front desk 1",
    ]
    # In the clinic's time, as everywhere on the page (issue 15, item 7).
    shown = f"{day:%a} {day.day} {day:%b %Y}"
    assert entries[1].endswith(f"from {shown}, 10:00 to {shown}, 12:00")
    assert entries[2].endswith("Family emergency")

    for name in (
        "appointment.booked",
        "appointment.rescheduled",
        "appointment.cancelled",
    ):
        assert audit_rows(app, name) == [(clara, str(mine))], name
    with app.app_context():
        users = set(
            db.session.scalars(
                select(AuditEvent.user_id).where(
                    AuditEvent.action.like("appointment.%")
                )
            )
        )
    assert users == {front_desk.id}
