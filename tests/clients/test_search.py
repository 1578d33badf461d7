"""Searching clients by any fragment of name, email or phone."""

from __future__ import annotations

import pytest

from clinic.clients.services import SEARCH_CAP
from clinic.roles import Role
from tests.clients.support import (
    LIST,
    field_error,
    listed_ids,
    listed_names,
    page_text,
    search,
)


@pytest.fixture
def people(make_client):
    """A few clients in several scripts; returns {key: id}."""
    rows = {
        "zoe": make_client(
            given_name="Zoë", family_name="Ångström", email="zoe.a@example.se"
        ),
        "sofia": make_client(
            given_name="Σοφία", family_name="Παπαδοπούλου", phone="+30 210 555 0101"
        ),
        "olena": make_client(
            given_name="Олена", family_name="Коваленко", email="o.k@example.ua"
        ),
        "lan": make_client(
            given_name="Nguyễn Thị", family_name="Lan", phone="+84 28 3822 9999"
        ),
        "anna_smith": make_client(
            given_name="Anna",
            family_name="Smith",
            email="anna_k@example.org",
            phone="+44 7700 900123",
        ),
        "anna_jones": make_client(
            given_name="Anna", family_name="Jones", email="annabk@example.org"
        ),
        "bob_smith": make_client(given_name="Bob", family_name="Smith"),
    }
    return {key: row.id for key, row in rows.items()}


class TestMatching:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("nguyen", ["lan"]),
            ("NGUYỄN", ["lan"]),
            ("lan", ["lan"]),
            ("thi lan", ["lan"]),
            ("σοφια", ["sofia"]),  # without the tonos
            ("ΣΟΦΊΑ", ["sofia"]),
            ("παπαδοπουλου", ["sofia"]),
            ("олена", ["olena"]),
            ("КОВАЛ", ["olena"]),
            ("zoe", ["zoe"]),
            ("angstrom", ["zoe"]),
            ("ÅNGSTRÖM", ["zoe"]),
            ("ngstr", ["zoe"]),
        ],
    )
    def test_names_match_ignoring_case_and_accents(
        self, client, front_desk, people, query, expected
    ):
        response = search(client, query)

        assert response.status_code == 200
        assert listed_ids(response) == [people[key] for key in expected]

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("example.ua", ["olena"]),
            ("ZOE.A@", ["zoe"]),
            ("anna_k@example", ["anna_smith"]),
        ],
    )
    def test_email_fragments_match(self, client, admin, people, query, expected):
        assert listed_ids(search(client, query)) == [people[k] for k in expected]

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("900123", ["anna_smith"]),
            ("7700 900", ["anna_smith"]),
            ("7700-900-123", ["anna_smith"]),
            ("3822", ["lan"]),
            ("(210)", ["sofia"]),
            ("555 0101", ["sofia"]),
        ],
    )
    def test_phone_digits_match_whatever_the_formatting(
        self, client, esthetician, people, query, expected
    ):
        assert listed_ids(search(client, query)) == [people[k] for k in expected]

    def test_every_word_must_match(self, client, front_desk, people):
        assert listed_ids(search(client, "anna smith")) == [people["anna_smith"]]
        assert listed_ids(search(client, "smith anna")) == [people["anna_smith"]]
        # Ordered by family name, then given name.
        assert listed_ids(search(client, "smith")) == [
            people["anna_smith"],
            people["bob_smith"],
        ]
        assert listed_ids(search(client, "anna")) == [
            people["anna_jones"],
            people["anna_smith"],
        ]
        assert listed_ids(search(client, "anna 900123")) == [people["anna_smith"]]
        assert listed_ids(search(client, "bob 900123")) == []

    def test_no_match_says_so(self, client, front_desk, people):
        response = search(client, "nobody")

        assert listed_ids(response) == []
        assert "No client matches." in page_text(response)
        assert "0 matches for “nobody”" in page_text(response)


class TestLiteralQuery:
    @pytest.mark.parametrize("query", ["%", "%%", "__", "a%h", "a_na", "%_%"])
    def test_like_wildcards_are_literal(self, client, admin, people, query):
        """``%`` and ``_`` match themselves, not "anything"."""
        response = search(client, query)

        assert response.status_code == 200
        assert listed_ids(response) == []

    @pytest.mark.parametrize("query", ["_", "a_k", "ANNA_K@"])
    def test_underscore_matches_only_an_underscore(self, client, admin, people, query):
        # Only "anna_k@example.org" holds an underscore; as a LIKE pattern
        # "a_k" would also match "annabk@example.org", and "_" everyone.
        assert listed_ids(search(client, query)) == [people["anna_smith"]]

    def test_percent_in_a_stored_email_is_found_literally(
        self, client, admin, make_client, people
    ):
        row = make_client(email="100%pure@example.org")

        assert listed_ids(search(client, "%")) == [row.id]
        assert listed_ids(search(client, "0%p")) == [row.id]

    @pytest.mark.parametrize("query", ["\\", "\\%", "'", '"', "[a]", "*"])
    def test_odd_characters_are_harmless(self, client, admin, people, query):
        response = search(client, query)

        assert response.status_code == 200
        assert listed_ids(response) == []


