"""Plain examples for every failure the fuzzer found, so each stays fixed
without depending on hypothesis finding it again. Run on both databases:
NUL and oversized values only fail on PostgreSQL."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm

import clinic
from clinic.forms_common import CONTROL_CHARACTERS, OUT_OF_RANGE, ClinicForm
from clinic.roles import Role
from tests.clients.support import NEW, client_count, client_form, field_error
from tests.fuzz.world import build_world
from tests.helpers import submit
from tests.visits.support import frozen_clock, notes_of, save, zone


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_form_of_the_app_refuses_control_characters(app):
    for module in pkgutil.walk_packages(clinic.__path__, "clinic."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    plain = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _all_subclasses(FlaskForm)
        if cls.__module__.startswith("clinic.") and not issubclass(cls, ClinicForm)
    )
    assert not plain, f"forms not built on clinic.forms_common.ClinicForm: {plain}"


@pytest.mark.parametrize("value", ["Ann\x00a", "\x00", "Anna\x1b[31m", "An\x08na"])
def test_control_characters_in_a_name_get_a_field_message(
    client, front_desk, app, value
):
    """Was a 500 on PostgreSQL ("cannot contain NUL (0x00) characters")."""
    response = submit(client, NEW, client_form(given_name=value))
    assert response.status_code == 422
    assert field_error(response, "given_name") == CONTROL_CHARACTERS
    assert client_count(app) == 0


def test_tabs_and_new_lines_are_still_welcome(client, front_desk, app):
    response = submit(
        client, NEW, client_form(address="1 Lane\r\nLondon", notes="a\tb")
    )
    assert response.status_code == 302
    assert client_count(app) == 1


def test_nul_in_a_nested_row_is_refused(app, make_user):
    """Sub-forms (the aftercare template's instruction rows) are checked too."""
    with frozen_clock():
        world = build_world(app, make_user)
        browser = world.browser(app, "admin")
        url = f"/admin/aftercare/{world.clinic.service_id}"
        response = submit(
            browser, url, {"title": "Sheet", "items-0-text": "Drink\x00water"}
        )
    assert response.status_code == 422
    assert CONTROL_CHARACTERS in response.get_data(as_text=True)


def test_series_confirm_with_a_tampered_protocol_is_a_400(app, make_user):
    """Was a 500: int() of the hidden protocol field."""
    with frozen_clock():
        world = build_world(app, make_user)
        browser = world.browser(app, "front_desk")
        response = submit(
            browser,
            f"/clients/{world.client_id}/series/confirm",
            {"protocol": "<script>alert(1)</script>"},
            page="/dashboard",
        )
    assert response.status_code == 400


def test_a_400_digit_number_is_a_field_message(app, make_user):
    """Was a 500: WTForms' NumberRange compares through float() (OverflowError)."""
    with frozen_clock():
        world = build_world(app, make_user)
        admin = world.browser(app, "admin")
        url = f"/admin/screening/rules/{world.rule_code}"
        response = submit(
            admin,
            url,
            {
                "label": "Implant",
                "question": "Any implant?",
                "rule_class": "temporary",
                "waiting_days": "9" * 400,
                "note": "fuzz",
            },
        )
    assert response.status_code == 422
    assert OUT_OF_RANGE in response.get_data(as_text=True)


def test_a_duration_beyond_the_integer_column_is_a_field_message(app, make_user):
    """Was a 500 on PostgreSQL (integer out of range) for a treated zone."""
    with frozen_clock():
        world = build_world(app, make_user)
        esthetician = world.browser(app, "esthetician")
        response = save(
            esthetician, world.draft_visit_id, zone("neck", duration="99999999999")
        )
    assert response.status_code == 422
    assert OUT_OF_RANGE in response.get_data(as_text=True)
    assert notes_of(app, world.draft_visit_id) == {}


@pytest.mark.parametrize("chosen", ["2147483648", "-1", "9" * 30])
def test_week_of_an_impossible_esthetician_is_a_404(
    client, make_user, front_desk, chosen
):
    """Was a 500 on PostgreSQL (integer out of range) for 2147483648."""
    make_user(Role.ESTHETICIAN)
    response = client.get(f"/calendar/week?esthetician={chosen}")
    assert response.status_code == 404


def test_hidden_ids_beyond_the_integer_columns_are_a_400(app, make_user):
    """Were a 500: the hidden ids of a free-time button and of the series
    confirmation were looked up whatever their size (PostgreSQL from 2^31,
    SQLite from 2^63)."""
    with frozen_clock():
        world = build_world(app, make_user)
        browser = world.browser(app, "front_desk")
        slot = {
            "service_id": str(world.clinic.service_id),
            "esthetician_id": str(world.clinic.estheticians[0]),
            "room_id": "any",
            "device_id": "any",
            "start": "2030-01-07T10:00:00+00:00",
        }
        tampered = [
            *(
                {name: value}
                for name in ("service_id", "esthetician_id")
                for value in (str(2**31), str(2**63))
            ),
            {"room_id": str(2**63)},
            {"device_id": str(2**31)},
            {"series_id": str(2**63), "session_number": "1"},
            {"series_id": "1", "session_number": str(2**31)},
        ]
        statuses = {}
        for change in tampered:
            response = submit(
                browser,
                f"/clients/{world.client_id}/book",
                {**slot, **change},
                page="/dashboard",
            )
            statuses[str(change)] = response.status_code
        for value in (2**31, 2**63):
            response = submit(
                browser,
                f"/clients/{world.client_id}/series/confirm",
                {"protocol": str(value)},
                page="/dashboard",
            )
            statuses[f"protocol {value}"] = response.status_code
    assert statuses == dict.fromkeys(statuses, 400)
