"""The command-line tools: ``create-user``, ``verify-audit`` and ``seed-demo``.

Commands run through Flask's CLI runner against the test's own database; what
they create is then used through the real sign-in form.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from clinic.audit import AuditCheckpoint, AuditEvent
from clinic.auth.models import User
from clinic.extensions import db
from clinic.roles import Role
from tests.helpers import audit_log_unlocked, login

PASSWORD = "amber meadow stone whistle"


def flask(runner, *args: str, input: str | None = None):
    """Run ``flask --app clinic ARGS``; ``input`` is standard input.

    The ``flask`` command pushes one app context around the command it runs;
    the test runner calls ``app.cli`` directly, so the context is pushed here.
    """
    with runner.app.app_context():
        return runner.invoke(args=list(args), input=input)


def create_user(runner, *args: str, input: str | None = None):
    return flask(runner, "create-user", *args, input=input)


def users(app) -> list[User]:
    with app.app_context():
        found = list(db.session.scalars(select(User).order_by(User.id)))
        db.session.expunge_all()
        return found


def can_sign_in(app, email: str, password: str) -> bool:
    response = login(app.test_client(), email, password)
    return response.status_code == 302 and response.location == "/dashboard"


class TestCreateUser:
    def test_password_from_stdin_creates_a_working_account(self, app, runner):
        """``--password-stdin`` reads one line; the account signs in with it."""
        result = create_user(
            runner,
            "Owner@Clinic.Example",
            "--name",
            "Olivia Owner",
            "--role",
            "admin",
            "--password-stdin",
            input=PASSWORD + "\n",
        )

        assert result.exit_code == 0, result.output
        assert "Created Owner / admin account owner@clinic.example" in result.output
        assert PASSWORD not in result.output
        [user] = users(app)
        assert (user.email, user.name, user.role) == (
            "owner@clinic.example",
            "Olivia Owner",
            Role.ADMIN,
        )
        assert user.active and not user.must_change_password
        assert can_sign_in(app, "owner@clinic.example", PASSWORD)
        with app.app_context():
            event = db.session.scalar(
                select(AuditEvent).where(AuditEvent.action == "user.created")
            )
            assert (event.entity_id, event.details) == (str(user.id), "role=admin")

    def test_the_first_admin_reaches_the_admin_pages(self, app, runner):
        """An admin made by the CLI can manage staff at once (no default account)."""
        assert users(app) == []
        create_user(
            runner,
            "owner@clinic.example",
            "--name",
            "Olivia Owner",
            "--role",
            "admin",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        client = app.test_client()
        assert login(client, "owner@clinic.example", PASSWORD).status_code == 302
        assert client.get("/admin/staff").status_code == 200

    @pytest.mark.parametrize("role", list(Role))
    def test_every_role_can_be_created(self, app, runner, role):
        result = create_user(
            runner,
            f"{role.value}@clinic.example",
            "--name",
            "Some One",
            "--role",
            role.value,
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
        assert [user.role for user in users(app)] == [role]

    def test_interactive_prompt_asks_twice(self, app, runner):
        """Without ``--password-stdin`` the password is prompted for and confirmed."""
        result = create_user(
            runner,
            "desk@clinic.example",
            "--name",
            "Dana Desk",
            "--role",
            "front_desk",
            input=f"{PASSWORD}\n{PASSWORD}\n",
        )

        assert result.exit_code == 0, result.output
        assert "Password:" in result.output
        assert "Repeat for confirmation:" in result.output
        assert PASSWORD not in result.output  # the prompt does not echo it
        assert can_sign_in(app, "desk@clinic.example", PASSWORD)

    def test_interactive_prompt_refuses_a_mismatch(self, app, runner):
        """Two different answers and then none: nothing is created, exit non-zero."""
        result = create_user(
            runner,
            "desk@clinic.example",
            "--name",
            "Dana Desk",
            "--role",
            "front_desk",
            input=f"{PASSWORD}\n{PASSWORD}x\n",
        )
        assert result.exit_code != 0
        assert "do not match" in result.output
        assert users(app) == []

    def test_duplicate_email_fails_clearly(self, app, runner):
        """The same email in another case: non-zero exit, clear message, no change."""
        args = ["--name", "Olivia Owner", "--role", "admin", "--password-stdin"]
        first = create_user(runner, "owner@clinic.example", *args, input=PASSWORD)
        assert first.exit_code == 0, first.output

        again = create_user(
            runner,
            "OWNER@clinic.example",
            "--name",
            "Someone Else",
            "--role",
            "esthetician",
            "--password-stdin",
            input="another fine passphrase\n",
        )

        assert again.exit_code == 1
        assert "Error: A staff account with this email already exists." in (
            again.output
        )
        [user] = users(app)
        assert (user.name, user.role) == ("Olivia Owner", Role.ADMIN)
        assert can_sign_in(app, "owner@clinic.example", PASSWORD)

    @pytest.mark.parametrize(
        ("password", "reason"),
        [
            ("short pass", "Use at least 12 characters."),
            ("Password2024!", "This password is too common"),
            ("a" * 129, "Use at most 128 characters."),
            ("owner@clinic.example", "Do not use your email address or name"),
            ("", "Use at least 12 characters."),
        ],
        ids=["short", "common", "too-long", "is-the-email", "empty"],
    )
    def test_weak_password_fails_clearly(self, app, runner, password, reason):
        """A password the policy refuses: non-zero exit with the reason, no account."""
        result = create_user(
            runner,
            "owner@clinic.example",
            "--name",
            "Olivia Owner",
            "--role",
            "admin",
            "--password-stdin",
            input=password + "\n",
        )
        assert result.exit_code == 1
        assert "Error: password refused:" in result.output
        assert reason in result.output
        assert users(app) == []

    def test_weak_password_at_the_prompt_fails_clearly(self, app, runner):
        result = create_user(
            runner,
            "owner@clinic.example",
            "--name",
            "Olivia Owner",
            "--role",
            "admin",
            input="password\npassword\n",
        )
        assert result.exit_code == 1
        assert "password refused" in result.output
        assert users(app) == []

    @pytest.mark.parametrize("role", ["owner", "ADMIN", "front-desk", ""])
    def test_invalid_role_fails(self, app, runner, role):
        """Only the three roles are accepted; anything else is a usage error."""
        result = create_user(
            runner,
            "owner@clinic.example",
            "--name",
            "Olivia Owner",
            "--role",
            role,
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 2
        assert "Invalid value for '--role'" in result.output
        assert users(app) == []

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--role", "admin"], "Missing option '--name'"),
            (["--name", "Olivia Owner"], "Missing option '--role'"),
        ],
        ids=["no-name", "no-role"],
    )
    def test_required_options(self, app, runner, args, message):
        result = create_user(
            runner, "owner@clinic.example", *args, "--password-stdin", input=PASSWORD
        )
        assert result.exit_code == 2
        assert message in result.output
        assert users(app) == []

    @pytest.mark.parametrize(
        ("email", "name", "message"),
        [
            ("not-an-email", "Olivia Owner", "not a valid email address"),
            ("owner@clinic.example", "O" * 300, "at most 200 characters"),
            ("owner@clinic.example", "   ", "name is required"),
        ],
        ids=["invalid-email", "name-300-characters", "blank-name"],
    )
    def test_invalid_email_or_name_fails_clearly(
        self, app, runner, email, name, message
    ):
        """The CLI refuses what the admin form refuses, on every database alike."""
        result = create_user(
            runner,
            email,
            "--name",
            name,
            "--role",
            "admin",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 1
        assert message in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert users(app) == []


def add_audit_rows(runner) -> None:
    """Create three accounts through the CLI: three audit rows."""
    for n in range(3):
        result = create_user(
            runner,
            f"person{n}@clinic.example",
            "--name",
            f"Person {n}",
            "--role",
            "front_desk",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output


class TestVerifyAudit:
    def test_intact_chain_exits_zero(self, runner):
        add_audit_rows(runner)
        result = flask(runner, "verify-audit")
        assert result.exit_code == 0, result.output
        assert "Audit chain intact: 3 rows" in result.output

    def test_empty_log_is_intact(self, runner):
        result = flask(runner, "verify-audit")
        assert result.exit_code == 0, result.output
        assert "Audit chain intact: 0 rows" in result.output

    def test_edited_row_is_named(self, app, runner):
        """An UPDATE made directly in SQL is caught at the row it touched."""
        add_audit_rows(runner)
        with app.app_context(), audit_log_unlocked(db.session):
            db.session.execute(
                text("UPDATE audit_event SET details = 'role=admin' WHERE seq = 2")
            )

        result = flask(runner, "verify-audit")

        assert result.exit_code == 1
        assert "audit chain broken at row 2" in result.output
        assert "row 2 was changed after it was written" in result.output
        assert "(1 rows verified before it)" in result.output

    def test_deleted_row_is_named(self, app, runner):
        """A row removed from the middle of the chain is reported as missing."""
        add_audit_rows(runner)
        with app.app_context(), audit_log_unlocked(db.session):
            db.session.execute(text("DELETE FROM audit_event WHERE seq = 2"))

        result = flask(runner, "verify-audit")

        assert result.exit_code == 1
        assert "audit chain broken at row 2" in result.output
        assert "row 2 is missing" in result.output

    def test_rehashed_edit_is_caught_at_the_next_row(self, app, runner):
        """Recomputing the edited row's own hash only moves the break one row on."""
        add_audit_rows(runner)
        with app.app_context(), audit_log_unlocked(db.session):
            event = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
            event.details = "role=admin"
            event.row_hash = event.compute_hash()
            db.session.flush()

        result = flask(runner, "verify-audit")

        assert result.exit_code == 1
        assert "audit chain broken at row 3" in result.output

    def test_each_run_is_kept_for_the_admin_page(self, app, runner):
        """Intact or not, the result is stored (the page continues from it), and
        the next run sees the newest row go, which the walk alone cannot."""
        add_audit_rows(runner)
        assert flask(runner, "verify-audit").exit_code == 0
        with app.app_context(), audit_log_unlocked(db.session):
            db.session.execute(text("DELETE FROM audit_event WHERE seq = 3"))
        result = flask(runner, "verify-audit")
        assert result.exit_code == 1
        with app.app_context():
            kept = db.session.execute(
                select(
                    AuditCheckpoint.ok,
                    AuditCheckpoint.through_seq,
                    AuditCheckpoint.first_bad_seq,
                    AuditCheckpoint.by_user_id,
                ).order_by(AuditCheckpoint.id)
            ).all()
        assert [tuple(row) for row in kept] == [
            (True, 3, None, None),
            (False, 2, 3, None),
        ]


