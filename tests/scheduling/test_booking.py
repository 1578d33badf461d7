"""Booking one appointment through the pages: free times, the booking, refusals.

Everything goes through real HTTP with CSRF on and a real database; the
arrangement (clinic, clients, blocks) is made in short app contexts.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta

import pytest

from clinic.roles import Role
from clinic.scheduling.models import BlockKind
from tests.helpers import DEFAULT_PASSWORD, submit
from tests.scheduling.support import (
    REFUSAL_REASONS,
    TZ,
    add_block,
    add_client,
    appointment_id_from,
    appointments_of,
    book_form,
    book_url,
    build_clinic,
    deferred_answers,
    field_error,
    forms_of,
    free_slots,
    ineligible_client,
    local,
    local_starts,
    plain,
    post_booking,
    signed_in_browser,
    slots_on,
    today,
)

# 60 minutes of treatment and 15 of buffer (the seeded service).
FIRST, LAST = time(9, 0), time(16, 45)


def quarter_hours(first: time, last: time) -> list[time]:
    found, at = [], datetime.combine(datetime.min, first)
    while at.time() <= last:
        found.append(at.time())
        at += timedelta(minutes=15)
    return found


@pytest.fixture
def clinic(app):
    return build_clinic(app)


@pytest.fixture
def day(app):
    return today(app) + timedelta(days=7)


@pytest.fixture
def clara(app):
    return add_client(app, "Clara Client")


def book(client, clinic, client_id, start, esthetician=0, **kw):
    """POST a booking of the seeded service with esthetician ``esthetician``."""
    fields = book_form(clinic.service_id, clinic.estheticians[esthetician], start, **kw)
    return post_booking(client, client_id, fields)


class TestFreeTimes:
    def test_an_empty_day_offers_every_quarter_hour_that_fits_the_hours(
        self, app, client, front_desk, clinic, clara, day
    ):
        slots = free_slots(client, clara, clinic.service_id, day)
        expected = quarter_hours(FIRST, LAST)
        for esthetician in clinic.estheticians:
            assert local_starts(slots, esthetician) == expected
        assert {s.start.astimezone(TZ).date() for s in slots} == {day}
        # Nothing before opening, nothing whose treatment + buffer ends after 18:00.
        assert min(local_starts(slots)) == time(9, 0)
        assert max(local_starts(slots)) == time(16, 45)

    def test_a_booked_slot_disappears_and_the_next_starts_after_the_buffer(
        self, app, client, front_desk, clinic, clara, day
    ):
        first = clinic.estheticians[0]
        slot = next(
            s
            for s in free_slots(client, clara, clinic.service_id, day)
            if s.esthetician_id == first and s.start == local(day, time(10))
        )
        response = book(
            client,
            clinic,
            clara,
            slot.start,
            room_id=slot.room_id,
            device_id=slot.device_id,
        )
        appointment_id_from(response)

        olive = add_client(app, "Olive Other")
        slots = free_slots(client, olive, clinic.service_id, day)
        # 10:00-11:00 plus 15 minutes of buffer: nothing fits before 11:15.
        assert local_starts(slots, first) == quarter_hours(time(11, 15), LAST)
        # The other esthetician keeps 10:00, in the other room with the other device.
        other = [
            s
            for s in slots
            if s.esthetician_id == clinic.estheticians[1]
            and s.start == local(day, time(10))
        ]
        assert len(other) == 1
        assert (other[0].room_id, other[0].device_id) != (slot.room_id, slot.device_id)
        assert other[0].room_id != slot.room_id
        assert other[0].device_id != slot.device_id

    def test_back_to_back_is_allowed_but_not_inside_the_buffer(
        self, app, client, front_desk, clinic, clara, day
    ):
        appointment_id_from(book(client, clinic, clara, local(day, time(10))))
        other = add_client(app, "Olive Other")

        inside_buffer = book(client, clinic, other, local(day, time(11)))
        assert inside_buffer.status_code == 409
        assert "Esthetician 1 is already booked at that time." in plain(inside_buffer)

        back_to_back = book(client, clinic, other, local(day, time(11, 15)))
        appointment_id_from(back_to_back)
        assert [a.starts_at for a in appointments_of(app)] == [
            local(day, time(10)),
            local(day, time(11, 15)),
        ]

    def test_one_esthetician_only(self, app, client, front_desk, clinic, clara, day):
        wanted = clinic.estheticians[1]
        slots = free_slots(
            client, clara, clinic.service_id, day, esthetician=str(wanted)
        )
        assert slots
        assert {s.esthetician_id for s in slots} == {wanted}

    def test_the_slot_buttons_post_to_the_booking_url_with_a_csrf_token(
        self, app, client, front_desk, clinic, clara, day
    ):
        response = client.get(book_url(clara, clinic.service_id, day))
        slot_forms = [f for f in forms_of(response) if "start" in f["fields"]]
        assert slot_forms
        assert all(f["fields"].get("csrf_token") for f in slot_forms)
        # Posting exactly what the first button holds books it.
        fields = dict(slot_forms[0]["fields"])
        response = client.post(f"/clients/{clara}/book", data=fields)
        appointment_id_from(response)
        assert len(appointments_of(app, clara)) == 1


class TestBooking:
    def test_booking_lands_on_the_appointment_page(
        self, app, client, front_desk, clinic, clara, day
    ):
        response = book(
            client,
            clinic,
            clara,
            local(day, time(14, 30)),
            esthetician=1,
            room_id=clinic.rooms[1],
            device_id=clinic.devices[0],
        )
        appointment_id = appointment_id_from(response)

        [stored] = appointments_of(app, clara)
        assert stored.id == appointment_id
        assert stored.status == "booked"
        assert stored.starts_at == local(day, time(14, 30))
        assert (stored.esthetician_id, stored.room_id, stored.device_id) == (
            clinic.estheticians[1],
            clinic.rooms[1],
            clinic.devices[0],
        )
        assert stored.series_id is None
        assert stored.active_allocations == sorted(
            [
                ("esthetician", clinic.estheticians[1]),
                ("room", clinic.rooms[1]),
                ("device", clinic.devices[0]),
            ]
        )

        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        text = plain(page)
        assert "The appointment was booked." in text
        assert "Microcurrent facial for Clara Client" in text
        assert f"{day:%a %d %b %Y}, 14:30\u201315:30" in text
        assert "Esthetician 2" in text
        assert "Room 2" in text
        assert "Device 1 (SN-0001)" in text
        assert "Status Booked" in text
        assert "Booked by Front desk" in text

    def test_any_room_and_device_are_chosen_when_left_open(
        self, app, client, front_desk, clinic, clara, day
    ):
        appointment_id_from(
            book(client, clinic, clara, local(day, time(10)), room_id="", device_id="")
        )
        other = add_client(app, "Olive Other")
        appointment_id_from(
            book(client, clinic, other, local(day, time(10)), esthetician=1)
        )
        first, second = appointments_of(app)
        assert {first.room_id, second.room_id} == set(clinic.rooms)
        assert {first.device_id, second.device_id} == set(clinic.devices)


class TestRefused:
    """Bad input: a 4xx with the reason on the page, and nothing booked."""

    def assert_refused(self, app, response, status: int, message: str):
        assert response.status_code == status, response.status_code
        assert message in plain(response)
        assert appointments_of(app) == []

    def test_in_the_past(self, app, client, front_desk, clinic, clara):
        yesterday = today(app) - timedelta(days=1)
        response = book(client, clinic, clara, local(yesterday, time(10)))
        self.assert_refused(app, response, 422, "That time is in the past.")

    @pytest.mark.parametrize(
        "at", [time(8, 0), time(8, 45), time(17, 0), time(17, 15), time(18, 0)]
    )
    def test_outside_working_hours(self, app, client, front_desk, clinic, clara, at):
        day = today(app) + timedelta(days=7)
        response = book(client, clinic, clara, local(day, at))
        self.assert_refused(
            app, response, 422, "Esthetician 1 is not working for all of that time."
        )

    @pytest.mark.parametrize("at", [time(10, 7), time(10, 0, 30)])
    def test_off_the_grid_is_refused(self, app, client, front_desk, clinic, clara, at):
        """Only the times the pages offer: a crafted 10:07 is refused."""
        day = today(app) + timedelta(days=7)
        response = book(client, clinic, clara, local(day, at))
        self.assert_refused(
            app,
            response,
            422,
            f"{at:%H:%M} is not on the clinic's 15-minute grid: choose one of the "
            "free times offered.",
        )

    def test_the_last_start_that_fits_is_accepted(
        self, app, client, front_desk, clinic, clara, day
    ):
        appointment_id_from(book(client, clinic, clara, local(day, LAST)))

    def test_on_a_day_off_of_the_week(self, app, client, front_desk, clara, day):
        """Hours on other weekdays only: that day has no time and refuses."""
        clinic = build_clinic(app, weekdays=[d for d in range(7) if d != day.weekday()])
        assert free_slots(client, clara, clinic.service_id, day) == []
        response = book(client, clinic, clara, local(day, time(10)))
        self.assert_refused(
            app, response, 422, "Esthetician 1 is not working for all of that time."
        )

    def test_esthetician_on_time_off(self, app, client, front_desk, clinic, clara, day):
        add_block(
            app,
            BlockKind.TIME_OFF,
            clinic.estheticians[0],
            local(day, time(0)),
            local(day + timedelta(days=1), time(0)),
            "Holiday",
        )
        slots = free_slots(client, clara, clinic.service_id, day)
        assert {s.esthetician_id for s in slots} == {clinic.estheticians[1]}

        response = book(client, clinic, clara, local(day, time(10)))
        self.assert_refused(app, response, 422, "Esthetician 1 is off at that time.")

    def test_time_off_overlapping_the_buffer_refuses(
        self, app, client, front_desk, clinic, clara, day
    ):
        add_block(
            app,
            BlockKind.TIME_OFF,
            clinic.estheticians[0],
            local(day, time(11, 10)),
            local(day, time(12)),
        )
        slots = free_slots(client, clara, clinic.service_id, day)
        starts = local_starts(slots, clinic.estheticians[0])
        assert time(9, 45) in starts
        assert time(10) not in starts  # 10:00-11:15 reaches into the time off
        response = book(client, clinic, clara, local(day, time(10)))
        self.assert_refused(app, response, 422, "Esthetician 1 is off at that time.")

    def test_every_device_under_maintenance(
        self, app, client, front_desk, clinic, clara, day
    ):
        for device_id in clinic.devices:
            add_block(
                app,
                BlockKind.DEVICE,
                device_id,
                local(day, time(7)),
                local(day, time(20)),
                "maintenance",
            )
        response = client.get(book_url(clara, clinic.service_id, day))
        assert response.status_code == 200
        assert slots_on(response) == []
        assert "No free time that day." in plain(response)

        chosen = book(
            client, clinic, clara, local(day, time(10)), device_id=clinic.devices[0]
        )
        self.assert_refused(app, chosen, 422, "Device 1 is blocked then (maintenance).")
        any_device = book(client, clinic, clara, local(day, time(10)), device_id="")
        self.assert_refused(app, any_device, 409, "No device is free at that time.")

    def test_one_device_under_maintenance_leaves_the_other(
        self, app, client, front_desk, clinic, clara, day
    ):
        add_block(
            app,
            BlockKind.DEVICE,
            clinic.devices[0],
            local(day, time(7)),
            local(day, time(20)),
            "repair",
        )
        slots = free_slots(client, clara, clinic.service_id, day)
        assert slots
        assert {s.device_id for s in slots} == {clinic.devices[1]}
        appointment_id_from(book(client, clinic, clara, local(day, time(10))))
        [stored] = appointments_of(app)
        assert stored.device_id == clinic.devices[1]

    def test_a_blocked_room(self, app, client, front_desk, clinic, clara, day):
        for room_id in clinic.rooms:
            add_block(
                app,
                BlockKind.ROOM,
                room_id,
                local(day, time(9)),
                local(day, time(12)),
                "deep clean",
            )
        slots = free_slots(client, clara, clinic.service_id, day)
        assert min(local_starts(slots)) == time(12)
        response = book(
            client, clinic, clara, local(day, time(10)), room_id=clinic.rooms[0]
        )
        self.assert_refused(app, response, 422, "Room 1 is blocked then (deep clean).")

    def test_unknown_client(self, app, client, front_desk, clinic, day):
        assert client.get(book_url(99999, clinic.service_id, day)).status_code == 404
        response = book(client, clinic, 99999, local(day, time(10)))
        assert response.status_code == 404
        assert appointments_of(app) == []

    def test_unknown_service(self, app, client, front_desk, clinic, clara, day):
        fields = book_form(99999, clinic.estheticians[0], local(day, time(10)))
        assert post_booking(client, clara, fields).status_code == 404
        assert appointments_of(app) == []

    def test_unknown_appointment(self, app, client, front_desk):
        assert client.get("/appointments/99999").status_code == 404
        for action, data in [
            ("reschedule", {"day": "2030-01-01", "at": "10:00", "esthetician": "1"}),
            ("cancel", {"reason": "Ill"}),
            ("check-in", {}),
            ("complete", {}),
            ("no-show", {}),
        ]:
            response = submit(
                client, f"/appointments/99999/{action}", data, page="/dashboard"
            )
            assert response.status_code == 404, action

    def test_unknown_series(self, app, client, front_desk, clinic, clara, day):
        response = book(
            client,
            clinic,
            clara,
            local(day, time(10)),
            series_id=99999,
            session_number=1,
        )
        assert response.status_code == 404
        assert appointments_of(app) == []

    @pytest.mark.parametrize(
        "start",
        ["", "tomorrow at ten", "2030-13-01T10:00:00+00:00", "2030-01-08T10:00:00"],
        ids=["empty", "words", "bad-month", "naive"],
    )
    def test_malformed_start(self, app, client, front_desk, clinic, clara, start):
        response = book(client, clinic, clara, start)
        assert response.status_code == 400
        assert appointments_of(app) == []

    @pytest.mark.parametrize(
        "field", ["service_id", "esthetician_id", "room_id", "device_id"]
    )
    def test_malformed_ids(self, app, client, front_desk, clinic, clara, day, field):
        fields = book_form(
            clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        fields[field] = "1; DROP TABLE appointment"
        assert post_booking(client, clara, fields).status_code == 400
        assert appointments_of(app) == []

    def test_malformed_series_fields(self, app, client, front_desk, clinic, clara, day):
        for series_id, number in [("x", "1"), ("1", "first")]:
            response = book(
                client,
                clinic,
                clara,
                local(day, time(10)),
                series_id=series_id,
                session_number=number,
            )
            assert response.status_code == 400
        assert appointments_of(app) == []

    def test_an_unknown_esthetician_or_someone_else(
        self, app, client, front_desk, clinic, clara, day
    ):
        fields = book_form(clinic.service_id, 99999, local(day, time(10)))
        self.assert_refused(
            app,
            post_booking(client, clara, fields),
            422,
            "Choose an active esthetician.",
        )
        fields = book_form(clinic.service_id, front_desk.id, local(day, time(10)))
        self.assert_refused(
            app,
            post_booking(client, clara, fields),
            422,
            "Choose an active esthetician.",
        )

    def test_an_unknown_room(self, app, client, front_desk, clinic, clara, day):
        response = book(client, clinic, clara, local(day, time(10)), room_id=99999)
        self.assert_refused(app, response, 422, "That room is not in use.")

    def test_without_csrf_token(self, app, client, front_desk, clinic, clara, day):
        fields = book_form(
            clinic.service_id, clinic.estheticians[0], local(day, time(10))
        )
        response = client.post(f"/clients/{clara}/book", data=fields)
        assert response.status_code == 400
        assert appointments_of(app) == []

    def test_signed_out(self, app, client, clinic, clara, day):
        response = client.get(book_url(clara, clinic.service_id, day))
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")

    def test_a_bad_search_is_a_422_with_the_message(
        self, app, client, front_desk, clinic, clara
    ):
        response = client.get(
            f"/clients/{clara}/book?service={clinic.service_id}"
            "&esthetician=any&day=someday"
        )
        assert response.status_code == 422
        assert field_error(response, "day")


# --- eligibility (DESIGN.md guarantee 2) on the single-booking path ----------


class TestEligibility:
    @pytest.mark.parametrize("case", sorted(REFUSAL_REASONS))
    def test_refused_with_the_reason(self, app, client, front_desk, clinic, day, case):
        reason = REFUSAL_REASONS[case]
        client_id = ineligible_client(app, case)

        page = client.get(book_url(client_id, clinic.service_id, day))
        assert page.status_code == 200
        assert f"Cannot book that day. {reason}" in plain(page)
        # The reason, and nothing to press that the server would refuse.
        assert slots_on(page) == []
        assert "Free times on" not in plain(page)

        response = book(client, clinic, client_id, local(day, time(10)))
        assert response.status_code == 422
        assert reason in plain(response)
        assert appointments_of(app) == []

    def test_deferred_until_d_refused_before_d_and_accepted_on_d(
        self, app, client, front_desk, clinic
    ):
        event = today(app) - timedelta(days=1)
        until = event + timedelta(days=14)  # botulinum toxin: 14 days
        client_id = add_client(app, "Dora Deferred", yes=deferred_answers(event))
        label = f"{until.day} {until:%B %Y}"

        before = book(
            client, clinic, client_id, local(until - timedelta(days=1), time(16, 45))
        )
        assert before.status_code == 422
        assert f"Not before {label}: the client is deferred until {label}." in plain(
            before
        )
        assert appointments_of(app) == []

        page = client.get(book_url(client_id, clinic.service_id, until - timedelta(1)))
        assert f"Cannot book before {label}." in plain(page)
        assert slots_on(page) == []
        [later] = re.findall(
            r'href="([^"]*)">Show free times on ' + re.escape(label),
            page.get_data(as_text=True),
        )
        shown = client.get(html.unescape(later))
        assert f"Free times on {label}" in plain(shown)
        assert slots_on(shown) and all(
            s.start.astimezone(TZ).date() == until for s in slots_on(shown)
        )

        on_the_day = book(client, clinic, client_id, local(until, time(9)))
        appointment_id_from(on_the_day)
        [stored] = appointments_of(app)
        assert stored.starts_at == local(until, time(9))

    def test_a_service_without_screening_books_anyone(
        self, app, client, front_desk, clinic, day
    ):
        """The check is the service's screening flag, not a blanket refusal."""
        from clinic.catalogue.models import Service
        from clinic.extensions import db

        with app.app_context():
            service = Service(
                name="Brow shaping",
                duration_minutes=30,
                buffer_minutes=0,
                needs_device=False,
                needs_screening=False,
            )
            db.session.add(service)
            db.session.commit()
            service_id = service.id
        client_id = add_client(app, "Nora Nointake", intake=False)
        fields = book_form(service_id, clinic.estheticians[0], local(day, time(10)))
        appointment_id_from(post_booking(client, client_id, fields))
        [stored] = appointments_of(app)
        assert stored.device_id is None
        assert stored.active_allocations == sorted(
            [("esthetician", clinic.estheticians[0]), ("room", clinic.rooms[0])]
        )


