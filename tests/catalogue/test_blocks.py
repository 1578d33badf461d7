"""Blocks: time off, rooms closed, devices in maintenance, in clinic time.

The clinic is in Europe/London; the tests run at ``NOW`` (1 March 2027), four
weeks before the clocks go forward (01:00 GMT on Sunday 28 March 2027 becomes
02:00 BST) and eight months before they go back (31 October 2027).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from clinic.catalogue.forms import END_NOT_AFTER_START, ENDS_IN_PAST, NO_SUCH_TIME
from clinic.roles import Role
from clinic.scheduling.models import AppointmentStatus, Block, BlockKind
from tests.catalogue.support import (
    NOW,
    add_appointment,
    add_client,
    add_device,
    add_room,
    add_row,
    all_rows,
    audit_rows,
    field_error,
    page_text,
    row,
    snapshot,
)
from tests.helpers import submit

NEW = "/admin/blocks/new"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def room_id(app):
    return add_room(app, "Room A")


@pytest.fixture
def nora(make_user):
    return make_user(Role.ESTHETICIAN, name="Nora Jones")


def block_form(resource: str, start: str, end: str, reason: str = "") -> dict:
    return {"resource": resource, "starts_at": start, "ends_at": end, "reason": reason}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def only_block(app) -> dict:
    blocks = all_rows(app, Block)
    assert len(blocks) == 1, blocks
    return blocks[0]


class TestClinicTime:
    def test_a_block_across_the_spring_change_is_stored_in_utc(
        self, app, client, admin, room_id
    ):
        """10:00 GMT on Saturday to 10:00 BST on Monday: 47 hours, not 48."""
        data = block_form(
            f"room:{room_id}", "2027-03-27T10:00", "2027-03-29T10:00", "Deep clean"
        )

        response = submit(client, NEW, data)

        assert response.status_code == 302
        assert response.location == "/admin/blocks"
        block = only_block(app)
        assert block["kind"] is BlockKind.ROOM
        assert block["room_id"] == room_id
        assert block["user_id"] is None
        assert block["device_id"] is None
        assert block["starts_at"] == utc(2027, 3, 27, 10, 0)
        assert block["ends_at"] == utc(2027, 3, 29, 9, 0)
        assert block["starts_at"].tzinfo is not None
        assert block["reason"] == "Deep clean"
        assert block["created_by_id"] == admin.id
        assert block["cancelled_at"] is None
        page = page_text(client.get("/admin/blocks"))
        assert (
            "Room closed: Room A, from Sat 27 Mar 2027, 10:00 until "
            "Mon 29 Mar 2027, 10:00." in page
        )
        assert "Deep clean" in page
        assert audit_rows(app, "block.") == [
            (
                "block.created",
                admin.id,
                "block",
                str(block["id"]),
                f"kind=room room_id={room_id} overlapping appointments: 0",
            )
        ]

    @pytest.mark.parametrize("field", ["starts_at", "ends_at"])
    def test_a_time_skipped_by_the_spring_change_is_refused(
        self, app, client, admin, room_id, field
    ):
        times = {"starts_at": "2027-03-28T00:00", "ends_at": "2027-03-28T03:00"}
        times[field] = "2027-03-28T01:30"
        before = snapshot(app)

        response = submit(
            client,
            NEW,
            block_form(f"room:{room_id}", times["starts_at"], times["ends_at"]),
        )

        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), field) == NO_SUCH_TIME
        assert snapshot(app) == before

    def test_a_time_that_happens_twice_is_read_to_cover_the_longer_period(
        self, app, client, admin, room_id
    ):
        """01:30 to 01:45 on 31 October 2027: 00:30 to 01:45 UTC (75 minutes)."""
        data = block_form(f"room:{room_id}", "2027-10-31T01:30", "2027-10-31T01:45")
        assert submit(client, NEW, data).status_code == 302
        block = only_block(app)
        assert block["starts_at"] == utc(2027, 10, 31, 0, 30)
        assert block["ends_at"] == utc(2027, 10, 31, 1, 45)

    def test_summer_time_is_one_hour_ahead_of_utc(self, app, client, admin, room_id):
        data = block_form(f"room:{room_id}", "2027-07-01T09:00", "2027-07-01T17:30")
        assert submit(client, NEW, data).status_code == 302
        block = only_block(app)
        assert (block["starts_at"], block["ends_at"]) == (
            utc(2027, 7, 1, 8, 0),
            utc(2027, 7, 1, 16, 30),
        )


class TestKinds:
    def test_time_off_for_an_esthetician(self, app, client, admin, nora):
        data = block_form(
            f"time_off:{nora.id}", "2027-04-05T00:00", "2027-04-10T00:00", "Holiday"
        )
        assert submit(client, NEW, data).status_code == 302
        block = only_block(app)
        assert (block["kind"], block["user_id"], block["room_id"]) == (
            BlockKind.TIME_OFF,
            nora.id,
            None,
        )
        page = page_text(client.get("/admin/blocks"))
        assert "Time off (esthetician)" in page
        assert "Nora Jones" in page

    def test_device_in_maintenance(self, app, client, admin):
        device_id = add_device(app, "Wand one", "SN-1")
        data = block_form(f"device:{device_id}", "2027-03-02T08:00", "2027-03-03T18:00")
        assert submit(client, NEW, data).status_code == 302
        block = only_block(app)
        assert (block["kind"], block["device_id"]) == (BlockKind.DEVICE, device_id)

    def test_only_active_resources_are_offered(
        self, app, client, admin, nora, make_user
    ):
        gone_room = add_room(app, "Old room", active=False)
        gone_device = add_device(app, "Old wand", "SN-OLD", active=False)
        desk = make_user(Role.FRONT_DESK, name="Dana Desk")
        away = make_user(Role.ESTHETICIAN, name="Gary Gone", active=False)
        page = page_text(client.get(NEW))
        assert f'value="time_off:{nora.id}"' in page
        for value in (
            f"room:{gone_room}",
            f"device:{gone_device}",
            f"time_off:{desk.id}",
            f"time_off:{away.id}",
            f"time_off:{admin.id}",
        ):
            assert f'value="{value}"' not in page
            before = snapshot(app)
            response = submit(
                client, NEW, block_form(value, "2027-03-02T08:00", "2027-03-02T09:00")
            )
            assert response.status_code == 422, value
            assert field_error(response.get_data(as_text=True), "resource") == (
                "Choose an active esthetician, room or device."
            )
            assert snapshot(app) == before


class TestBadInput:
    @pytest.mark.parametrize(
        ("start", "end", "field", "message"),
        [
            ("2027-03-02T10:00", "2027-03-02T10:00", "ends_at", END_NOT_AFTER_START),
            ("2027-03-02T10:00", "2027-03-02T09:00", "ends_at", END_NOT_AFTER_START),
            ("2027-02-20T10:00", "2027-02-28T10:00", "ends_at", ENDS_IN_PAST),
            ("", "2027-03-02T10:00", "starts_at", "Enter the start date and time."),
            ("2027-03-02T10:00", "", "ends_at", "Enter the end date and time."),
            (
                "next tuesday",
                "2027-03-02T10:00",
                "starts_at",
                "Not a valid datetime value.",
            ),
        ],
    )
    def test_times(self, app, client, admin, room_id, start, end, field, message):
        before = snapshot(app)
        response = submit(client, NEW, block_form(f"room:{room_id}", start, end))
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), field) == message
        assert snapshot(app) == before

    def test_a_block_may_have_started_already(self, app, client, admin, room_id):
        """Off sick since this morning: the start is past, the end is not."""
        data = block_form(f"room:{room_id}", "2027-03-01T07:00", "2027-03-01T18:00")
        assert submit(client, NEW, data).status_code == 302

    def test_no_resource(self, app, client, admin, room_id):
        before = snapshot(app)
        response = submit(
            client, NEW, block_form("", "2027-03-02T08:00", "2027-03-02T09:00")
        )
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "resource") == (
            "Choose what is unavailable."
        )
        assert snapshot(app) == before

    def test_reason_too_long(self, app, client, admin, room_id):
        data = block_form(
            f"room:{room_id}", "2027-03-02T08:00", "2027-03-02T09:00", "r" * 201
        )
        response = submit(client, NEW, data)
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "reason") == (
            "Field cannot be longer than 200 characters."
        )


class TestOverlappingAppointments:
    @pytest.fixture
    def booked(self, app, make_user, nora, room_id):
        """Ana 10:00-11:00 (+15 min buffer) on Wednesday 10 March, in Room A."""
        device_id = add_device(app, "Wand one", "SN-1")
        ana = add_client(app, "Ana", "Example")
        ben = add_client(app, "Ben", "Other")
        add_appointment(
            app,
            client_id=ana,
            esthetician_id=nora.id,
            room_id=room_id,
            device_id=device_id,
            starts_at=utc(2027, 3, 10, 10, 0),
        )
        # At the same time but cancelled: not warned about.
        add_appointment(
            app,
            client_id=ben,
            esthetician_id=nora.id,
            room_id=room_id,
            device_id=device_id,
            starts_at=utc(2027, 3, 10, 10, 30),
            status=AppointmentStatus.CANCELLED,
        )
        # At the same time with other resources: not warned about.
        add_appointment(
            app,
            client_id=ben,
            esthetician_id=make_user(Role.ESTHETICIAN).id,
            room_id=add_room(app, "Room B"),
            device_id=add_device(app, "Wand two", "SN-2"),
            starts_at=utc(2027, 3, 10, 10, 30),
        )
        return {"device_id": device_id}

    WARNING = (
        "Warning: 1 booked appointment(s) overlap this block and were not moved: "
        "Wed 10 Mar 2027, 10:00 Ana Example with Nora Jones. Reschedule them."
    )

    @pytest.mark.parametrize(
        "resource",
        ["room", "time_off", "device"],
        ids=["room", "esthetician", "device"],
    )
    def test_the_block_is_created_with_a_warning(
        self, app, client, admin, nora, room_id, booked, resource
    ):
        resource_id = {
            "room": room_id,
            "time_off": nora.id,
            "device": booked["device_id"],
        }[resource]
        data = block_form(
            f"{resource}:{resource_id}", "2027-03-10T10:30", "2027-03-10T12:00"
        )

        response = submit(client, NEW, data)

        assert response.status_code == 302
        page = page_text(client.get("/admin/blocks"))
        assert self.WARNING in page
        assert 'class="alert alert-warning"' in page
        assert "Ben Other" not in page
        block = only_block(app)
        assert audit_rows(app, "block.")[0][4].endswith("overlapping appointments: 1")
        assert block["starts_at"] == utc(2027, 3, 10, 10, 30)

    def test_the_buffer_after_an_appointment_counts(
        self, app, client, admin, room_id, booked
    ):
        """Ana's room is held until 11:15: a block from 11:10 overlaps."""
        data = block_form(f"room:{room_id}", "2027-03-10T11:10", "2027-03-10T11:20")
        submit(client, NEW, data)
        assert self.WARNING in page_text(client.get("/admin/blocks"))

    def test_back_to_back_is_no_overlap(self, app, client, admin, room_id, booked):
        data = block_form(f"room:{room_id}", "2027-03-10T11:15", "2027-03-10T12:00")
        assert submit(client, NEW, data).status_code == 302
        page = page_text(client.get("/admin/blocks"))
        assert "Warning" not in page
        assert 'class="alert alert-success"' in page


