"""Demo data for ``flask --app clinic seed-demo``: a small clinic to try.

Creates one account per role and clients in every screening state. Running
it again adds nothing that is already there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import select

from clinic.admin import services as staff_services
from clinic.clients import services as client_services
from clinic.clients.models import Client
from clinic.clock import clinic_today, utcnow
from clinic.intake import services as intake_services
from clinic.intake.models import EnteredVia
from clinic.intake.screening import Answer
from clinic.roles import Role

DEMO_STAFF = [
    ("owner@demo.clinic", "Olivia Owner", Role.ADMIN),
    ("desk@demo.clinic", "Dana Desk", Role.FRONT_DESK),
    ("esthetician@demo.clinic", "Elena Esthetician", Role.ESTHETICIAN),
    ("mia@demo.clinic", "Mia Moreau", Role.ESTHETICIAN),
]


@dataclass(frozen=True)
class DemoClient:
    given: str
    family: str
    born: date
    email: str
    phone: str
    yes: tuple[Answer, ...] = ()
    intake: bool = True
    months_ago: int = 0
    cleared: bool = False


def _demo_clients(today: date, valid_months: int) -> list[DemoClient]:
    return [
        DemoClient(
            "Amélie",
            "Laurent",
            date(1988, 4, 12),
            "amelie@example.com",
            "07700 900101",
            (Answer("cold_sore", True, zones=("perioral",)),),
        ),
        DemoClient(
            "Σοφία",
            "Παπαδοπούλου",
            date(1975, 9, 3),
            "sofia@example.com",
            "07700 900102",
            (Answer("diabetes", True, details="Type 2"),),
        ),
        DemoClient(
            "Олена",
            "Коваленко",
            date(1969, 1, 30),
            "olena@example.com",
            "07700 900103",
            (Answer("thyroid", True),),
            cleared=True,
        ),
        DemoClient(
            "Thị Lan",
            "Nguyễn",
            date(1992, 11, 21),
            "lan@example.com",
            "07700 900104",
            (Answer("botulinum_toxin", True, event_date=today - timedelta(days=5)),),
        ),
        DemoClient(
            "Grace",
            "O'Neil",
            date(1958, 6, 6),
            "grace@example.com",
            "07700 900105",
            (Answer("implanted_device", True, details="Pacemaker"),),
        ),
        DemoClient(
            "Marcus",
            "Brown",
            date(1990, 2, 14),
            "marcus@example.com",
            "07700 900106",
            intake=False,
        ),
        DemoClient(
            "Hannah",
            "Schmidt",
            date(1983, 7, 19),
            "hannah@example.com",
            "07700 900107",
            months_ago=valid_months + 1,  # expired whatever the clinic's setting
        ),
    ]


def seed_staff() -> list[tuple[str, str, str]]:
    """Create missing demo accounts; returns (role, email, password) of new ones."""
    created = []
    for email, name, role in DEMO_STAFF:
        if staff_services.find_user_by_email(email) is not None:
            continue
        password = secrets.token_urlsafe(12)
        staff_services.create_user(email, name, role, password)
        created.append((role.label, email, password))
    return created


def seed_clients() -> int:
    """Create the demo clients that are missing; returns how many."""
    esthetician = staff_services.find_user_by_email("esthetician@demo.clinic")
    desk = staff_services.find_user_by_email("desk@demo.clinic")
    today = clinic_today()
    rule_set = intake_services.current_rule_set()
    consents = intake_services.current_consents()
    codes = [rule.code for rule in rule_set.active_rules()]
    created = 0
    valid_months = current_app.config["INTAKE_VALID_MONTHS"]
    for demo in _demo_clients(today, valid_months):
        exists = select(Client).where(Client.email == demo.email)
        if client_services.db.session.scalar(exists) is not None:
            continue
        client = client_services.create_client(
            {
                "given_name": demo.given,
                "family_name": demo.family,
                "date_of_birth": demo.born,
                "email": demo.email,
                "phone": demo.phone,
            },
            by_user_id=desk.id,
        )
        created += 1
        if not demo.intake:
            continue
        yes = {answer.rule_code: answer for answer in demo.yes}
        answers = tuple(yes.get(code, Answer(code, False)) for code in codes)
        signed_at = utcnow() - relativedelta(months=demo.months_ago)
        intake = intake_services.submit_intake(
            client,
            intake_services.Submission(answers, client.full_name, photo_consent=False),
            rule_set=rule_set,
            consents=consents,
            via=EnteredVia.STAFF,
            by_user_id=esthetician.id,
            ip=None,
            signed_at=signed_at,
        )
        if demo.cleared:
            intake_services.record_clearance(
                intake,
                by_user_id=esthetician.id,
                reason="Thyroid condition controlled with medication; GP letter seen.",
                physician_note_ref="GP letter 2026-10",
                cleared_on=today,
            )
    return created
