"""Rooms and devices: create, rename or edit, uniqueness, deactivate."""

from __future__ import annotations

import pytest

from clinic.catalogue.models import Device, Room
from tests.catalogue.support import (
    add_device,
    add_room,
    audit_rows,
    device_form,
    field_error,
    find,
    page_text,
    row,
    snapshot,
)
from tests.helpers import submit


class TestRooms:
    def test_create_rename_deactivate_reactivate(self, app, client, admin):
        response = submit(client, "/admin/rooms/new", {"name": " Room  A "})
        assert response.status_code == 302
        assert response.location == "/admin/rooms"
        room = find(app, Room, name="Room A")
        assert room["active"] is True
        assert "Room A" in page_text(client.get("/admin/rooms"))

        url = f"/admin/rooms/{room['id']}"
        assert submit(client, url, {"name": "Garden room"}).status_code == 302
        assert row(app, Room, room["id"])["name"] == "Garden room"

        assert (
            submit(client, f"{url}/deactivate", page="/admin/rooms").status_code == 302
        )
        assert row(app, Room, room["id"])["active"] is False
        assert (
            submit(client, f"{url}/reactivate", page="/admin/rooms").status_code == 302
        )
        assert row(app, Room, room["id"])["active"] is True

        entity = str(room["id"])
        assert audit_rows(app, "room.") == [
            ("room.created", admin.id, "room", entity, ""),
            ("room.updated", admin.id, "room", entity, "fields: name"),
            ("room.deactivated", admin.id, "room", entity, ""),
            ("room.reactivated", admin.id, "room", entity, ""),
        ]

    def test_duplicate_name_is_refused_whatever_its_case(self, app, client, admin):
        add_room(app, "Room A")
        before = snapshot(app)
        response = submit(client, "/admin/rooms/new", {"name": "ROOM a"})
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "name") == (
            "A room with this name already exists."
        )
        assert snapshot(app) == before

    def test_renaming_onto_another_room_is_refused(self, app, client, admin):
        add_room(app, "Room A")
        other = add_room(app, "Room B")
        before = snapshot(app)
        response = submit(client, f"/admin/rooms/{other}", {"name": "room a"})
        assert response.status_code == 422
        assert snapshot(app) == before

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "Enter a name."),
            ("   ", "Enter a name."),
            ("r" * 81, "Field cannot be longer than 80 characters."),
        ],
    )
    def test_bad_name(self, app, client, admin, name, message):
        before = snapshot(app)
        response = submit(client, "/admin/rooms/new", {"name": name})
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "name") == message
        assert snapshot(app) == before


class TestDevices:
    def test_create_stores_every_field(self, app, client, admin):
        response = submit(client, "/admin/devices/new", device_form())
        assert response.status_code == 302
        assert response.location == "/admin/devices"
        device = find(app, Device, serial="SN-0001")
        assert (device["name"], device["model"], device["max_current_ua"]) == (
            "Wand one",
            "MC-200",
            500,
        )
        page = page_text(client.get("/admin/devices"))
        assert "500 µA" in page
        assert audit_rows(app, "device.") == [
            ("device.created", admin.id, "device", str(device["id"]), "")
        ]

    def test_model_and_maximum_current_are_optional(self, app, client, admin):
        data = device_form(model="", max_current_ua="")
        assert submit(client, "/admin/devices/new", data).status_code == 302
        device = find(app, Device, serial="SN-0001")
        assert device["model"] == ""
        assert device["max_current_ua"] is None

    @pytest.mark.parametrize("current", ["1", "1000"])
    def test_current_limits_are_inclusive(self, app, client, admin, current):
        data = device_form(max_current_ua=current)
        assert submit(client, "/admin/devices/new", data).status_code == 302

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            (
                {"max_current_ua": "0"},
                "max_current_ua",
                "The maximum current must be 1 to 1000 µA.",
            ),
            (
                {"max_current_ua": "1001"},
                "max_current_ua",
                "The maximum current must be 1 to 1000 µA.",
            ),
            ({"max_current_ua": "high"}, "max_current_ua", "Enter a whole number."),
            ({"serial": ""}, "serial", "Enter the serial number."),
            ({"name": ""}, "name", "Enter a name."),
        ],
    )
    def test_bad_input_is_shown_next_to_the_field(
        self, app, client, admin, overrides, field, message
    ):
        before = snapshot(app)
        response = submit(client, "/admin/devices/new", device_form(**overrides))
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), field) == message
        assert snapshot(app) == before

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            (
                {"serial": "sn-0001"},
                "serial",
                "A device with this serial number already exists.",
            ),
            ({"name": "WAND ONE"}, "name", "A device with this name already exists."),
        ],
    )
    def test_duplicates_are_refused(
        self, app, client, admin, overrides, field, message
    ):
        add_device(app, "Wand one", "SN-0001")
        before = snapshot(app)
        data = device_form(**{"name": "Other", "serial": "SN-9", **overrides})
        response = submit(client, "/admin/devices/new", data)
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), field) == message
        assert snapshot(app) == before

    def test_edit_and_deactivate(self, app, client, admin):
        device_id = add_device(app, "Wand one", "SN-0001", max_current_ua=400)
        url = f"/admin/devices/{device_id}"
        page = page_text(client.get(url))
        assert 'value="SN-0001"' in page
        assert 'value="400"' in page

        data = device_form(name="Wand one", serial="SN-0001", max_current_ua="")
        assert submit(client, url, data).status_code == 302
        stored = row(app, Device, device_id)
        assert stored["max_current_ua"] is None
        assert stored["model"] == "MC-200"

        response = submit(client, f"{url}/deactivate", page="/admin/devices")
        assert response.status_code == 302
        assert row(app, Device, device_id)["active"] is False
        assert [r[0] for r in audit_rows(app, "device.")] == [
            "device.updated",
            "device.deactivated",
        ]
        assert audit_rows(app, "device.updated")[0][4] == (
            "fields: max_current_ua, model"
        )


class TestLostRace:
    """If another request stores the same value between the check and the
    insert, the database's unique constraint answers: a field message, no 500."""

    @pytest.fixture(autouse=True)
    def skip_the_check(self, monkeypatch):
        from clinic.catalogue import services

        monkeypatch.setattr(services, "_taken", lambda *args: False)

    def test_room_name(self, app, client, admin):
        add_room(app, "Room A")
        before = snapshot(app)
        response = submit(client, "/admin/rooms/new", {"name": "Room A"})
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "name") == (
            "A room with this name already exists."
        )
        assert snapshot(app) == before

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            (
                {"name": "Other"},
                "serial",
                "A device with this serial number already exists.",
            ),
            ({"serial": "SN-9"}, "name", "A device with this name already exists."),
        ],
    )
    def test_device_name_or_serial(self, app, client, admin, overrides, field, message):
        add_device(app, "Wand one", "SN-0001")
        before = snapshot(app)
        response = submit(client, "/admin/devices/new", device_form(**overrides))
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), field) == message
        assert snapshot(app) == before
