"""Services: list, create, edit, deactivate and reactivate through the pages."""

from __future__ import annotations

import pytest

from clinic.catalogue.models import Service
from tests.catalogue.support import (
    SEED_SERVICE,
    audit_rows,
    count,
    field_error,
    find,
    page_text,
    row,
    seed_service_id,
    service_form,
    snapshot,
)
from tests.helpers import submit

NEW = "/admin/services/new"


def test_list_shows_the_seeded_service(client, admin):
    response = client.get("/admin/services")
    assert response.status_code == 200
    page = page_text(response)
    assert SEED_SERVICE in page
    assert "60 min" in page
    assert "Add a service" in page


def test_create_stores_every_field_and_audits(app, client, admin):
    before = count(app, Service)

    response = submit(client, NEW, service_form(name="  Lift   and tone "))

    assert response.status_code == 302
    assert response.location == "/admin/services"
    assert "The service “Lift and tone” was added." in page_text(
        client.get("/admin/services")
    )
    assert count(app, Service) == before + 1
    stored = find(app, Service, name="Lift and tone")
    assert stored["description"] == "Forty-five minutes, face and neck."
    assert stored["duration_minutes"] == 45
    assert stored["buffer_minutes"] == 10
    assert stored["needs_device"] is True
    assert stored["needs_screening"] is True
    assert stored["active"] is True
    assert audit_rows(app, "service.") == [
        ("service.created", admin.id, "service", str(stored["id"]), "")
    ]


def test_unticked_boxes_store_false_and_empty_description(app, client, admin):
    data = service_form(needs_device=None, needs_screening=None, description="")
    assert submit(client, NEW, data).status_code == 302
    stored = find(app, Service, name="Lift and tone")
    assert stored["needs_device"] is False
    assert stored["needs_screening"] is False
    assert stored["description"] == ""


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name."),
        ({"name": "x" * 121}, "name", "Field cannot be longer than 120 characters."),
        (
            {"duration_minutes": "4"},
            "duration_minutes",
            "The duration must be between 5 and 480 minutes.",
        ),
        (
            {"duration_minutes": "481"},
            "duration_minutes",
            "The duration must be between 5 and 480 minutes.",
        ),
        ({"duration_minutes": ""}, "duration_minutes", "Enter a whole number."),
        ({"duration_minutes": "1.5"}, "duration_minutes", "Enter a whole number."),
        ({"buffer_minutes": "ten"}, "buffer_minutes", "Enter a whole number."),
        (
            {"buffer_minutes": "-1"},
            "buffer_minutes",
            "The buffer must be between 0 and 120 minutes.",
        ),
        (
            {"buffer_minutes": "121"},
            "buffer_minutes",
            "The buffer must be between 0 and 120 minutes.",
        ),
        (
            {"description": "d" * 2001},
            "description",
            "Field cannot be longer than 2000 characters.",
        ),
    ],
)
def test_bad_input_is_shown_next_to_the_field(
    app, client, admin, overrides, field, message
):
    before = snapshot(app)
    response = submit(client, NEW, service_form(**overrides))
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message
    assert snapshot(app) == before


@pytest.mark.parametrize("duration", ["5", "480"])
def test_duration_limits_are_inclusive(app, client, admin, duration):
    data = service_form(duration_minutes=duration, buffer_minutes="0")
    assert submit(client, NEW, data).status_code == 302
    assert find(app, Service, name="Lift and tone")["duration_minutes"] == int(duration)


@pytest.mark.parametrize(
    "name", [SEED_SERVICE, "MICROCURRENT FACIAL", " microcurrent  facial "]
)
def test_duplicate_name_is_refused_whatever_its_case(app, client, admin, name):
    before = snapshot(app)
    response = submit(client, NEW, service_form(name=name))
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == (
        "A service with this name already exists."
    )
    assert snapshot(app) == before