from clinic.demo import DEMO_STAFF  # noqa: E402

DEMO_LINE = re.compile(r"^\s+.+?\s+(\S+@demo\.clinic)\s+(\S+)\s*$", re.MULTILINE)


class TestSeedDemo:
    @pytest.mark.app_config(LOGIN_RATE_LIMIT="100 per minute")
    def test_creates_accounts_for_every_role_with_working_passwords(self, app, runner):
        """Each printed password signs its account in; passwords are not stored."""
        result = flask(runner, "seed-demo")

        assert result.exit_code == 0, result.output
        assert "passwords are shown only now" in result.output
        printed = dict(DEMO_LINE.findall(result.output))
        accounts = users(app)
        assert {user.email for user in accounts} == set(printed)
        assert {user.role for user in accounts} == set(Role)
        for email, password in printed.items():
            assert len(password) >= 12
            assert can_sign_in(app, email, password), email
        assert len(set(printed.values())) == len(DEMO_STAFF)
        with app.app_context():
            details = " ".join(db.session.scalars(select(AuditEvent.details)))
            assert not any(password in details for password in printed.values())
            assert all(password not in user.password_hash for user in accounts)

    def test_second_run_changes_nothing_and_prints_no_password(self, app, runner):
        """Running it again neither duplicates accounts nor shows passwords again."""
        first = flask(runner, "seed-demo")
        assert first.exit_code == 0, first.output
        printed = dict(DEMO_LINE.findall(first.output))
        assert len(printed) == len(DEMO_STAFF)
        hashes = {user.email: user.password_hash for user in users(app)}

        second = flask(runner, "seed-demo")

        assert second.exit_code == 0, second.output
        assert "passwords are shown" not in second.output
        assert DEMO_LINE.findall(second.output) == []
        assert not any(password in second.output for password in printed.values())
        assert {user.email: user.password_hash for user in users(app)} == hashes
        with app.app_context():
            count = db.session.scalar(select(func.count()).select_from(User))
            assert count == len(DEMO_STAFF)

    def test_fills_in_only_what_is_missing(self, app, runner, make_user):
        """An existing demo email is left alone; the others are created."""
        owner = make_user(Role.ADMIN, email="owner@demo.clinic", name="Real Owner")
        result = flask(runner, "seed-demo")
        assert result.exit_code == 0, result.output
        printed = dict(DEMO_LINE.findall(result.output))
        assert set(printed) == {email for email, _, _ in DEMO_STAFF} - {
            "owner@demo.clinic"
        }
        accounts = {user.email: user for user in users(app)}
        assert len(accounts) == len(DEMO_STAFF)
        kept = accounts["owner@demo.clinic"]
        assert (kept.name, kept.password_hash) == ("Real Owner", owner.password_hash)
