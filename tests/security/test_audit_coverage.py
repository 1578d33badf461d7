"""Every read, change, print and export of client health data is audited.

Endpoints that touch health data declare it where their URL rule is declared
(``route(..., health_data=True)``; ``clinic.access.health_data_endpoints()``).
Two proofs hold that list to the truth:

- a crawl of every route (GET, and POST with an empty form) as an admin, who
  may see everything, finds which responses show a canary planted in the
  world's health data (intake answer, visit aftercare note, amendment; PDFs
  are read as text): each such endpoint must be declared;
- each declared endpoint is requested the way staff use it (``RECIPES``) and
  must add an audit row naming the client. A declared endpoint without a
  recipe fails, so a new health-data route gets its proof too.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from clinic.access import health_data_endpoints
from clinic.audit import AuditEvent
from clinic.extensions import db
from clinic.roles import Role
from tests.aftercare.support import TODAY, pdf_text, print_day, print_sheet
from tests.helpers import submit
from tests.intake.support import clearance, questionnaire
from tests.scheduling.support import today
from tests.security.crawl import form_token, send
from tests.security.world import CANARY, World, routes, url_for_rule
from tests.visits.support import amend, save, sign, zone

Recipe = tuple[Callable[[World], int], Callable]


def _get(path: Callable[[World], str]):
    return lambda app, browser, world: browser.get(path(world))


def _tablet(app, _browser, world):
    data = questionnaire(app, signature_name="Bo Other")
    return submit(app.test_client(), f"/tablet/intake/{world.other_tablet_token}", data)


def _staff_intake(app, browser, world):
    url = f"/clients/{world.client_id}/intake/new"
    return submit(browser, url, questionnaire(app, signature_name="Ada Lovelace"))


def ada(world: World) -> int:
    return world.client_id


# endpoint -> (whose client id the audit row must name, how staff request it)
RECIPES: dict[str, Recipe] = {
    "clients.profile": (ada, _get(lambda w: f"/clients/{w.client_id}")),
    "intake.intake_detail": (ada, _get(lambda w: f"/intakes/{w.intake_id}")),
    "intake.compare_intakes": (
        ada,
        _get(lambda w: f"/clients/{w.client_id}/intakes/compare"),
    ),
    "intake.staff_intake": (ada, _staff_intake),
    "intake.tablet_intake": (lambda w: w.other_client_id, _tablet),
    "intake.record_clearance": (
        lambda w: w.uncleared_client_id,
        lambda app, browser, world: clearance(
            browser, world.uncleared_intake_id, cleared_on=today(app).isoformat()
        ),
    ),
    "visits.start": (ada, _get(lambda w: f"/appointments/{w.appointment_id}/visit")),
    "visits.visit": (ada, _get(lambda w: f"/visits/{w.visit_id}")),
    "visits.save": (
        ada,
        lambda app, browser, world: save(browser, world.draft_visit_id, zone("neck")),
    ),
    "visits.sign": (
        ada,
        lambda app, browser, world: sign(browser, world.draft_visit_id),
    ),
    "visits.amend": (
        ada,
        lambda app, browser, world: amend(browser, world.visit_id, "Audited"),
    ),
    "aftercare.print_visit": (
        ada,
        lambda app, browser, world: print_sheet(browser, world.visit_id),
    ),
    "aftercare.reprint": (ada, _get(lambda w: f"/aftercare/prints/{w.print_id}.pdf")),
    "aftercare.print_day": (ada, lambda app, browser, world: print_day(browser, TODAY)),
    "aftercare.reprint_batch": (
        ada,
        _get(lambda w: f"/aftercare/batches/{w.batch_id}.pdf"),
    ),
    "privacy.export_client": (
        ada,
        lambda app, browser, world: submit(
            browser,
            f"/clients/{world.client_id}/export",
            {"format": "json"},
            page=f"/clients/{world.client_id}",
        ),
    ),
}
# Requested by an admin: the others are the esthetician's.
BY_ADMIN = {"privacy.export_client"}


def last_seq(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.seq))) or 0


def events_since(app, seq: int) -> list[tuple[str, int | None]]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEvent.action, AuditEvent.client_id).where(
                    AuditEvent.seq > seq
                )
            )
        )


def shows_canary(response) -> bool:
    if response.mimetype == "application/pdf":
        return CANARY in pdf_text(response.get_data())
    return CANARY in response.get_data(as_text=True)


def test_every_page_showing_health_data_is_declared(app, world, browser_as):
    browser = browser_as(Role.ADMIN)
    token = form_token(browser, Role.ADMIN)
    showing = set()
    for rule in routes(app):
        url = url_for_rule(app, world, rule)
        for method in {"GET", "POST"} & rule.methods:
            data = {"csrf_token": token} if method == "POST" else None
            if shows_canary(send(browser, method, url, data)):
                showing.add(rule.endpoint)
    assert showing, "the canary is on no page: the crawl proves nothing"
    assert showing - health_data_endpoints() == set()


def test_every_health_data_endpoint_writes_an_audit_row_naming_the_client(
    app, world, browser_as
):
    """Requested as staff do (the esthetician who owns Ada's visits; an admin
    for what only admins may do)."""
    missing = sorted(health_data_endpoints() - set(RECIPES))
    assert missing == [], (
        f"{missing} declare health_data=True: add how staff request them to "
        "RECIPES in tests/security/test_audit_coverage.py"
    )
    browsers = {False: browser_as(Role.ESTHETICIAN), True: browser_as(Role.ADMIN)}
    unaudited = []
    for endpoint, (client_of, request) in RECIPES.items():
        assert endpoint in health_data_endpoints(), f"{endpoint} is not declared"
        seq = last_seq(app)
        response = request(app, browsers[endpoint in BY_ADMIN], world)
        assert response.status_code in (200, 302), (endpoint, response.status_code)
        events = events_since(app, seq)
        if not any(client_id == client_of(world) for _action, client_id in events):
            unaudited.append(f"{endpoint}: {events}")
    assert unaudited == []
