"""One small clinic with something for every form to act on.

Built once per test (each test has its own database), returned as plain ids
so the fuzz loop can keep sending requests without an open app context.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy import select

from clinic.catalogue.models import Protocol
from clinic.extensions import db
from clinic.intake import services as intake_services
from clinic.intake.models import ConsentKind, ScreeningRule
from clinic.roles import Role
from clinic.scheduling.models import BlockKind, WorkingHours
from tests.aftercare.support import record_visit
from tests.helpers import DEFAULT_PASSWORD
from tests.scheduling.support import (
    NEEDS_CLEARANCE,
    Clinic,
    add_block,
    add_client,
    local,
    signed_in_browser,
)
from tests.visits.support import (
    INTAKE_SIGNED_AT,
    TODAY,
    book,
    check_in,
    clinic_with_client,
)


@dataclass
class World:
    clinic: Clinic
    client_id: int
    cleared_client_id: int  # has an intake that needs clearance
    intake_id: int  # that intake
    appointment_id: int  # booked tomorrow, not checked in
    today_appointment_id: int  # booked today, not checked in
    checked_in_id: int  # checked in, no visit yet
    series_id: int  # six sessions of another client, from next week
    draft_visit_id: int
    signed_visit_id: int
    block_id: int
    hours_id: int
    tablet_token: str
    rule_code: str
    consent_kind: str
    admin_email: str
    front_desk_email: str
    other_staff_id: int  # a front-desk account the admin forms act on

    def browser(self, app, role: str):
        """A test client signed in as ``role`` (anonymous: not signed in)."""
        if role == "anonymous":
            return app.test_client()
        email = {
            "admin": self.admin_email,
            "front_desk": self.front_desk_email,
            "esthetician": self.clinic.esthetician_emails[0],
        }[role]
        return signed_in_browser(app, email)


def build_world(app, make_user) -> World:
    clinic, client_id = clinic_with_client(app, "Clara Client")
    cleared = add_client(
        app, "Nina Needsclearance", yes=NEEDS_CLEARANCE, signed_at=INTAKE_SIGNED_AT
    )
    tomorrow = book(app, clinic, client_id, day=TODAY + timedelta(days=1))
    today = book(app, clinic, client_id, at=time(10, 0))
    checked = book(app, clinic, client_id, at=time(12, 0))
    check_in(app, checked)
    draft = record_visit(
        app, book(app, clinic, client_id, at=time(14, 0)), zones=(), sign=False
    )
    signed = record_visit(app, book(app, clinic, client_id, at=time(16, 0)))
    series_client = add_client(app, "Sam Series", signed_at=INTAKE_SIGNED_AT)
    with app.app_context():
        from clinic.clients.models import Client
        from clinic.scheduling import series_services
        from clinic.scheduling.booking import Placement

        protocol = db.session.scalar(select(Protocol).where(Protocol.sessions == 6))
        series_id = series_services.book_series(
            db.session.get(Client, series_client),
            protocol,
            [
                Placement(
                    local(TODAY + timedelta(days=7 + 10 * n), time(11, 0)),
                    clinic.estheticians[1],
                )
                for n in range(6)
            ],
            by_user_id=None,
        ).id
        db.session.commit()
    block_start = local(TODAY + timedelta(days=20), time(9, 0))
    add_block(
        app,
        BlockKind.ROOM,
        clinic.rooms[1],
        block_start,
        block_start + timedelta(hours=2),
    )
    admin = make_user(Role.ADMIN, email="admin@fuzz.test.clinic")
    desk = make_user(Role.FRONT_DESK, email="desk@fuzz.test.clinic")
    other = make_user(Role.FRONT_DESK, email="other@fuzz.test.clinic")
    with app.app_context():
        from clinic.clients.models import Client
        from clinic.intake.models import Intake
        from clinic.scheduling.models import Block

        block = db.session.scalar(select(Block.id))
        hours_id = db.session.scalar(
            select(WorkingHours.id).where(
                WorkingHours.user_id == clinic.estheticians[1]
            )
        )
        intake_id = db.session.scalar(
            select(Intake.id).where(Intake.client_id == cleared)
        )
        rule_code = db.session.scalar(
            select(ScreeningRule.code).order_by(ScreeningRule.id)
        )
        _, token = intake_services.create_link(
            db.session.get(Client, client_id), by_user_id=admin.id
        )
        db.session.commit()
    return World(
        clinic=clinic,
        client_id=client_id,
        cleared_client_id=cleared,
        intake_id=intake_id,
        appointment_id=tomorrow,
        today_appointment_id=today,
        checked_in_id=checked,
        series_id=series_id,
        draft_visit_id=draft,
        signed_visit_id=signed,
        block_id=block,
        hours_id=hours_id,
        tablet_token=token,
        rule_code=rule_code,
        consent_kind=next(iter(ConsentKind)).value,
        admin_email=admin.email,
        front_desk_email=desk.email,
        other_staff_id=other.id,
    )


__all__ = ["DEFAULT_PASSWORD", "World", "build_world"]
