"""Consent texts: admins edit them, every edit is a new version, and every intake
keeps (and shows) exactly the version that was signed."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from clinic.audit import AuditEvent
from clinic.extensions import db
from clinic.intake.models import ConsentDocument, ConsentKind, Intake
from clinic.intake.services import current_consents
from clinic.roles import Role
from tests.helpers import submit
from tests.intake.test_eligibility import add_client, sign_intake

CONSENTS = "/admin/consents"
OLD_BODY_START = "I consent to microcurrent facial treatment by the clinic's"
NEW_TITLE = "Consent to microcurrent treatment (2027)"
NEW_BODY = (
    "I consent to microcurrent facial treatment. I will tell the esthetician at "
    "once if I feel twitching, a metallic taste or see flashes of light."
)


def documents(app, kind: ConsentKind) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [
            (doc.version, doc.title, doc.body)
            for doc in db.session.scalars(
                select(ConsentDocument)
                .where(ConsentDocument.kind == kind)
                .order_by(ConsentDocument.version)
            )
        ]


def edit(client, kind: str = "treatment", title=NEW_TITLE, body=NEW_BODY):
    return submit(client, f"{CONSENTS}/{kind}", {"title": title, "body": body})


def page(client, url: str) -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


class TestAccess:
    @pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
    def test_only_admins(self, app, client, login_as, role):
        login_as(role)
        assert client.get(CONSENTS).status_code == 403
        assert client.get(f"{CONSENTS}/treatment").status_code == 403
        response = submit(
            client,
            f"{CONSENTS}/treatment",
            {"title": NEW_TITLE, "body": NEW_BODY},
            page="/dashboard",
        )
        assert response.status_code == 403
        assert len(documents(app, ConsentKind.TREATMENT)) == 1


class TestSeeded:
    def test_version_1_of_each_text_is_seeded(self, app, admin, client):
        with app.app_context():
            current = current_consents()
            assert {kind: doc.version for kind, doc in current.items()} == {
                kind: 1 for kind in ConsentKind
            }
            titles = [current[kind].title for kind in ConsentKind]
        overview = page(client, CONSENTS)
        for title in titles:
            assert title in overview
        assert OLD_BODY_START in overview


class TestEdit:
    def test_editing_makes_version_2_and_keeps_version_1(self, app, admin, client):
        [(_, old_title, old_body)] = documents(app, ConsentKind.TREATMENT)

        response = edit(client)

        assert response.status_code == 302
        assert response.location == CONSENTS
        assert documents(app, ConsentKind.TREATMENT) == [
            (1, old_title, old_body),
            (2, NEW_TITLE, NEW_BODY),
        ]
        assert len(documents(app, ConsentKind.DATA)) == 1
        with app.app_context():
            current = current_consents()
            assert current[ConsentKind.TREATMENT].version == 2
            assert current[ConsentKind.TREATMENT].created_by_id == admin.id
            assert current[ConsentKind.DATA].version == 1
            event = db.session.scalar(
                select(AuditEvent).where(AuditEvent.action == "consent.new_version")
            )
            assert (event.entity_id, event.details, event.user_id) == (
                str(current[ConsentKind.TREATMENT].id),
                "treatment v2",
                admin.id,
            )
        overview = page(client, CONSENTS)
        assert "Saved as version 2." in overview
        assert NEW_BODY in overview and OLD_BODY_START not in overview
        form = page(client, f"{CONSENTS}/treatment")
        assert "Version 2" in form and "Version 1" in form

    def test_a_second_edit_makes_version_3(self, app, admin, client):
        edit(client)
        edit(client, body=NEW_BODY + " I may stop at any time.")
        assert [v for v, _, _ in documents(app, ConsentKind.TREATMENT)] == [1, 2, 3]

    def test_intakes_keep_the_version_they_signed(self, app, admin, client):
        with app.app_context():
            client_id = add_client()
            old_id = sign_intake(client_id, photo=True).id

        assert edit(client).status_code == 302
        assert (
            edit(client, "photo", "Photographs", "You may photograph me.").status_code
            == 302
        )

        with app.app_context():
            new = sign_intake(client_id, photo=True)
            new_id = new.id
            assert new.treatment_consent.version == 2
            assert new.photo_consent.version == 2
            assert new.data_consent.version == 1
            old = db.session.get(Intake, old_id)
            assert (old.treatment_consent.version, old.photo_consent.version) == (1, 1)

        old_page = page(client, f"/intakes/{old_id}")
        assert OLD_BODY_START in old_page
        assert NEW_BODY not in old_page
        assert "(version 1)" in old_page and "(version 2)" not in old_page
        new_page = page(client, f"/intakes/{new_id}")
        assert NEW_BODY in new_page
        assert OLD_BODY_START not in new_page
        assert f"{NEW_TITLE} (version 2)" in new_page
        assert "You may photograph me." in new_page

    def test_new_intakes_are_asked_to_sign_the_new_text(self, app, admin, client):
        with app.app_context():
            client_id = add_client()
        edit(client)
        form = page(client, f"/clients/{client_id}/intake/new")
        assert NEW_BODY in form
        assert OLD_BODY_START not in form

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_an_unknown_kind_is_404(self, admin, client, method):
        if method == "get":
            response = client.get(f"{CONSENTS}/marketing")
        else:
            response = submit(
                client,
                f"{CONSENTS}/marketing",
                {"title": "Marketing", "body": "Send me offers."},
                page=f"{CONSENTS}/treatment",
            )
        assert response.status_code == 404

    def test_nothing_changed_is_refused(self, app, admin, client):
        [(_, title, body)] = documents(app, ConsentKind.TREATMENT)
        response = edit(client, title=title, body=body)
        assert response.status_code == 422
        assert "Nothing changed." in response.get_data(as_text=True)
        assert len(documents(app, ConsentKind.TREATMENT)) == 1

    def test_surrounding_spaces_are_not_a_change(self, app, admin, client):
        [(_, title, body)] = documents(app, ConsentKind.TREATMENT)
        response = edit(client, title=f"  {title} ", body=f"\n{body}\n  ")
        assert response.status_code == 422
        assert len(documents(app, ConsentKind.TREATMENT)) == 1

    @pytest.mark.parametrize(
        ("title", "body"), [("", NEW_BODY), (NEW_TITLE, ""), (NEW_TITLE, "   ")]
    )
    def test_title_and_text_are_required(self, app, admin, client, title, body):
        response = edit(client, title=title, body=body)
        assert response.status_code == 422
        assert "This field is required." in response.get_data(as_text=True)
        assert len(documents(app, ConsentKind.TREATMENT)) == 1

    def test_markup_in_the_text_is_shown_escaped(self, app, admin, client):
        edit(client, body="<script>alert(1)</script> I agree.")
        raw = client.get(CONSENTS).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in raw
        assert "&lt;script&gt;alert(1)&lt;/script&gt; I agree." in raw