class TestArchived:
    def test_archived_clients_are_excluded_unless_admin_asks(
        self, client, admin, make_client
    ):
        active = make_client(given_name="Ada", family_name="Lovelace")
        archived = make_client(
            given_name="Ada", family_name="Byron", archived_by=admin.id
        )

        assert listed_ids(search(client, "ada")) == [active.id]
        response = search(client, "ada", archived="1")
        assert listed_ids(response) == [archived.id, active.id]
        assert "Archived" in page_text(response)
        assert 'name="archived"' in response.get_data(as_text=True)

    @pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
    def test_only_admins_may_include_archived(
        self, client, login_as, make_user, make_client, role
    ):
        owner = make_user(Role.ADMIN)
        active = make_client(given_name="Ada", family_name="Lovelace")
        make_client(given_name="Ada", family_name="Byron", archived_by=owner.id)
        login_as(role)

        response = search(client, "ada", archived="1")

        assert listed_ids(response) == [active.id]
        assert 'name="archived"' not in response.get_data(as_text=True)

    def test_recent_list_leaves_archived_out(self, client, admin, make_client):
        active = make_client()
        make_client(archived_by=admin.id)

        assert listed_ids(client.get(LIST)) == [active.id]


class TestRecentAndLimits:
    def test_empty_query_shows_recently_registered_newest_first(
        self, client, front_desk, make_client
    ):
        ids = [make_client().id for _ in range(3)]

        for response in (client.get(LIST), search(client, ""), search(client, "   ")):
            assert response.status_code == 200
            assert "Recently registered" in page_text(response)
            assert listed_ids(response) == ids[::-1]

    def test_query_over_100_characters_is_refused(self, client, front_desk, people):
        response = search(client, "a" * 101)

        assert response.status_code == 422
        assert "100 characters" in field_error(response, "q")
        assert "Recently registered" in page_text(response)

    def test_query_of_100_characters_is_accepted(self, client, front_desk, people):
        response = search(client, "a" * 100)

        assert response.status_code == 200
        assert field_error(response, "q") == ""
        assert listed_ids(response) == []

    def test_the_first_50_by_name_are_listed_with_the_count(
        self, client, front_desk, make_client
    ):
        # Registered in reverse order: the list is by name, not by id.
        names = [f"Given{n:03d}" for n in range(51)]
        for name in reversed(names):
            make_client(given_name=name, family_name="Many")

        response = search(client, "many")

        assert response.status_code == 200
        listed = listed_names(response)
        assert listed == [f"{name} Many" for name in names[:50]]
        text = page_text(response)
        assert "51 matches for “many”" in text
        assert "The first 50 of 51, by name, are shown" in text

    def test_a_fragment_too_common_to_list_asks_for_more(
        self, client, front_desk, make_client
    ):
        for n in range(SEARCH_CAP + 1):
            make_client(given_name=f"Given{n:03d}", family_name="Common")
        make_client(given_name="Pat", family_name="Common")

        response = search(client, "common")

        assert response.status_code == 200
        assert listed_ids(response) == []
        text = page_text(response)
        assert f"More than {SEARCH_CAP} matches for “common”" in text
        assert "Too many clients match to list them" in text
        # More of the name finds the one wanted.
        narrowed = search(client, "pat common")
        assert listed_names(narrowed) == ["Pat Common"]
        assert "1 match for “pat common”" in page_text(narrowed)

    def test_exactly_the_cap_is_still_listed(self, client, front_desk, make_client):
        for n in range(SEARCH_CAP):
            make_client(given_name=f"Given{n:03d}", family_name="Capped")

        response = search(client, "capped")

        assert len(listed_ids(response)) == 50
        assert f"{SEARCH_CAP} matches for “capped”" in page_text(response)

    def test_anonymous_visitor_is_sent_to_sign_in(self, client, people):
        response = search(client, "anna")

        assert response.status_code == 302
        assert response.location.startswith("/login")
