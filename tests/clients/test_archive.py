"""Archiving and restoring clients: admins only, a reason, nothing deleted."""

from __future__ import annotations

import pytest

from clinic.roles import Role
from tests.clients.support import (
    NEW,
    audit_rows,
    client_count,
    field_error,
    listed_ids,
    load_client,
    page_text,
    search,
)
from tests.helpers import submit


def archive(client, client_id: int, reason: str | None = "Moved abroad"):
    data = {} if reason is None else {"reason": reason}
    return submit(client, f"/clients/{client_id}/archive", data, page=NEW)


def restore(client, client_id: int):
    return submit(client, f"/clients/{client_id}/restore", page=NEW)


class TestArchive:
    def test_admin_archives_with_a_reason_and_the_record_stays(
        self, app, client, admin, make_client
    ):
        row = make_client(given_name="Ada", family_name="Byron")
        before = client_count(app)

        response = archive(client, row.id, "  Moved   abroad ")

        assert response.status_code == 302
        assert response.location == f"/clients/{row.id}"
        stored = load_client(app, row.id)
        assert stored.archived_at is not None
        assert stored.archived_by_id == admin.id
        assert stored.archive_reason == "Moved abroad"
        assert client_count(app) == before
        events = audit_rows(app, "client.archived")
        assert [(e.client_id, e.user_id) for e in events] == [(row.id, admin.id)]

        profile = client.get(f"/clients/{row.id}")
        assert profile.status_code == 200
        text = page_text(profile)
        assert "Ada Byron was archived. The record is kept." in text
        assert "Archived" in text
        assert "Moved abroad" in text

    def test_the_profile_offers_the_archive_form_to_admins(
        self, client, admin, make_client
    ):
        row = make_client()

        page = client.get(f"/clients/{row.id}").get_data(as_text=True)

        assert f'action="/clients/{row.id}/archive"' in page

    @pytest.mark.parametrize("reason", [None, "", "    "])
    def test_reason_is_required(self, app, client, admin, make_client, reason):
        row = make_client()

        response = archive(client, row.id, reason)

        assert response.status_code == 422
        assert field_error(response, "reason") == "Say why the record is archived."
        assert load_client(app, row.id).archived_at is None
        assert audit_rows(app, "client.archived") == []

    def test_reason_over_200_characters_is_refused(
        self, app, client, admin, make_client
    ):
        row = make_client()

        response = archive(client, row.id, "r" * 201)

        assert response.status_code == 422
        assert "200 characters" in field_error(response, "reason")
        assert load_client(app, row.id).archived_at is None

    @pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
    def test_other_roles_are_refused(self, app, client, login_as, make_client, role):
        row = make_client()
        login_as(role)

        page = client.get(f"/clients/{row.id}").get_data(as_text=True)
        response = archive(client, row.id)

        assert f'action="/clients/{row.id}/archive"' not in page
        assert response.status_code == 403
        assert load_client(app, row.id).archived_at is None
        assert audit_rows(app, "client.archived") == []

    def test_without_csrf_token_nothing_changes(self, app, client, admin, make_client):
        row = make_client()

        response = client.post(f"/clients/{row.id}/archive", data={"reason": "x"})

        assert response.status_code == 400
        assert load_client(app, row.id).archived_at is None

    def test_unknown_client_is_404(self, client, admin):
        assert archive(client, 999999).status_code == 404
        assert restore(client, 999999).status_code == 404


class TestArchivedRecord:
    @pytest.mark.parametrize("role", list(Role))
    def test_stays_reachable_by_id(
        self, client, login_as, make_user, make_client, role
    ):
        owner = make_user(Role.ADMIN)
        row = make_client(given_name="Kept", archived_by=owner.id)
        login_as(role)

        response = client.get(f"/clients/{row.id}")

        assert response.status_code == 200
        assert "Kept" in page_text(response)
        assert "Archived" in page_text(response)

    def test_cannot_be_deleted_over_http(self, app, client, admin, make_client):
        row = make_client()

        response = client.delete(f"/clients/{row.id}")

        assert response.status_code == 405
        assert load_client(app, row.id).id == row.id


class TestRestore:
    def test_admin_restores_and_search_finds_it_again(
        self, app, client, admin, make_client
    ):
        row = make_client(given_name="Ada", family_name="Byron", archived_by=admin.id)
        assert listed_ids(search(client, "byron")) == []

        response = restore(client, row.id)

        assert response.status_code == 302
        stored = load_client(app, row.id)
        assert stored.archived_at is None
        assert stored.archived_by_id is None
        assert stored.archive_reason == ""
        assert [e.client_id for e in audit_rows(app, "client.restored")] == [row.id]
        assert "Ada Byron is active again." in page_text(client.get(response.location))
        assert listed_ids(search(client, "byron")) == [row.id]

    @pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
    def test_other_roles_are_refused(
        self, app, client, login_as, make_user, make_client, role
    ):
        owner = make_user(Role.ADMIN)
        row = make_client(archived_by=owner.id)
        login_as(role)

        response = restore(client, row.id)

        assert response.status_code == 403
        assert load_client(app, row.id).archived_at is not None
        assert audit_rows(app, "client.restored") == []

    def test_archive_and_restore_keep_every_row(self, app, client, admin, make_client):
        rows = [make_client() for _ in range(3)]

        for row in rows:
            assert archive(client, row.id).status_code == 302
        assert client_count(app) == 3
        assert restore(client, rows[1].id).status_code == 302

        assert client_count(app) == 3
        assert [load_client(app, r.id).archived for r in rows] == [True, False, True]
