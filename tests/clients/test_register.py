"""Registering and editing clients through the real forms (CSRF on)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from clinic.roles import Role
from tests.clients.support import (
    NEW,
    all_clients,
    audit_rows,
    client_count,
    client_form,
    field_error,
    listed_ids,
    load_client,
    page_text,
    profile_id,
    search,
)
from tests.helpers import submit

# 5 March 2030 in London: so date-of-birth boundaries are exact.
NOW = datetime(2030, 3, 5, 9, 0, tzinfo=UTC)

# (given, family, a plain-typed search that must find the client)
INTERNATIONAL_NAMES = [
    ("Zoë", "Ångström", "zoe angstrom"),
    ("Σοφία", "Παπαδοπούλου", "σοφια"),
    ("Олена", "Коваленко", "олена"),
    ("Nguyễn Thị", "Lan", "nguyen lan"),
]


class TestRegister:
    def test_every_field_is_stored_and_lands_on_the_profile(
        self, app, client, front_desk
    ):
        """A full registration stores each field and shows it on the profile."""
        before = client_count(app)

        response = submit(client, NEW, client_form())

        client_id = profile_id(response)
        assert client_count(app) == before + 1
        row = load_client(app, client_id)
        assert row.given_name == "Anna"
        assert row.family_name == "Karlsson"
        assert row.date_of_birth == date(1985, 6, 15)
        assert row.phone == "+44 7700 900123"
        assert row.email == "anna.karlsson@example.org"  # stored case-folded
        assert row.address == "12 Rosemary Lane\nLondon N1 2AB"
        assert row.emergency_contact_name == "Erik Karlsson"
        assert row.emergency_contact_phone == "020 7946 0000"
        assert row.notes == "Prefers morning appointments."
        assert row.created_by_id == front_desk.id
        assert row.archived_at is None
        created = audit_rows(app, "client.created")
        assert [(e.client_id, e.user_id) for e in created] == [
            (client_id, front_desk.id)
        ]

        profile = client.get(response.location)
        assert profile.status_code == 200
        page = page_text(profile)
        assert "Anna Karlsson was registered." in page
        for shown in (
            "Anna Karlsson",
            "Born 15 June 1985",
            "+44 7700 900123",
            "anna.karlsson@example.org",
            "12 Rosemary Lane",
            "London N1 2AB",
            "Erik Karlsson, 020 7946 0000",
            "Prefers morning appointments.",
        ):
            assert shown in page

    def test_only_first_name_and_birth_date_are_required(self, app, client, admin):
        response = submit(
            client,
            NEW,
            {"given_name": "Madonna", "date_of_birth": "1958-08-16"},
        )

        row = load_client(app, profile_id(response))
        assert (row.given_name, row.family_name, row.phone, row.email) == (
            "Madonna",
            "",
            "",
            "",
        )

    def test_names_are_trimmed_and_inner_spaces_collapsed(self, app, client, admin):
        response = submit(
            client,
            NEW,
            client_form(given_name="  Mary   Ann ", family_name=" O'Neil  "),
        )

        row = load_client(app, profile_id(response))
        assert (row.given_name, row.family_name) == ("Mary Ann", "O'Neil")

    @pytest.mark.parametrize(("given", "family", "query"), INTERNATIONAL_NAMES)
    def test_names_in_any_script_are_kept_exactly(
        self, app, client, esthetician, given, family, query
    ):
        response = submit(
            client,
            NEW,
            client_form(given_name=given, family_name=family, email="", phone=""),
        )

        client_id = profile_id(response)
        row = load_client(app, client_id)
        assert (row.given_name, row.family_name) == (given, family)
        profile = page_text(client.get(f"/clients/{client_id}"))
        assert f"{given} {family}" in profile
        assert f"{given} {family} was registered." in profile
        assert listed_ids(search(client, query)) == [client_id]

    def test_the_form_page_shows_every_field(self, client, front_desk):
        page = client.get(NEW).get_data(as_text=True)
        for name in (
            "given_name",
            "family_name",
            "date_of_birth",
            "phone",
            "email",
            "address",
            "emergency_contact_name",
            "emergency_contact_phone",
            "notes",
        ):
            assert f'name="{name}"' in page
        # The "different person" box only appears with a duplicate warning.
        assert 'name="confirm_duplicate"' not in page

    def test_without_csrf_token_nothing_is_stored(self, app, client, admin):
        response = client.post(NEW, data=client_form())

        assert response.status_code == 400
        assert client_count(app) == 0


class TestEdit:
    def test_edit_form_is_prefilled(self, client, admin, make_client):
        row = make_client(
            given_name="Zoë", family_name="Ångström", email="zoe@example.org"
        )

        page = client.get(f"/clients/{row.id}/edit").get_data(as_text=True)

        assert 'value="Zoë"' in page
        assert 'value="Ångström"' in page
        assert 'value="zoe@example.org"' in page

    def test_edit_saves_changes_and_refreshes_search(
        self, app, client, front_desk, make_client
    ):
        row = make_client(given_name="Olena", family_name="Koval", phone="0123 456789")
        url = f"/clients/{row.id}/edit"

        response = submit(
            client,
            url,
            client_form(
                given_name="Олена",
                family_name="Коваленко",
                date_of_birth="1990-02-28",
                phone="07700 900999",
                email="olena@example.ua",
            ),
        )

        assert response.status_code == 302
        assert response.location == f"/clients/{row.id}"
        stored = load_client(app, row.id)
        assert (stored.given_name, stored.family_name) == ("Олена", "Коваленко")
        assert stored.date_of_birth == date(1990, 2, 28)
        assert stored.phone == "07700 900999"
        assert client_count(app) == 1
        assert "The client's details were saved." in page_text(
            client.get(response.location)
        )
        assert listed_ids(search(client, "коваленко")) == [row.id]
        assert listed_ids(search(client, "koval")) == []
        assert listed_ids(search(client, "900999")) == [row.id]
        updated = audit_rows(app, "client.updated")
        assert [(e.client_id, e.user_id) for e in updated] == [(row.id, front_desk.id)]
        assert "family_name" in updated[0].details
        assert "Коваленко" not in updated[0].details  # field names, not values

    def test_saving_unchanged_details_records_no_change(
        self, app, client, admin, make_client
    ):
        row = make_client(
            given_name="Lan",
            family_name="Nguyễn",
            email="lan@example.vn",
            phone="+84 28 3822 9999",
            notes="Tea, no sugar.",
        )
        form = client_form(
            given_name="Lan",
            family_name="Nguyễn",
            date_of_birth=row.date_of_birth.isoformat(),
            email="lan@example.vn",
            phone="+84 28 3822 9999",
            address="",
            emergency_contact_name="",
            emergency_contact_phone="",
            notes="Tea, no sugar.",
        )

        response = submit(client, f"/clients/{row.id}/edit", form)

        assert response.status_code == 302
        assert audit_rows(app, "client.updated") == []
        assert load_client(app, row.id).updated_at == row.updated_at

    def test_edit_with_bad_input_changes_nothing(self, app, client, admin, make_client):
        row = make_client(given_name="Lan", family_name="Nguyen")

        response = submit(
            client,
            f"/clients/{row.id}/edit",
            client_form(given_name="", family_name="Changed"),
        )

        assert response.status_code == 422
        assert field_error(response, "given_name") == "Enter the client's first name."
        stored = load_client(app, row.id)
        assert (stored.given_name, stored.family_name) == ("Lan", "Nguyen")
        assert audit_rows(app, "client.updated") == []

    def test_edit_of_unknown_client_is_404(self, client, admin):
        assert client.get("/clients/999999/edit").status_code == 404


def _bad(field: str, value: str):
    return client_form(**{field: value})


LONG = "x" * 300


class TestBadInput:
    @pytest.mark.parametrize(
        ("form", "field", "message"),
        [
            (_bad("given_name", ""), "given_name", "Enter the client's first name."),
            (_bad("given_name", "   "), "given_name", "Enter the client's first name."),
            (_bad("date_of_birth", ""), "date_of_birth", "Enter the date of birth."),
            (_bad("date_of_birth", "31/02/1990"), "date_of_birth", "date"),
            (
                _bad("date_of_birth", "2030-03-06"),
                "date_of_birth",
                "The date of birth cannot be in the future.",
            ),
            (
                _bad("date_of_birth", "1910-03-04"),
                "date_of_birth",
                "The date of birth cannot be more than 120 years ago.",
            ),
            (_bad("given_name", LONG), "given_name", "100 characters"),
            (_bad("family_name", LONG), "family_name", "100 characters"),
            (_bad("emergency_contact_name", LONG), "emergency_contact_name", "200"),
            (
                _bad("email", "anna.example.org"),
                "email",
                "Enter a valid email address.",
            ),
            (_bad("email", "anna@"), "email", "Enter a valid email address."),
            (_bad("phone", "0770O 9OO123"), "phone", "Enter a phone number"),
            (_bad("phone", "call me"), "phone", "Enter a phone number"),
            (
                _bad("emergency_contact_phone", "ask reception"),
                "emergency_contact_phone",
                "Enter a phone number",
            ),
            (_bad("notes", "n" * 2001), "notes", "2000 characters"),
            (_bad("address", "a" * 501), "address", "500 characters"),
        ],
        ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
    )
    def test_is_refused_with_the_message_next_to_the_field(
        self, app, client, login_as, form, field, message
    ):
        with time_machine.travel(NOW, tick=False):
            login_as(Role.FRONT_DESK)
            response = submit(client, NEW, form)

        assert response.status_code == 422
        assert message in field_error(response, field)
        assert f'id="{field}"' in response.get_data(as_text=True)
        assert client_count(app) == 0
        assert audit_rows(app, "client.created") == []

    @pytest.mark.parametrize(
        "dob", ["2030-03-05", "1910-03-05", "1910-03-06", "2000-02-29"]
    )
    def test_birth_dates_at_the_limits_are_accepted(self, app, client, login_as, dob):
        """Born today, or exactly 120 years ago today, is still plausible."""
        with time_machine.travel(NOW, tick=False):
            login_as(Role.FRONT_DESK)
            response = submit(client, NEW, client_form(date_of_birth=dob))

        assert load_client(app, profile_id(response)).date_of_birth.isoformat() == dob

    def test_longest_allowed_values_are_accepted(self, app, client, admin):
        response = submit(
            client,
            NEW,
            client_form(given_name="g" * 100, family_name="f" * 100, notes="n" * 2000),
        )

        row = load_client(app, profile_id(response))
        assert (len(row.given_name), len(row.family_name), len(row.notes)) == (
            100,
            100,
            2000,
        )

    def test_several_errors_are_all_shown_and_input_is_kept(self, app, client, admin):
        response = submit(
            client,
            NEW,
            client_form(given_name="", email="nope", phone="abc", family_name="Berg"),
        )

        assert response.status_code == 422
        assert field_error(response, "given_name")
        assert field_error(response, "email")
        assert field_error(response, "phone")
        assert field_error(response, "family_name") == ""
        assert 'value="Berg"' in response.get_data(as_text=True)
        assert all_clients(app) == []


SCRIPT = '<script>alert("x")</script>'


class TestEscaping:
    def test_markup_in_name_and_notes_is_shown_as_text(self, app, client, admin):
        response = submit(
            client,
            NEW,
            client_form(
                given_name=SCRIPT,
                family_name="<b>Bold</b>",
                notes="<img src=x onerror=alert(1)> " + SCRIPT,
                address="<i>12</i> Lane",
            ),
        )
        client_id = profile_id(response)
        row = load_client(app, client_id)
        assert row.given_name == SCRIPT  # stored as typed, escaped when shown

        profile = client.get(f"/clients/{client_id}").get_data(as_text=True)
        listing = client.get("/clients").get_data(as_text=True)
        found = search(client, "script").get_data(as_text=True)
        edit = client.get(f"/clients/{client_id}/edit").get_data(as_text=True)
        for page in (profile, listing, found, edit):
            assert "<script>alert" not in page
            assert "<b>Bold</b>" not in page
            assert "&lt;script&gt;alert(" in page
            assert "&lt;b&gt;Bold&lt;/b&gt;" in page
        assert "<img src=x" not in profile
        assert "&lt;img src=x onerror=alert(1)&gt;" in profile
        assert "<i>12</i>" not in profile
        assert "&lt;i&gt;12&lt;/i&gt; Lane" in profile

    def test_markup_in_the_search_query_is_shown_as_text(self, client, admin):
        page = search(client, SCRIPT).get_data(as_text=True)

        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(" in page