class TestListAndCancel:
    def test_cancel_sets_cancelled_at_and_hides_the_block(
        self, app, client, admin, room_id
    ):
        data = block_form(f"room:{room_id}", "2027-03-02T08:00", "2027-03-02T09:00")
        submit(client, NEW, data)
        block_id = only_block(app)["id"]

        response = submit(
            client, f"/admin/blocks/{block_id}/cancel", page="/admin/blocks"
        )

        assert response.status_code == 302
        cancelled_at = row(app, Block, block_id)["cancelled_at"]
        assert NOW <= cancelled_at < NOW + timedelta(minutes=5)
        page = page_text(client.get("/admin/blocks"))
        assert "The block was cancelled." in page
        assert "No current or future blocks." in page
        assert [r[0] for r in audit_rows(app, "block.")] == [
            "block.created",
            "block.cancelled",
        ]

        before = snapshot(app)
        again = submit(client, f"/admin/blocks/{block_id}/cancel", page="/admin/blocks")
        assert again.status_code == 409
        assert "This block was already cancelled." in page_text(again)
        assert snapshot(app) == before

    def test_past_blocks_are_not_listed_and_cannot_be_cancelled(
        self, app, client, admin, room_id
    ):
        past = add_row(
            app,
            Block,
            kind=BlockKind.ROOM,
            room_id=room_id,
            starts_at=utc(2027, 2, 1, 9),
            ends_at=utc(2027, 2, 2, 9),
            reason="Old works",
        )
        current = add_row(
            app,
            Block,
            kind=BlockKind.ROOM,
            room_id=room_id,
            starts_at=utc(2027, 2, 20, 9),
            ends_at=utc(2027, 3, 20, 9),
            reason="Long works",
        )
        page = page_text(client.get("/admin/blocks"))
        assert "Long works" in page
        assert "Old works" not in page
        assert f"/admin/blocks/{current}/cancel" in page
        before = snapshot(app)

        response = submit(client, f"/admin/blocks/{past}/cancel", page="/admin/blocks")

        assert response.status_code == 409
        assert "This block is already over." in page_text(response)
        assert snapshot(app) == before

    def test_unknown_block_is_404(self, app, client, admin):
        response = submit(client, "/admin/blocks/999999/cancel", page="/admin/blocks")
        assert response.status_code == 404
