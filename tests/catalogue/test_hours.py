"""Working hours: a page per esthetician, ranges added and removed."""

from __future__ import annotations

from datetime import time

import pytest

from clinic.catalogue.forms import END_NOT_AFTER_START
from clinic.roles import Role
from clinic.scheduling.models import WorkingHours
from tests.catalogue.support import (
    all_rows,
    audit_rows,
    field_error,
    page_text,
    snapshot,
)
from tests.helpers import submit

DASH = "\N{EN DASH}"  # between the times of a range on the pages


def hours_url(user_id: int) -> str:
    return f"/admin/staff/{user_id}/hours"


def add(client, user_id: int, weekday: int, start: str, end: str):
    data = {"weekday": str(weekday), "start_time": start, "end_time": end}
    return submit(client, hours_url(user_id), data)


def ranges(app, user_id: int) -> list[tuple[int, time, time]]:
    return sorted(
        (r["weekday"], r["start_time"], r["end_time"])
        for r in all_rows(app, WorkingHours)
        if r["user_id"] == user_id
    )


@pytest.fixture
def nora(make_user):
    return make_user(Role.ESTHETICIAN, name="Nora Jones")


def test_page_lists_every_weekday(client, admin, nora):
    response = client.get(hours_url(nora.id))
    assert response.status_code == 200
    page = page_text(response)
    assert "Working hours of Nora Jones" in page
    for day in ("Monday", "Tuesday", "Wednesday", "Sunday"):
        assert day in page
    assert page.count("Not working") == 7


def test_several_ranges_a_day_are_stored_and_shown(app, client, admin, nora):
    response = add(client, nora.id, 0, "09:00", "12:30")
    assert response.status_code == 302
    assert response.location == hours_url(nora.id)
    # Back-to-back is not an overlap (half-open ranges).
    assert add(client, nora.id, 0, "12:30", "13:00").status_code == 302
    assert add(client, nora.id, 0, "14:00", "18:00").status_code == 302
    assert add(client, nora.id, 2, "10:00", "16:00").status_code == 302

    assert ranges(app, nora.id) == [
        (0, time(9, 0), time(12, 30)),
        (0, time(12, 30), time(13, 0)),
        (0, time(14, 0), time(18, 0)),
        (2, time(10, 0), time(16, 0)),
    ]
    page = page_text(client.get(hours_url(nora.id)))
    assert "Added Wednesday 10:00 to 16:00." in page
    assert f"09:00{DASH}12:30" in page
    assert f"14:00{DASH}18:00" in page
    assert page.count("Not working") == 5
    overview = page_text(client.get("/admin/hours"))
    assert "Nora Jones" in overview
    assert f"09:00{DASH}12:30" in overview
    assert [r[0] for r in audit_rows(app, "working_hours.")] == [
        "working_hours.added"
    ] * 4
    assert audit_rows(app, "working_hours.")[0] == (
        "working_hours.added",
        admin.id,
        "user",
        str(nora.id),
        "weekday=0 09:00-12:30",
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("08:00", "09:30"),  # overlaps the start
        ("11:00", "13:00"),  # overlaps the end
        ("09:30", "10:00"),  # inside
        ("08:00", "13:00"),  # around
        ("09:00", "12:00"),  # the same
    ],
)
def test_overlapping_range_is_refused(app, client, admin, nora, start, end):
    add(client, nora.id, 1, "09:00", "12:00")
    before = snapshot(app)

    response = add(client, nora.id, 1, start, end)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "start_time") == (
        "This overlaps 09:00 to 12:00 on the same day. "
        "Change that range or choose other times."
    )
    assert snapshot(app) == before


def test_the_same_times_on_another_day_or_person_are_fine(
    app, client, admin, nora, make_user
):
    other = make_user(Role.ESTHETICIAN)
    assert add(client, nora.id, 1, "09:00", "12:00").status_code == 302
    assert add(client, nora.id, 2, "09:00", "12:00").status_code == 302
    assert add(client, other.id, 1, "09:00", "12:00").status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"start_time": "12:00", "end_time": "12:00"}, "end_time", END_NOT_AFTER_START),
        ({"start_time": "13:00", "end_time": "09:00"}, "end_time", END_NOT_AFTER_START),
        (
            {"start_time": "", "end_time": "09:00"},
            "start_time",
            "Enter the start time.",
        ),
        ({"start_time": "09:00", "end_time": ""}, "end_time", "Enter the end time."),
        (
            {"start_time": "25:00", "end_time": "26:00"},
            "start_time",
            "Not a valid time value.",
        ),
        ({"weekday": "7"}, "weekday", "Not a valid choice."),
    ],
)
def test_bad_input_is_shown_next_to_the_field(
    app, client, admin, nora, data, field, message
):
    before = snapshot(app)
    form = {"weekday": "0", "start_time": "09:00", "end_time": "17:00", **data}
    response = submit(client, hours_url(nora.id), form)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message
    assert snapshot(app) == before


def test_remove_a_range(app, client, admin, nora):
    add(client, nora.id, 4, "09:00", "12:00")
    add(client, nora.id, 4, "13:00", "17:00")
    morning = next(
        r["id"] for r in all_rows(app, WorkingHours) if r["start_time"] == time(9)
    )

    response = submit(
        client, f"{hours_url(nora.id)}/{morning}/remove", page=hours_url(nora.id)
    )

    assert response.status_code == 302
    assert ranges(app, nora.id) == [(4, time(13, 0), time(17, 0))]
    assert "Removed Friday 09:00 to 12:00." in page_text(client.get(hours_url(nora.id)))
    assert audit_rows(app, "working_hours.removed") == [
        (
            "working_hours.removed",
            admin.id,
            "user",
            str(nora.id),
            "weekday=4 09:00-12:00",
        )
    ]


def test_a_range_is_removed_only_through_its_owner(app, client, admin, nora, make_user):
    other = make_user(Role.ESTHETICIAN)
    add(client, nora.id, 4, "09:00", "12:00")
    hours_id = all_rows(app, WorkingHours)[0]["id"]
    before = snapshot(app)
    response = submit(
        client, f"{hours_url(other.id)}/{hours_id}/remove", page=hours_url(other.id)
    )
    assert response.status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FRONT_DESK])
def test_only_estheticians_have_hours(app, client, admin, make_user, role):
    other = make_user(role)
    before = snapshot(app)
    assert client.get(hours_url(other.id)).status_code == 404
    response = submit(
        client,
        hours_url(other.id),
        {"weekday": "0", "start_time": "09:00", "end_time": "12:00"},
        page="/admin/hours",
    )
    assert response.status_code == 404
    assert snapshot(app) == before


def test_unknown_ids_are_404(app, client, admin, nora):
    assert client.get(hours_url(999999)).status_code == 404
    response = submit(
        client, f"{hours_url(nora.id)}/999999/remove", page=hours_url(nora.id)
    )
    assert response.status_code == 404


def test_overview_lists_estheticians_only(client, admin, nora, make_user):
    desk = make_user(Role.FRONT_DESK, name="Dana Desk")
    gone = make_user(Role.ESTHETICIAN, name="Gary Gone", active=False)
    page = page_text(client.get("/admin/hours"))
    assert "Nora Jones" in page
    assert "Gary Gone" in page
    assert "Deactivated" in page
    assert desk.name not in page
    assert f'href="/admin/staff/{gone.id}/hours"' in page
