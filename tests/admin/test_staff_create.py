"""Listing staff and creating accounts through the admin pages."""

from __future__ import annotations

import pytest

from clinic.admin.services import DUPLICATE_EMAIL
from clinic.roles import Role
from tests.admin.staff import (
    NEW_PASSWORD,
    audit_rows,
    field_error,
    find_user,
    new_staff_form,
    page_text,
    sign_in_elsewhere,
    staff_count,
)
from tests.helpers import submit

NEW = "/admin/staff/new"


class TestStaffList:
    def test_lists_every_account_with_role_and_status(self, client, admin, make_user):
        """The list shows each account's name, email, role and active state."""
        desk = make_user(Role.FRONT_DESK, name="Dana Desk")
        gone = make_user(Role.ESTHETICIAN, name="Gary Gone", active=False)

        response = client.get("/admin/staff")

        assert response.status_code == 200
        page = page_text(response)
        for user in (admin, desk, gone):
            assert user.name in page
            assert user.email in page
            assert f'href="/admin/staff/{user.id}"' in page
        assert "Front desk" in page
        assert "Esthetician" in page
        assert "Owner / admin" in page
        assert page.count("Deactivated") == 1

    def test_html_in_a_name_is_shown_escaped(self, client, admin):
        """A name holding markup is text everywhere it is shown, never markup."""
        name = '<script>alert("x")</script><b>Bold</b>'
        response = submit(client, NEW, new_staff_form(name=name))
        assert response.status_code == 302

        listing = client.get("/admin/staff").get_data(as_text=True)
        assert "&lt;script&gt;alert(" in listing
        assert "&lt;b&gt;Bold&lt;/b&gt;" in listing
        assert "<script>alert" not in listing
        assert "<b>Bold</b>" not in listing

        user = find_user(client.application, "nora.jones@test.clinic")
        edit_page = client.get(f"/admin/staff/{user.id}").get_data(as_text=True)
        assert "&lt;script&gt;alert(" in edit_page
        assert "<script>alert" not in edit_page


class TestCreateAccount:
    def test_created_account_can_sign_in(self, app, client, admin):
        """A new account is stored as entered and its password signs it in."""
        before = staff_count(app)
        response = submit(
            client,
            NEW,
            new_staff_form(name="  Nora Jones  ", email="Nora.Jones@Test.Clinic"),
        )

        assert response.status_code == 302
        assert response.location == "/admin/staff"
        assert "Account created for Nora Jones." in page_text(
            client.get("/admin/staff")
        )
        assert staff_count(app) == before + 1
        user = find_user(app, "nora.jones@test.clinic")
        assert user.name == "Nora Jones"
        assert user.role == Role.ESTHETICIAN
        assert user.active
        assert not user.must_change_password
        assert NEW_PASSWORD not in user.password_hash

        browser = sign_in_elsewhere(app, user, NEW_PASSWORD)
        dashboard = page_text(browser.get("/dashboard"))
        assert "Nora Jones · Esthetician" in dashboard

    @pytest.mark.parametrize("role", list(Role))
    def test_each_role_can_be_given(self, app, client, admin, role):
        """Every role in the choice list creates an account with that role."""
        email = f"new-{role.value}@test.clinic"
        response = submit(client, NEW, new_staff_form(email=email, role=role.value))
        assert response.status_code == 302
        assert find_user(app, email).role == role

    def test_duplicate_email_is_refused_whatever_its_case(
        self, app, client, admin, make_user
    ):
        """An email already in use, in any letter case, is refused at the field."""
        make_user(Role.FRONT_DESK, email="nora.jones@test.clinic", name="First Nora")
        before = staff_count(app)

        response = submit(client, NEW, new_staff_form(email="NORA.Jones@test.CLINIC"))

        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "email") == (
            DUPLICATE_EMAIL
        )
        assert staff_count(app) == before
        assert find_user(app, "nora.jones@test.clinic").name == "First Nora"
        assert [row[0] for row in audit_rows(app)] == ["user.created"] * before

    def test_email_of_a_deactivated_account_stays_taken(
        self, app, client, admin, make_user
    ):
        """Deactivating keeps the account, so its email cannot be reused."""
        make_user(Role.ESTHETICIAN, email="nora.jones@test.clinic", active=False)
        response = submit(client, NEW, new_staff_form())
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "email") == (
            DUPLICATE_EMAIL
        )

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            pytest.param(
                {"password": "short words", "confirm": "short words"},
                "password",
                "Use at least 12 characters.",
                id="password-too-short",
            ),
            pytest.param(
                {"password": "x" * 120 + "yz" * 5, "confirm": "x" * 120 + "yz" * 5},
                "password",
                "Use at most 128 characters.",
                id="password-too-long",
            ),
            pytest.param(
                {"password": "Password2024!", "confirm": "Password2024!"},
                "password",
                "This password is too common",
                id="password-common",
            ),
            pytest.param(
                {"password": "abababababababab", "confirm": "abababababababab"},
                "password",
                "repeats the same characters",
                id="password-repetitive",
            ),
            pytest.param(
                {
                    "password": "nora.jones@test.clinic",
                    "confirm": "nora.jones@test.clinic",
                },
                "password",
                "Do not use your email address or name",
                id="password-is-the-email",
            ),
            pytest.param(
                {"confirm": "copper kettle morning drizzle!"},
                "confirm",
                "The passwords do not match.",
                id="confirm-mismatch",
            ),
            pytest.param(
                {"confirm": ""},
                "confirm",
                "This field is required.",
                id="confirm-missing",
            ),
            pytest.param(
                {"email": "nora.jones.test.clinic"},
                "email",
                "Enter a valid email address.",
                id="email-invalid",
            ),
            pytest.param(
                {"email": ""}, "email", "This field is required.", id="email-missing"
            ),
            pytest.param(
                {"name": "N" * 300},
                "name",
                "Field cannot be longer than 200 characters.",
                id="name-300-characters",
            ),
            pytest.param(
                {"name": "   "}, "name", "This field is required.", id="name-blank"
            ),
            pytest.param(
                {"role": "superuser"}, "role", "Not a valid choice", id="role-unknown"
            ),
        ],
    )
    def test_bad_input_is_refused_at_the_field(
        self, app, client, admin, overrides, field, message
    ):
        """Each bad field gives 422 with its message beside it; nothing stored."""
        before = staff_count(app)

        response = submit(client, NEW, new_staff_form(**overrides))

        assert response.status_code == 422
        assert message in field_error(response.get_data(as_text=True), field)
        assert staff_count(app) == before
        assert find_user(app, "nora.jones@test.clinic") is None
        created = [row for row in audit_rows(app) if row[0] == "user.created"]
        assert len(created) == before

    def test_refused_form_keeps_what_was_typed_except_passwords(self, client, admin):
        """After a refusal the name and email are shown again; passwords are not."""
        response = submit(
            client, NEW, new_staff_form(confirm="something else entirely")
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert 'value="Nora Jones"' in page
        assert 'value="nora.jones@test.clinic"' in page
        assert NEW_PASSWORD not in page

    def test_longest_allowed_name_and_password_are_accepted(self, app, client, admin):
        """200-character names and 128-character passwords fit, on every database."""
        name = "N" * 200
        password = "tulip harbour " * 9 + "xy"
        assert len(password) == 128
        response = submit(
            client,
            NEW,
            new_staff_form(name=name, password=password, confirm=password),
        )
        assert response.status_code == 302
        user = find_user(app, "nora.jones@test.clinic")
        assert user.name == name
        sign_in_elsewhere(app, user, password)
