"""Series protocols: create, edit, gap checks, service choice, deactivate."""

from __future__ import annotations

import pytest

from clinic.catalogue.forms import MIN_ABOVE_MAX, PREFERRED_OUTSIDE
from clinic.catalogue.models import Protocol, Service
from tests.catalogue.support import (
    SEED_PROTOCOLS,
    add_row,
    audit_rows,
    count,
    field_error,
    find,
    page_text,
    protocol_form,
    row,
    seed_service_id,
    snapshot,
)
from tests.helpers import submit

NEW = "/admin/protocols/new"


def test_list_shows_the_seeded_protocols(app, client, admin):
    page = page_text(client.get("/admin/protocols"))
    assert count(app, Protocol) == SEED_PROTOCOLS
    assert "10 sessions, twice a week" in page
    assert "2 / 3 / 5" in page
    assert "every 30 days" in page


def test_create_stores_every_field_and_audits(app, client, admin):
    service_id = seed_service_id(app)

    response = submit(client, NEW, protocol_form(service_id))

    assert response.status_code == 302
    assert response.location == "/admin/protocols"
    stored = find(app, Protocol, name="8 sessions, weekly")
    assert stored["service_id"] == service_id
    assert (
        stored["sessions"],
        stored["min_gap_days"],
        stored["preferred_gap_days"],
        stored["max_gap_days"],
        stored["maintenance_interval_days"],
    ) == (8, 5, 7, 10, 28)
    assert stored["active"] is True
    assert audit_rows(app, "protocol.") == [
        ("protocol.created", admin.id, "protocol", str(stored["id"]), "")
    ]


def test_maintenance_interval_is_optional(app, client, admin):
    data = protocol_form(seed_service_id(app), maintenance_interval_days="")
    assert submit(client, NEW, data).status_code == 302
    assert (
        find(app, Protocol, name="8 sessions, weekly")["maintenance_interval_days"]
        is None
    )


def test_equal_gaps_are_allowed(app, client, admin):
    data = protocol_form(
        seed_service_id(app), min_gap_days="7", preferred_gap_days="7", max_gap_days="7"
    )
    assert submit(client, NEW, data).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"min_gap_days": "11", "preferred_gap_days": "7", "max_gap_days": "10"},
            "min_gap_days",
            MIN_ABOVE_MAX,
        ),
        (
            {"min_gap_days": "5", "preferred_gap_days": "4", "max_gap_days": "10"},
            "preferred_gap_days",
            PREFERRED_OUTSIDE,
        ),
        (
            {"min_gap_days": "5", "preferred_gap_days": "11", "max_gap_days": "10"},
            "preferred_gap_days",
            PREFERRED_OUTSIDE,
        ),
        ({"sessions": "0"}, "sessions", "The number of sessions must be 1 to 100."),
        ({"sessions": "101"}, "sessions", "The number of sessions must be 1 to 100."),
        ({"sessions": ""}, "sessions", "Enter a whole number."),
        (
            {"min_gap_days": "-1"},
            "min_gap_days",
            "A gap must be between 0 and 365 days.",
        ),
        (
            {"max_gap_days": "366"},
            "max_gap_days",
            "A gap must be between 0 and 365 days.",
        ),
        (
            {"maintenance_interval_days": "0"},
            "maintenance_interval_days",
            "The maintenance interval must be between 1 and 730 days.",
        ),
        (
            {"maintenance_interval_days": "soon"},
            "maintenance_interval_days",
            "Enter a whole number.",
        ),
        ({"name": ""}, "name", "Enter a name."),
        ({"service_id": "999999"}, "service_id", "Choose an active service."),
    ],
)
def test_bad_input_is_shown_next_to_the_field(
    app, client, admin, overrides, field, message
):
    before = snapshot(app)
    response = submit(client, NEW, protocol_form(seed_service_id(app), **overrides))
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message
    assert snapshot(app) == before