def test_an_esthetician_may_book_too(app, make_user, clinic, clara, day):
    """Any staff member may book (the route allows STAFF)."""
    user = make_user(Role.ESTHETICIAN, password=DEFAULT_PASSWORD)
    browser = signed_in_browser(app, user.email)
    appointment_id_from(book(browser, clinic, clara, local(day, time(10))))


def test_a_client_turning_18_soon_is_bookable_from_the_birthday(
    app, client, front_desk, clinic
):
    """Issue 15, item 4: the minimum age is a day the client reaches."""
    from clinic.clients.models import Client
    from clinic.extensions import db
    from tests.scheduling.support import submit_intake

    birthday = today(app) + timedelta(days=2)
    with app.app_context():
        from clinic.clients.services import create_client

        minor = create_client(
            {
                "given_name": "Mina",
                "family_name": "Minor",
                "date_of_birth": birthday.replace(year=birthday.year - 18),
                "email": "",
                "phone": "",
            },
            by_user_id=None,
        )
        submit_intake(minor)
        db.session.commit()
        minor_id = db.session.get(Client, minor.id).id
    label = f"{birthday.day} {birthday:%B %Y}"

    profile = plain(client.get(f"/clients/{minor_id}"))
    assert f"Not eligible until {label} (minimum age)" in profile

    page = client.get(book_url(minor_id, clinic.service_id, today(app)))
    assert f"Cannot book before {label}." in plain(page)
    assert slots_on(page) == []
    eve = birthday - timedelta(days=1)
    refused = book(client, clinic, minor_id, local(eve, time(10)))
    assert refused.status_code == 422
    assert f"Not before {label}: the client is not eligible until {label}" in plain(
        refused
    )

    on_the_day = free_slots(client, minor_id, clinic.service_id, birthday)
    assert on_the_day
    appointment_id_from(book(client, clinic, minor_id, on_the_day[0].start))
