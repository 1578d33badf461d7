"""One of everything, for tests that visit every route with real ids.

``build_world`` arranges, through the real services and the builders of the
other test packages, a clinic with two estheticians and a real object behind
every kind of URL parameter. ``url_for_rule`` fills a rule's parameters from
``ARGUMENTS``, picked by argument name; an argument the table does not know
fails the test, so a new route with a new kind of id is noticed here.

Client Ada's health data carries canaries (``CANARY``): free text that only
health-data pages can show, so a crawl can tell which pages show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from clinic.aftercare import services as aftercare_services
from clinic.auth.models import User
from clinic.clients.models import Client
from clinic.intake import services as intake_services
from clinic.intake.models import ConsentKind, RuleSet
from clinic.intake.screening import Answer
from clinic.scheduling.models import (
    Block,
    BlockKind,
    CalendarFeed,
    Series,
    WorkingHours,
)
from clinic.visits import services as visit_services
from clinic.visits.models import Visit
from tests.aftercare.support import (
    TODAY,
    book,
    book_series,
    database,
    frozen_clock,
    record_visit,
    visit_on,
)
from tests.scheduling.support import (
    NEEDS_CLEARANCE,
    Clinic,
    add_block,
    add_client,
    build_clinic,
    local,
    submit_intake,
)

CANARY = "ZQXCANARY"
CANARY_INTAKE = f"{CANARY} intake: cold sore after a ski trip"
CANARY_AFTERCARE = f"{CANARY} aftercare: keep the chin out of the wind"
CANARY_AMENDMENT = f"{CANARY} amendment: forehead at 180 not 200"


@dataclass
class World:
    """Ids and tokens of what ``build_world`` made."""

    clinic: Clinic
    client_id: int  # Ada: two intakes, a signed visit, a series, a draft
    other_client_id: int  # Bo: another client, seen by the other esthetician
    intake_id: int  # Ada's latest intake (the one with the canary)
    older_intake_id: int
    other_intake_id: int  # Bo's
    uncleared_client_id: int  # Cy: diabetes, waiting for a clearance
    uncleared_intake_id: int
    appointment_id: int  # Ada's, with esthetician 1, not yet visited
    series_id: int
    visit_id: int  # Ada's signed visit, by esthetician 1
    draft_visit_id: int  # Ada's draft visit, by esthetician 1
    other_visit_id: int  # Bo's draft visit, by esthetician 2
    other_appointment_id: int  # the appointment of that draft
    print_id: int
    batch_id: int
    staff_id: int  # esthetician 2: the staff member admins act on
    hours_id: int  # one of esthetician 2's working-hours ranges
    block_id: int
    tablet_token: str  # Ada's one-time intake link
    other_tablet_token: str  # Bo's
    feed_token: str  # esthetician 1's calendar feed (esthetician 2 has none yet)
    rules_version: int
    rule_code: str

    @property
    def esthetician_id(self) -> int:
        """Esthetician 1, who owns Ada's visits and appointments."""
        return self.clinic.estheticians[0]

    @property
    def esthetician_email(self) -> str:
        return self.clinic.esthetician_emails[0]

    @property
    def other_esthetician_email(self) -> str:
        return self.clinic.esthetician_emails[1]