def test_an_inactive_service_cannot_be_chosen(app, client, admin):
    retired = add_row(app, Service, name="Retired", duration_minutes=30, active=False)
    page = client.get(NEW).get_data(as_text=True)
    assert "Retired" not in page
    assert "Microcurrent facial" in page
    before = snapshot(app)

    response = submit(client, NEW, protocol_form(retired))

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "service_id") == (
        "Choose an active service."
    )
    assert snapshot(app) == before


def test_duplicate_name_is_refused_whatever_its_case(app, client, admin):
    before = snapshot(app)
    data = protocol_form(seed_service_id(app), name="10 SESSIONS, Twice A Week")
    response = submit(client, NEW, data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == (
        "A protocol with this name already exists."
    )
    assert snapshot(app) == before


def _seeded(app) -> dict:
    return find(app, Protocol, name="6 sessions, about 10 days apart")


def test_edit_changes_gaps_and_audits_the_fields(app, client, admin):
    protocol = _seeded(app)
    url = f"/admin/protocols/{protocol['id']}"
    assert 'value="6 sessions, about 10 days apart"' in page_text(client.get(url))
    data = protocol_form(
        protocol["service_id"],
        name=protocol["name"],
        sessions="6",
        min_gap_days="7",
        preferred_gap_days="10",
        max_gap_days="14",
        maintenance_interval_days="",
    )

    response = submit(client, url, data)

    assert response.status_code == 302
    stored = row(app, Protocol, protocol["id"])
    assert (stored["min_gap_days"], stored["max_gap_days"]) == (7, 14)
    assert audit_rows(app, "protocol.") == [
        (
            "protocol.updated",
            admin.id,
            "protocol",
            str(protocol["id"]),
            "fields: max_gap_days, min_gap_days",
        )
    ]


def test_edit_with_crossed_gaps_is_refused(app, client, admin):
    protocol = _seeded(app)
    before = snapshot(app)
    data = protocol_form(
        protocol["service_id"], min_gap_days="20", preferred_gap_days="7"
    )
    response = submit(client, f"/admin/protocols/{protocol['id']}", data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "min_gap_days") == (
        MIN_ABOVE_MAX
    )
    assert snapshot(app) == before


def test_a_protocol_keeps_its_deactivated_service_when_edited(app, client, admin):
    service_id = seed_service_id(app)
    protocol = _seeded(app)
    submit(client, f"/admin/services/{service_id}/deactivate", page="/admin/services")
    url = f"/admin/protocols/{protocol['id']}"
    assert "Microcurrent facial (inactive)" in page_text(client.get(url))
    data = protocol_form(
        service_id,
        name=protocol["name"],
        sessions="7",
        min_gap_days="8",
        preferred_gap_days="10",
        max_gap_days="12",
        maintenance_interval_days="",
    )

    assert submit(client, url, data).status_code == 302
    assert row(app, Protocol, protocol["id"])["sessions"] == 7


def test_deactivate_and_reactivate(app, client, admin):
    protocol = _seeded(app)
    url = f"/admin/protocols/{protocol['id']}"
    assert (
        submit(client, f"{url}/deactivate", page="/admin/protocols").status_code == 302
    )
    assert row(app, Protocol, protocol["id"])["active"] is False
    assert (
        submit(client, f"{url}/reactivate", page="/admin/protocols").status_code == 302
    )
    assert row(app, Protocol, protocol["id"])["active"] is True
    assert [r[0] for r in audit_rows(app, "protocol.")] == [
        "protocol.deactivated",
        "protocol.reactivated",
    ]


def test_reactivating_a_protocol_of_an_inactive_service_is_refused(app, client, admin):
    protocol = _seeded(app)
    service_id = seed_service_id(app)
    url = f"/admin/protocols/{protocol['id']}"
    submit(client, f"{url}/deactivate", page="/admin/protocols")
    submit(client, f"/admin/services/{service_id}/deactivate", page="/admin/services")
    before = snapshot(app)

    response = submit(client, f"{url}/reactivate", page="/admin/protocols")

    assert response.status_code == 409
    assert "reactivate the service first" in page_text(response)
    assert snapshot(app) == before
