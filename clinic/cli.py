"""Command-line tools: ``flask --app clinic <command>``."""

from __future__ import annotations

import secrets
import sys

import click
from flask import Flask, current_app

from clinic import audit
from clinic.admin import services as staff_services
from clinic.auth.passwords import password_problem
from clinic.extensions import db
from clinic.roles import Role

ROLE_NAMES = [role.value for role in Role]


def _check_password(password: str, email: str, name: str) -> None:
    problem = password_problem(
        password,
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
        max_length=current_app.config["PASSWORD_MAX_LENGTH"],
        personal=(email, name),
    )
    if problem:
        raise click.ClickException(f"password refused: {problem}")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(ROLE_NAMES), required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (for scripts).",
)
def create_user_command(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create a staff account (there is no default account)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    _check_password(password, email, name)
    try:
        user = staff_services.create_user(email, name, Role(role), password)
    except staff_services.StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.label} account {user.email} (id {user.id}).")


@click.command("verify-audit")
def verify_audit_command() -> None:
    """Check the audit log's hash chain; non-zero exit at the first bad row."""
    report = audit.verify_chain()
    if not report.ok:
        raise click.ClickException(
            f"audit chain broken at row {report.first_bad_seq}: {report.problem} "
            f"({report.rows} rows verified before it)"
        )
    click.echo(f"Audit chain intact: {report.rows} rows, head {report.head_hash}.")


DEMO_STAFF = [
    ("owner@demo.clinic", "Olivia Owner", Role.ADMIN),
    ("desk@demo.clinic", "Dana Desk", Role.FRONT_DESK),
    ("esthetician@demo.clinic", "Elena Esthetician", Role.ESTHETICIAN),
]


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Fill a demo clinic; prints each new account's password once."""
    created = []
    for email, name, role in DEMO_STAFF:
        if staff_services.find_user_by_email(email) is not None:
            click.echo(f"{email} already exists; left unchanged.")
            continue
        password = secrets.token_urlsafe(12)
        staff_services.create_user(email, name, role, password)
        created.append((role.label, email, password))
    db.session.commit()
    if created:
        click.echo("Demo accounts (passwords are shown only now):")
        for label, email, password in created:
            click.echo(f"  {label:<14} {email:<26} {password}")


def init_app(app: Flask) -> None:
    for command in (create_user_command, verify_audit_command, seed_demo_command):
        app.cli.add_command(command)