def build_world(app) -> World:
    """Arrange one of everything (at the aftercare tests' fixed clinic time)."""
    with frozen_clock():
        clinic = build_clinic(app)
        ada = add_client(app, "Ada Lovelace", intake=False)
        bo = add_client(app, "Bo Other")
        cy = add_client(app, "Cy Clearance", yes=NEEDS_CLEARANCE)
        with database(app) as session:
            client = session.get(Client, ada)
            older = submit_intake(client, signed_at=datetime.now(UTC) - timedelta(30))
            newer = submit_intake(
                client,
                {
                    "cold_sore": Answer(
                        "cold_sore", True, zones=("perioral",), details=CANARY_INTAKE
                    )
                },
            )
            intake_ids = (newer.id, older.id)
        visit_id = visit_on(
            app, clinic, ada, at=time(9, 0), aftercare_note=CANARY_AFTERCARE
        )
        draft_id = record_visit(
            app, book(app, clinic, ada, at=time(11, 30)), sign=False
        )
        other_appointment = book(app, clinic, bo, at=time(12, 0), esthetician=1)
        other_visit = record_visit(app, other_appointment, sign=False)
        appointment_id = book(app, clinic, ada, at=time(14, 0))
        book_series(
            app, clinic, ada, [TODAY + timedelta(days=10 * n) for n in range(1, 7)]
        )
        add_block(
            app,
            BlockKind.ROOM,
            clinic.rooms[1],
            local(TODAY + timedelta(days=3), time(9, 0)),
            local(TODAY + timedelta(days=3), time(12, 0)),
            reason="Painting",
        )
        with database(app) as session:
            esthetician = session.get(User, clinic.estheticians[0])
            visit = session.get(Visit, visit_id)
            visit_services.amend_visit(visit, CANARY_AMENDMENT, user=esthetician)
            printed, _pdf = aftercare_services.print_visit(
                visit, by_user_id=esthetician.id
            )
            batch, _pdf = aftercare_services.print_day(TODAY, by_user_id=esthetician.id)
            _link, tablet_token = intake_services.create_link(
                session.get(Client, ada), by_user_id=esthetician.id
            )
            _link, other_tablet_token = intake_services.create_link(
                session.get(Client, bo), by_user_id=esthetician.id
            )
            feed = CalendarFeed(
                user_id=clinic.estheticians[0], token=CalendarFeed.new_token()
            )
            session.add(feed)
            session.flush()
            rules = session.scalar(select(RuleSet).order_by(RuleSet.version.desc()))
            return World(
                clinic=clinic,
                client_id=ada,
                other_client_id=bo,
                intake_id=intake_ids[0],
                older_intake_id=intake_ids[1],
                other_intake_id=intake_services.intake_history(bo)[0].id,
                uncleared_client_id=cy,
                uncleared_intake_id=intake_services.intake_history(cy)[0].id,
                appointment_id=appointment_id,
                series_id=session.scalar(
                    select(Series.id).where(Series.client_id == ada)
                ),
                visit_id=visit_id,
                draft_visit_id=draft_id,
                other_visit_id=other_visit,
                other_appointment_id=other_appointment,
                print_id=printed.id,
                batch_id=batch.id,
                staff_id=clinic.estheticians[1],
                hours_id=session.scalar(
                    select(WorkingHours.id)
                    .where(WorkingHours.user_id == clinic.estheticians[1])
                    .limit(1)
                ),
                block_id=session.scalar(select(Block.id)),
                tablet_token=tablet_token,
                other_tablet_token=other_tablet_token,
                feed_token=feed.token,
                rules_version=rules.version,
                rule_code="cold_sore",
            )


def _catalogue_item(world: World, endpoint: str) -> int:
    kind = endpoint.removeprefix("catalogue.").split("_")[0]
    with_ids = {
        "service": world.clinic.service_id,
        "protocol": world.clinic.protocol_ids[0],
        "room": world.clinic.rooms[0],
        "device": world.clinic.devices[0],
    }
    assert kind in with_ids, f"{endpoint}: which catalogue kind is item_id?"
    return with_ids[kind]


def _token(world: World, endpoint: str) -> str:
    tokens = {
        # Bo's link: the matrix's own POST to Ada's intake-link revokes hers.
        "intake.tablet_intake": world.other_tablet_token,
        "scheduling.feed": world.feed_token,
    }
    assert endpoint in tokens, f"{endpoint}: which kind of token is <token>?"
    return tokens[endpoint]


def _static_file(_world: World, endpoint: str) -> str:
    return (
        "css/bootstrap.min.css" if endpoint.startswith("bootstrap") else "css/app.css"
    )


# URL argument name -> its real value: (world, endpoint) -> value.
ARGUMENTS: dict[str, Callable[[World, str], object]] = {
    "client_id": lambda w, _e: w.client_id,
    "intake_id": lambda w, _e: w.intake_id,
    "appointment_id": lambda w, _e: w.appointment_id,
    "series_id": lambda w, _e: w.series_id,
    "visit_id": lambda w, _e: w.visit_id,
    "print_id": lambda w, _e: w.print_id,
    "batch_id": lambda w, _e: w.batch_id,
    "service_id": lambda w, _e: w.clinic.service_id,
    "item_id": _catalogue_item,
    "user_id": lambda w, _e: w.staff_id,
    "hours_id": lambda w, _e: w.hours_id,
    "block_id": lambda w, _e: w.block_id,
    "token": _token,
    "version": lambda w, _e: w.rules_version,
    "code": lambda w, _e: w.rule_code,
    "kind": lambda _w, _e: ConsentKind.TREATMENT.value,
    "filename": _static_file,
}


def url_for_rule(app, world: World, rule) -> str:
    """The rule's URL with every parameter filled from ``ARGUMENTS``."""
    unknown = sorted(set(rule.arguments) - set(ARGUMENTS))
    if unknown:
        pytest.fail(
            f"{rule.endpoint} ({rule.rule}) takes {unknown}, which "
            "tests/security/world.py ARGUMENTS does not know: add a real object "
            "of that kind to build_world and an entry to ARGUMENTS."
        )
    values = {name: ARGUMENTS[name](world, rule.endpoint) for name in rule.arguments}
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def routes(app) -> list:
    """Every URL rule, in a stable order (signing out last)."""
    return sorted(
        app.url_map.iter_rules(),
        key=lambda rule: (rule.endpoint == "auth.logout", rule.rule, rule.endpoint),
    )


def methods_of(rule) -> list[str]:
    """Every method the rule accepts (HEAD and OPTIONS included)."""
    return sorted(rule.methods)
