"""A refused edit leaves the stored record exactly as it was: hostile values
in every field, plus one that is surely invalid, and the row is unchanged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clinic.catalogue.models import Device
from clinic.clients.models import Client
from clinic.visits.models import Visit
from tests.catalogue.support import row
from tests.fuzz.harness import TALLY, check_page
from tests.fuzz.strategies import FUZZ_SETTINGS, text_values
from tests.fuzz.world import build_world
from tests.helpers import submit
from tests.visits.support import frozen_clock, notes_of, save, zone

# A value each form refuses whatever the other fields hold.
_CLIENT_BREAKERS = st.sampled_from(
    [
        {"date_of_birth": "2030-02-30"},
        {"given_name": "Ann\x00a"},
        {"email": "not an email"},
        {"notes": "x" * 2001},
    ]
)


def _fields(names):
    return st.fixed_dictionaries({}, optional={name: text_values for name in names})


def test_refused_client_edit_changes_nothing(app, make_user):
    with frozen_clock():
        world = build_world(app, make_user)
        desk = world.browser(app, "front_desk")
        before = row(app, Client, world.client_id)
        url = f"/clients/{world.client_id}/edit"
        names = ["given_name", "family_name", "phone", "address", "notes"]

        @FUZZ_SETTINGS
        @given(hostile=_fields(names), breaker=_CLIENT_BREAKERS)
        def fuzz(hostile, breaker):
            response = submit(
                desk, url, {"date_of_birth": "1985-06-15"} | hostile | breaker
            )
            TALLY.add(response.status_code)
            assert response.status_code == 422
            check_page(response, url)
            assert row(app, Client, world.client_id) == before

        fuzz()


def test_refused_device_edit_changes_nothing(app, make_user):
    with frozen_clock():
        world = build_world(app, make_user)
        admin = world.browser(app, "admin")
        device = world.clinic.devices[0]
        before = row(app, Device, device)
        url = f"/admin/devices/{device}"

        @FUZZ_SETTINGS
        @given(
            hostile=_fields(["name", "model", "serial"]),
            breaker=st.sampled_from(
                [
                    {"max_current_ua": "9" * 30},
                    {"max_current_ua": "NaN"},
                    {"serial": ""},
                    {"name": "x\x00"},
                    {"max_current_ua": "1001"},
                ]
            ),
        )
        def fuzz(hostile, breaker):
            response = submit(admin, url, {"serial": "SN"} | hostile | breaker)
            TALLY.add(response.status_code)
            assert response.status_code == 422
            assert row(app, Device, device) == before

        fuzz()


def test_refused_visit_save_changes_nothing(app, make_user):
    with frozen_clock():
        world = build_world(app, make_user)
        esthetician = world.browser(app, "esthetician")
        visit = world.draft_visit_id
        assert save(esthetician, visit, zone("forehead")).status_code == 302
        before = (row(app, Visit, visit), notes_of(app, visit))

        @FUZZ_SETTINGS
        @given(
            hostile=_fields(["general_notes", "aftercare_note", "skin_before"]),
            breaker=st.sampled_from(
                [
                    zone("neck", current="NaN"),
                    zone("neck", duration="99999999999"),
                    zone("neck", frequency="1e999"),
                    zone("neck", current="5000"),
                    {"general_notes": "\x00"},
                    {"aftercare_note": "y" * 1001},
                ]
            ),
        )
        def fuzz(hostile, breaker):
            response = save(esthetician, visit, zone("forehead"), **(hostile | breaker))
            TALLY.add(response.status_code)
            assert response.status_code == 422
            check_page(response, "visit save")
            assert (row(app, Visit, visit), notes_of(app, visit)) == before

        fuzz()
