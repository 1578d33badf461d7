"""``flask --app clinic seed-demo``: a demo clinic with a client in every screening
state, checked through the eligibility service; a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.audit import AuditEvent
from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.clock import clinic_today
from clinic.extensions import db
from clinic.intake.eligibility import Status, client_eligibility, format_day
from clinic.intake.models import Clearance, Intake, IntakeAnswer

# email -> (status, excluded_label)
EXPECTED = {
    "amelie@example.com": (Status.CLEAR, "Excluded zones: Mouth / perioral"),
    "sofia@example.com": (Status.NEEDS_CLEARANCE, ""),
    "olena@example.com": (Status.CLEAR, ""),  # relative finding, cleared
    "lan@example.com": (Status.DEFERRED, ""),
    "grace@example.com": (Status.NOT_ELIGIBLE, ""),
    "marcus@example.com": (Status.NO_INTAKE, ""),
    "hannah@example.com": (Status.INTAKE_EXPIRED, ""),
}


def seed_demo(runner):
    """Run ``flask --app clinic seed-demo`` (the runner needs the app context)."""
    with runner.app.app_context():
        result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


def states(app) -> dict[str, tuple]:
    """email -> (status, label, excluded label) of every demo client, today."""
    with app.app_context():
        found = {}
        for client in db.session.scalars(select(Client)):
            e = client_eligibility(client.id)
            found[client.email] = (e.status, e.label, e.excluded_label)
        return found


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Client, Intake, IntakeAnswer, Clearance, AuditEvent)
        }


def test_seed_demo_has_a_client_in_every_state(app, runner):
    result = seed_demo(runner)

    assert "Demo clients added: 7." in result.output
    found = states(app)
    assert {email: found[email][::2] for email in EXPECTED} == EXPECTED
    assert {status for status, _ in EXPECTED.values()} == set(Status)
    with app.app_context():
        deferred_until = clinic_today() + timedelta(days=9)  # toxin 5 days ago
    assert {email: found[email][1] for email in EXPECTED} == {
        "amelie@example.com": "Clear",
        "sofia@example.com": "Needs clearance",
        "olena@example.com": "Clear",
        "lan@example.com": f"Deferred until {format_day(deferred_until)}",
        "grace@example.com": "Not eligible",
        "marcus@example.com": "No intake",
        "hannah@example.com": "Intake expired",
    }


def test_the_cleared_client_had_a_relative_finding(app, runner):
    seed_demo(runner)
    with app.app_context():
        client = db.session.scalar(
            select(Client).where(Client.email == "olena@example.com")
        )
        [intake] = db.session.scalars(select(Intake).where(Intake.client == client))
        assert intake.needs_clearance
        assert intake.clearance is not None
        assert intake.clearance.cleared_by.email == "esthetician@demo.clinic"
        names = {c.full_name for c in db.session.scalars(select(Client))}
    assert {"Σοφία Παπαδοπούλου", "Олена Коваленко", "Thị Lan Nguyễn"} <= names


def test_a_second_run_adds_nothing(app, runner):
    seed_demo(runner)
    before_counts, before_states = counts(app), states(app)

    result = seed_demo(runner)

    assert "Demo clients added: 0." in result.output
    assert counts(app) == before_counts
    assert states(app) == before_states


@pytest.mark.app_config(INTAKE_VALID_MONTHS=24)
def test_the_expired_client_follows_the_validity_setting(app, runner):
    """With intakes valid for two years the demo still shows an expired one."""
    seed_demo(runner)
    assert states(app)["hannah@example.com"][0] is Status.INTAKE_EXPIRED
