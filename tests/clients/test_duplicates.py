"""The warning before registering a likely duplicate (409), and its override."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from tests.clients.support import (
    NEW,
    audit_rows,
    client_count,
    client_form,
    load_client,
    profile_id,
)
from tests.helpers import submit


def warning(response) -> str:
    """The text of the duplicate warning box ("" if there is none)."""
    match = re.search(
        r'<div class="alert alert-warning" role="alert">(.*?)</div>',
        response.get_data(as_text=True),
        re.DOTALL,
    )
    return page_text_of(match.group(1)) if match else ""


def page_text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def warned_ids(response) -> list[int]:
    match = re.search(
        r'<div class="alert alert-warning" role="alert">(.*?)</div>',
        response.get_data(as_text=True),
        re.DOTALL,
    )
    assert match, "no duplicate warning"
    return [int(i) for i in re.findall(r'href="/clients/(\d+)"', match.group(1))]


def unrelated(**overrides) -> dict:
    """A registration sharing nothing with the existing client of each test."""
    data = client_form(
        given_name="Brand",
        family_name="New",
        date_of_birth="2001-01-01",
        email="brand.new@example.net",
        phone="0161 496 0000",
    )
    data.update(overrides)
    return data


class TestWarning:
    def test_same_name_and_birth_date_in_any_case_or_accent(
        self, app, client, front_desk, make_client
    ):
        existing = make_client(
            given_name="Zoë", family_name="Ångström", date_of_birth=date(1990, 4, 1)
        )

        response = submit(
            client,
            NEW,
            unrelated(
                given_name="ZOE", family_name="angstrom", date_of_birth="1990-04-01"
            ),
        )

        assert response.status_code == 409
        assert warned_ids(response) == [existing.id]
        text = warning(response)
        assert "Zoë Ångström, born 1 April 1990 (same name and date of birth)" in text
        assert 'name="confirm_duplicate"' in response.get_data(as_text=True)
        assert client_count(app) == 1
        assert [e.client_id for e in audit_rows(app, "client.created")] == [existing.id]

    def test_same_name_with_another_birth_date_is_no_duplicate(
        self, app, client, front_desk, make_client
    ):
        make_client(
            given_name="Anna", family_name="Berg", date_of_birth=date(1990, 4, 1)
        )

        response = submit(
            client,
            NEW,
            unrelated(
                given_name="Anna", family_name="Berg", date_of_birth="1990-04-02"
            ),
        )

        assert response.status_code == 302
        assert client_count(app) == 2

    def test_same_email_ignoring_case(self, app, client, front_desk, make_client):
        existing = make_client(email="anna@example.org")

        response = submit(client, NEW, unrelated(email="  Anna@EXAMPLE.org "))

        assert response.status_code == 409
        assert warned_ids(response) == [existing.id]
        assert "(same email)" in warning(response)
        assert client_count(app) == 1

    @pytest.mark.parametrize(
        ("stored", "typed"),
        [
            ("07700 900123", "+44 7700 900123"),
            ("+44 7700 900123", "07700 900123"),
            ("+44 (0)7700-900-123", "07700900123"),
        ],
    )
    def test_same_phone_in_another_format(
        self, app, client, front_desk, make_client, stored, typed
    ):
        existing = make_client(phone=stored)

        response = submit(client, NEW, unrelated(phone=typed))

        assert response.status_code == 409
        assert warned_ids(response) == [existing.id]
        assert "(same phone)" in warning(response)
        assert client_count(app) == 1

    def test_another_phone_is_no_duplicate(self, app, client, front_desk, make_client):
        make_client(phone="07700 900123")

        response = submit(client, NEW, unrelated(phone="07700 900124"))

        assert response.status_code == 302
        assert client_count(app) == 2

    def test_every_reason_and_every_candidate_is_listed(
        self, app, client, front_desk, make_client
    ):
        by_name = make_client(
            given_name="Lan", family_name="Nguyen", date_of_birth=date(1970, 1, 2)
        )
        by_email = make_client(email="lan@example.vn", phone="0123 456 789")

        response = submit(
            client,
            NEW,
            unrelated(
                given_name="Lan",
                family_name="Nguyễn",
                date_of_birth="1970-01-02",
                email="LAN@example.vn",
                phone="+84 123 456 789",
            ),
        )

        assert response.status_code == 409
        assert warned_ids(response) == [by_name.id, by_email.id]
        assert "(same email, same phone)" in warning(response)
        assert "(same name and date of birth)" in warning(response)

    def test_archived_client_is_still_found_and_marked(
        self, app, client, admin, make_client
    ):
        existing = make_client(email="gone@example.org", archived_by=admin.id)

        response = submit(client, NEW, unrelated(email="gone@example.org"))

        assert response.status_code == 409
        assert warned_ids(response) == [existing.id]
        assert "archived" in warning(response)

    def test_warning_shows_markup_as_text(self, client, front_desk, make_client):
        make_client(given_name='<script>alert("x")</script>', email="x@example.org")

        response = submit(client, NEW, unrelated(email="x@example.org"))

        body = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(" in body


class TestConfirm:
    def test_ticking_the_box_creates_the_record(
        self, app, client, front_desk, make_client
    ):
        existing = make_client(phone="07700 900123")
        form = unrelated(phone="+44 7700 900123")
        assert submit(client, NEW, form).status_code == 409

        response = submit(client, NEW, {**form, "confirm_duplicate": "y"})

        new_id = profile_id(response)
        assert new_id != existing.id
        assert client_count(app) == 2
        assert load_client(app, new_id).phone == "+44 7700 900123"

    def test_the_box_does_not_bypass_validation(
        self, app, client, front_desk, make_client
    ):
        make_client(email="anna@example.org")

        response = submit(
            client,
            NEW,
            unrelated(email="anna@example.org", given_name="", confirm_duplicate="y"),
        )

        assert response.status_code == 422
        assert client_count(app) == 1


class TestEditIntoDuplicate:
    def test_editing_into_another_clients_email_warns(
        self, app, client, front_desk, make_client
    ):
        first = make_client(email="first@example.org")
        second = make_client(email="second@example.org")
        url = f"/clients/{second.id}/edit"
        form = client_form(
            given_name=second.given_name,
            family_name=second.family_name,
            date_of_birth=second.date_of_birth.isoformat(),
            email="FIRST@example.org",
            phone="",
        )

        response = submit(client, url, form)

        assert response.status_code == 409
        assert warned_ids(response) == [first.id]
        assert load_client(app, second.id).email == "second@example.org"
        assert audit_rows(app, "client.updated") == []

        confirmed = submit(client, url, {**form, "confirm_duplicate": "y"})

        assert confirmed.status_code == 302
        assert load_client(app, second.id).email == "first@example.org"

    def test_editing_into_another_clients_name_and_birth_date_warns(
        self, app, client, admin, make_client
    ):
        first = make_client(
            given_name="Σοφία",
            family_name="Παπαδοπούλου",
            date_of_birth=date(1988, 8, 8),
        )
        second = make_client(given_name="Sofia", date_of_birth=date(1988, 8, 8))

        response = submit(
            client,
            f"/clients/{second.id}/edit",
            unrelated(
                given_name="ΣΟΦΙΑ",
                family_name="Παπαδοπουλου",
                date_of_birth="1988-08-08",
            ),
        )

        assert response.status_code == 409
        assert warned_ids(response) == [first.id]
        assert load_client(app, second.id).given_name == "Sofia"

    def test_a_client_is_not_its_own_duplicate(self, app, client, admin, make_client):
        row = make_client(email="me@example.org", phone="07700 900123")

        response = submit(
            client,
            f"/clients/{row.id}/edit",
            client_form(
                given_name=row.given_name,
                family_name=row.family_name,
                date_of_birth=row.date_of_birth.isoformat(),
                email="me@example.org",
                phone="07700 900123",
                notes="Changed note",
            ),
        )

        assert response.status_code == 302
        assert load_client(app, row.id).notes == "Changed note"