def test_edit_changes_fields_and_audits_their_names(app, client, admin):
    service_id = seed_service_id(app)
    url = f"/admin/services/{service_id}"
    page = page_text(client.get(url))
    assert 'value="Microcurrent facial"' in page

    data = service_form(
        name="Microcurrent facial",
        description="Full-face microcurrent treatment, neck upwards.",
        duration_minutes="75",
        buffer_minutes="15",
        needs_screening="y",
    )
    response = submit(client, url, data)

    assert response.status_code == 302
    stored = row(app, Service, service_id)
    assert stored["duration_minutes"] == 75
    assert audit_rows(app, "service.") == [
        (
            "service.updated",
            admin.id,
            "service",
            str(service_id),
            "fields: duration_minutes",
        )
    ]


def test_saving_unchanged_writes_no_audit_row(app, client, admin):
    service_id = seed_service_id(app)
    data = service_form(
        name="Microcurrent facial",
        description="Full-face microcurrent treatment, neck upwards.",
        duration_minutes="60",
        buffer_minutes="15",
    )
    response = submit(client, f"/admin/services/{service_id}", data)
    assert response.status_code == 302
    assert "Nothing changed." in page_text(client.get("/admin/services"))
    assert audit_rows(app, "service.") == []


def test_renaming_only_the_case_of_its_own_name_is_allowed(app, client, admin):
    service_id = seed_service_id(app)
    data = service_form(
        name="MICROCURRENT facial",
        description="Full-face microcurrent treatment, neck upwards.",
        duration_minutes="60",
        buffer_minutes="15",
    )
    assert submit(client, f"/admin/services/{service_id}", data).status_code == 302
    assert row(app, Service, service_id)["name"] == "MICROCURRENT facial"


def test_edit_to_another_services_name_is_refused(app, client, admin):
    assert submit(client, NEW, service_form()).status_code == 302
    other = find(app, Service, name="Lift and tone")
    before = snapshot(app)

    response = submit(
        client,
        f"/admin/services/{other['id']}",
        service_form(name="microcurrent FACIAL"),
    )

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == (
        "A service with this name already exists."
    )
    assert snapshot(app) == before


def test_edit_with_bad_input_changes_nothing(app, client, admin):
    service_id = seed_service_id(app)
    before = snapshot(app)
    response = submit(
        client, f"/admin/services/{service_id}", service_form(duration_minutes="0")
    )
    assert response.status_code == 422
    assert snapshot(app) == before


def test_deactivate_and_reactivate(app, client, admin):
    service_id = seed_service_id(app)

    response = submit(
        client, f"/admin/services/{service_id}/deactivate", page="/admin/services"
    )

    assert response.status_code == 302
    assert row(app, Service, service_id)["active"] is False
    page = page_text(client.get("/admin/services"))
    assert "“Microcurrent facial” can no longer be booked." in page
    assert "Inactive" in page

    response = submit(
        client, f"/admin/services/{service_id}/reactivate", page="/admin/services"
    )
    assert response.status_code == 302
    assert row(app, Service, service_id)["active"] is True
    assert [r[0] for r in audit_rows(app, "service.")] == [
        "service.deactivated",
        "service.reactivated",
    ]


def test_deactivating_twice_changes_nothing_more(app, client, admin):
    service_id = seed_service_id(app)
    url = f"/admin/services/{service_id}/deactivate"
    submit(client, url, page="/admin/services")
    response = submit(client, url, page="/admin/services")
    assert response.status_code == 302
    assert "was already inactive" in page_text(client.get("/admin/services"))
    assert [r[0] for r in audit_rows(app, "service.")] == ["service.deactivated"]


def test_service_names_are_escaped(app, client, admin):
    name = "<b>Bold</b> facial"
    assert submit(client, NEW, service_form(name=name)).status_code == 302
    html = client.get("/admin/services").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; facial" in html
    assert "<b>Bold</b>" not in html
