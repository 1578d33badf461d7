"""The client profile: contact details, the screening badge, audited views."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from clinic.roles import Role
from tests.clients.support import (
    NEW,
    audit_rows,
    badge,
    client_form,
    page_text,
    profile_id,
)
from tests.helpers import submit


class TestProfile:
    def test_new_client_has_the_no_intake_badge(self, client, front_desk):
        client_id = profile_id(submit(client, NEW, client_form()))

        response = client.get(f"/clients/{client_id}")

        assert response.status_code == 200
        assert badge(response) == ("no_intake", "No intake")
        text = page_text(response)
        assert "No health questionnaire has been submitted yet." in text
        assert "No intake yet." in text
        # Room for the series, appointments and visits of later issues.
        assert 'aria-labelledby="series-heading"' in response.get_data(as_text=True)

    def test_shows_the_age_on_the_clinic_day(self, client, login_as, make_client):
        with time_machine.travel(datetime(2030, 6, 14, 23, 30, tzinfo=UTC), tick=False):
            # 00:30 on 15 June in London: the birthday has come.
            login_as(Role.FRONT_DESK)
            row = make_client(date_of_birth=date(1985, 6, 15))
            text = page_text(client.get(f"/clients/{row.id}"))

        assert "Born 15 June 1985 · age 45" in text

    @pytest.mark.parametrize("role", list(Role))
    def test_every_role_can_view(self, client, login_as, make_client, role):
        row = make_client(given_name="Olena", family_name="Kovalenko")
        login_as(role)

        response = client.get(f"/clients/{row.id}")

        assert response.status_code == 200
        assert "Olena Kovalenko" in page_text(response)
        assert badge(response) == ("no_intake", "No intake")

    def test_unknown_client_is_404_and_not_audited(self, app, client, admin):
        response = client.get("/clients/999999")

        assert response.status_code == 404
        assert audit_rows(app, "client.viewed") == []

    @pytest.mark.parametrize(
        "url", ["/clients", "/clients/new", "/clients/{id}", "/clients/{id}/edit"]
    )
    def test_anonymous_visitor_is_sent_to_sign_in(self, app, client, make_client, url):
        row = make_client()

        response = client.get(url.format(id=row.id))

        assert response.status_code == 302
        assert response.location.startswith("/login")
        assert audit_rows(app, "client.viewed") == []


class TestAudit:
    def test_every_view_writes_an_audit_row(
        self, app, client, esthetician, make_client
    ):
        row = make_client()
        other = make_client()

        for client_id in (row.id, row.id, other.id):
            assert client.get(f"/clients/{client_id}").status_code == 200

        events = audit_rows(app, "client.viewed")
        assert [(e.client_id, e.entity_type, e.entity_id) for e in events] == [
            (row.id, "client", str(row.id)),
            (row.id, "client", str(row.id)),
            (other.id, "client", str(other.id)),
        ]
        assert {e.user_id for e in events} == {esthetician.id}
        assert all(e.ip for e in events)

    def test_views_keep_the_audit_chain_valid(self, app, client, admin, make_client):
        from clinic.audit import verify_chain

        row = make_client()
        for _ in range(3):
            client.get(f"/clients/{row.id}")

        with app.app_context():
            assert verify_chain().ok
