"""Command-line tools: ``flask --app clinic <command>``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import with_appcontext

from clinic import audit
from clinic.admin import services as staff_services
from clinic.auth.models import User
from clinic.auth.passwords import password_problem
from clinic.extensions import db
from clinic.roles import Role

ROLE_NAMES = [role.value for role in Role]


def _check_identity(email: str, name: str) -> None:
    """Refuse what the admin form refuses, before the database has to."""
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.ClickException(
            f"{email!r} is not a valid email address: {exc}"
        ) from exc
    max_length = User.__table__.c.name.type.length
    if not name.strip():
        raise click.ClickException("the name is required.")
    if len(name.strip()) > max_length:
        raise click.ClickException(f"the name must be at most {max_length} characters.")


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
@with_appcontext
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
    _check_identity(email, name)
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
@with_appcontext
def verify_audit_command() -> None:
    """Check the audit log's hash chain; non-zero exit at the first bad row.

    The result is kept (``audit_checkpoint``): the admin page shows it and
    checks only the rows written after it, so a nightly run keeps the page fast.
    """
    checkpoint = audit.check_whole_chain()
    db.session.commit()
    if not checkpoint.ok:
        raise click.ClickException(
            f"audit chain broken at row {checkpoint.first_bad_seq}: "
            f"{checkpoint.problem} ({checkpoint.through_seq} rows verified before it)"
        )
    click.echo(
        f"Audit chain intact: {checkpoint.through_seq} rows, "
        f"head {checkpoint.head_hash}."
    )


@click.command("export-client")
@with_appcontext
@click.argument("client_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "pdf"]),
    default="json",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: JSON to standard output; a PDF needs a file).",
)
def export_client_command(client_id: int, fmt: str, output: str | None) -> None:
    """Export one client's whole record (right of access); audited as the CLI."""
    from clinic.clients.models import Client
    from clinic.privacy import services
    from clinic.privacy.views import render

    client = db.session.get(Client, client_id)
    if client is None:
        raise click.ClickException(f"no client with id {client_id}.")
    if fmt == "pdf" and not output:
        raise click.ClickException("a PDF needs --output PATH.")
    services.audit_export(client, fmt, via="cli")
    body = render(services.build_export(client, by_user_id=None), fmt)
    if output:
        # Written before the commit: an export that failed is not audited as done.
        with open(output, "wb") as handle:
            handle.write(body)
    db.session.commit()
    if output:
        click.echo(f"Exported client {client_id} ({fmt}) to {output}.", err=True)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Fill a demo clinic; prints each new account's password once."""
    from clinic import demo, demo_schedule, demo_visits

    created = demo.seed_staff()
    clients = demo.seed_clients()
    schedule = demo_schedule.seed_schedule()
    visits = demo_visits.seed_visits() if schedule else 0
    db.session.commit()
    if created:
        click.echo("Demo accounts (passwords are shown only now):")
        for label, email, password in created:
            click.echo(f"  {label:<14} {email:<26} {password}")
    else:
        click.echo("Demo accounts already exist; their passwords are unchanged.")
    click.echo(f"Demo clients added: {clients}.")
    if schedule:
        click.echo(
            "Demo rooms, devices, working hours, series, today's bookings and "
            f"{visits} visits added."
        )


def _print_report(report, verb: str) -> None:
    """Size, tables, rows per table and SHA-256 of a backup or restore."""
    click.echo(
        f"{verb} {report.path} ({report.database}, {report.size:,} bytes, "
        f"{len(report.row_counts)} tables, {report.rows:,} rows, schema "
        f"{report.revision}) in {report.seconds:.2f} s."
    )
    click.echo(f"SHA-256 {report.sha256}")
    width = max((len(name) for name in report.row_counts), default=0)
    for name, rows in sorted(report.row_counts.items()):
        click.echo(f"  {name:<{width}} {rows:>10,}")
    if report.upgraded_to:
        click.echo(f"Schema upgraded from {report.revision} to {report.upgraded_to}.")
    for note in report.notes:
        click.echo(note)


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_command(path: Path, force: bool) -> None:
    """Write a backup of the whole database to PATH (mode 0600: health data).

    Safe while the app runs: SQLite's online backup API, or pg_dump.
    """
    from clinic import backup

    try:
        report = backup.create_backup(path, force=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_report(report, "Backup written to")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace a database that already holds tables."
)
@click.option(
    "--no-upgrade",
    is_flag=True,
    help="Leave an older backup's schema as it is (default: upgrade it).",
)
def restore_command(path: Path, force: bool, no_upgrade: bool) -> None:
    """Replace the database with the backup PATH. Stop the app first.

    Refuses a file that is not a clinic backup, a backup of a newer schema
    than this code, and (without --force) a database that holds tables.
    """
    from clinic import backup

    try:
        report = backup.restore_backup(path, force=force, upgrade=not no_upgrade)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_report(report, "Restored from")


def init_app(app: Flask) -> None:
    from clinic import bench

    for command in (
        create_user_command,
        verify_audit_command,
        seed_demo_command,
        backup_command,
        restore_command,
        export_client_command,
    ):
        app.cli.add_command(command)
    bench.init_app(app)
