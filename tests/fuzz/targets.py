"""The fuzz targets: one row per POST endpoint of the app, in one place.

A new POST route fails ``test_every_post_route_has_a_target`` until a row is
added here: who sends it, to which URL, and which page shows its form (the
fuzzer reads the fields from that page). ``page=None`` marks one-click actions
whose form is only shown in some states; their fuzz is the CSRF token plus
whatever junk fields the fuzzer adds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from tests.fuzz.world import World
from tests.scheduling.support import book_url
from tests.visits.support import TODAY

Url = Callable[[World], str]


@dataclass(frozen=True)
class Target:
    role: str  # "admin", "front_desk", "esthetician" or "anonymous"
    url: Url
    page: Url | None = None  # the GET page showing the form (default: url)
    data: Callable[[World], dict] = field(default=lambda w: {})
    fresh_browser: bool = False  # a new signed-in browser per example

    def page_url(self, world: World) -> str | None:
        return self.page(world) if self.page else None


def _same(target_url: Url, role: str, **kw) -> Target:
    """A form posted to the page that shows it."""
    return Target(role, target_url, page=target_url, **kw)


def _later(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def _catalogue(kind: str) -> dict[str, Target]:
    ids = {
        "services": lambda w: w.clinic.service_id,
        "protocols": lambda w: w.clinic.protocol_ids[0],
        "rooms": lambda w: w.clinic.rooms[0],
        "devices": lambda w: w.clinic.devices[0],
    }[kind]
    one = kind[:-1]
    return {
        f"catalogue.{one}_new": _same(lambda w: f"/admin/{kind}/new", "admin"),
        f"catalogue.{one}_edit": _same(lambda w: f"/admin/{kind}/{ids(w)}", "admin"),
        f"catalogue.{one}_deactivate": Target(
            "admin",
            lambda w: f"/admin/{kind}/{ids(w)}/deactivate",
            page=lambda w: f"/admin/{kind}",
        ),
        f"catalogue.{one}_reactivate": Target(
            "admin", lambda w: f"/admin/{kind}/{ids(w)}/reactivate"
        ),
    }


def _appointment(action: str, which: str = "appointment_id") -> Target:
    return Target(
        "front_desk",
        lambda w: f"/appointments/{getattr(w, which)}/{action}",
        page=lambda w: f"/appointments/{getattr(w, which)}",
    )


def _series_confirm(w: World) -> dict:
    return {
        "protocol": str(w.clinic.protocol_ids[0]),
        "esthetician": "any",
        "first_day": _later(3),
        "weekdays": "",
        "preferred_time": "10:00",
        "sessions-0-day": _later(3),
        "sessions-0-at": "10:00",
        "sessions-0-esthetician": str(w.clinic.estheticians[0]),
        "confirm": "Book all sessions",
    }


TARGETS: dict[str, Target] = {
    # auth
    "auth.login": _same(lambda w: "/login", "anonymous", fresh_browser=True),
    "auth.logout": Target(
        "front_desk",
        lambda w: "/logout",
        page=lambda w: "/dashboard",
        fresh_browser=True,
    ),
    "auth.change_password": _same(lambda w: "/account/password", "front_desk"),
    # The code step needs a password step first; without one it is refused.
    "auth.login_code": Target("anonymous", lambda w: "/login/code", fresh_browser=True),
    "auth.two_factor_setup": _same(lambda w: "/account/two-factor", "front_desk"),
    # Only shown once two-factor is on.
    "auth.regenerate_recovery_codes": Target(
        "front_desk", lambda w: "/account/two-factor/recovery-codes/new"
    ),
    "auth.disable_two_factor": Target(
        "front_desk", lambda w: "/account/two-factor/disable"
    ),
    "admin.staff_reset_two_factor": Target(
        "admin", lambda w: f"/admin/staff/{w.other_staff_id}/two-factor/reset"
    ),
    # privacy
    "privacy.export_client": Target(
        "admin",
        lambda w: f"/clients/{w.client_id}/export",
        page=lambda w: f"/clients/{w.client_id}",
    ),
    "privacy.erase_client": _same(lambda w: f"/clients/{w.client_id}/erase", "admin"),
    # admin: staff
    "admin.staff_new": _same(lambda w: "/admin/staff/new", "admin"),
    "admin.staff_edit": _same(lambda w: f"/admin/staff/{w.other_staff_id}", "admin"),
    "admin.staff_deactivate": Target(
        "admin",
        lambda w: f"/admin/staff/{w.other_staff_id}/deactivate",
        page=lambda w: f"/admin/staff/{w.other_staff_id}",
    ),
    "admin.staff_reactivate": Target(
        "admin", lambda w: f"/admin/staff/{w.other_staff_id}/reactivate"
    ),
    "admin.staff_end_sessions": Target(
        "admin",
        lambda w: f"/admin/staff/{w.other_staff_id}/end-sessions",
        page=lambda w: f"/admin/staff/{w.other_staff_id}",
    ),
    "admin.staff_reset_password": Target(
        "admin",
        lambda w: f"/admin/staff/{w.other_staff_id}/password",
        page=lambda w: f"/admin/staff/{w.other_staff_id}",
    ),
    # admin: the audit log's whole-chain check (the page's filters ride along)
    "admin.audit_verify": Target(
        "admin", lambda w: "/admin/audit/verify", page=lambda w: "/admin/audit"
    ),
    # catalogue
    **_catalogue("services"),
    **_catalogue("protocols"),
    **_catalogue("rooms"),
    **_catalogue("devices"),
    "catalogue.block_new": _same(lambda w: "/admin/blocks/new", "admin"),
    "catalogue.block_cancel": Target(
        "admin",
        lambda w: f"/admin/blocks/{w.block_id}/cancel",
        page=lambda w: "/admin/blocks",
    ),
    "catalogue.staff_hours": _same(
        lambda w: f"/admin/staff/{w.clinic.estheticians[1]}/hours", "admin"
    ),
    "catalogue.staff_hours_remove": Target(
        "admin",
        lambda w: f"/admin/staff/{w.clinic.estheticians[1]}/hours/{w.hours_id}/remove",
        page=lambda w: f"/admin/staff/{w.clinic.estheticians[1]}/hours",
    ),
    # intake: admin pages
    "intake.minimum_age": Target(
        "admin",
        lambda w: "/admin/screening/minimum-age",
        page=lambda w: "/admin/screening",
    ),
    "intake.rule_new": _same(lambda w: "/admin/screening/rules/new", "admin"),
    "intake.rule_edit": _same(
        lambda w: f"/admin/screening/rules/{w.rule_code}", "admin"
    ),
    "intake.consent_edit": _same(
        lambda w: f"/admin/consents/{w.consent_kind}", "admin"
    ),
    # intake: clients
    "intake.staff_intake": _same(
        lambda w: f"/clients/{w.client_id}/intake/new", "esthetician"
    ),
    "intake.tablet_intake": _same(
        lambda w: f"/tablet/intake/{w.tablet_token}", "anonymous"
    ),
    "intake.create_tablet_link": Target(
        "front_desk",
        lambda w: f"/clients/{w.client_id}/intake-link",
        page=lambda w: f"/clients/{w.client_id}",
    ),
    "intake.record_clearance": Target(
        "esthetician",
        lambda w: f"/intakes/{w.intake_id}/clearance",
        page=lambda w: f"/intakes/{w.intake_id}",
    ),
    # clients
    "clients.client_new": _same(lambda w: "/clients/new", "front_desk"),
    "clients.client_edit": _same(
        lambda w: f"/clients/{w.client_id}/edit", "front_desk"
    ),
    "clients.client_archive": Target(
        "admin",
        lambda w: f"/clients/{w.client_id}/archive",
        page=lambda w: f"/clients/{w.client_id}",
    ),
    "clients.client_restore": Target(
        "admin", lambda w: f"/clients/{w.client_id}/restore"
    ),
    # scheduling
    "scheduling.book": Target(
        "front_desk",
        lambda w: f"/clients/{w.client_id}/book",
        page=lambda w: book_url(w.client_id, w.clinic.service_id, TODAY + timedelta(2)),
    ),
    "scheduling.plan_series": _same(
        lambda w: f"/clients/{w.client_id}/series/new", "front_desk"
    ),
    "scheduling.confirm_series": Target(
        "front_desk",
        lambda w: f"/clients/{w.client_id}/series/confirm",
        data=_series_confirm,
    ),
    "scheduling.reschedule": _appointment("reschedule"),
    "scheduling.cancel": _appointment("cancel"),
    "scheduling.check_in": _appointment("check-in", "today_appointment_id"),
    # Offered from the start time on: the fuzz runs before it.
    "scheduling.no_show": Target(
        "front_desk", lambda w: f"/appointments/{w.today_appointment_id}/no-show"
    ),
    "scheduling.undo_check_in": _appointment("undo-check-in", "checked_in_id"),
    "scheduling.move_sessions": _same(
        lambda w: f"/series/{w.series_id}/move", "front_desk"
    ),
    "scheduling.complete": _appointment("complete", "checked_in_id"),
    "scheduling.rotate_feed": Target(
        "admin",
        lambda w: f"/admin/feeds/{w.clinic.estheticians[0]}/rotate",
        page=lambda w: "/admin/feeds",
    ),
    # visits
    "visits.start": _same(
        lambda w: f"/appointments/{w.checked_in_id}/visit", "esthetician"
    ),
    "visits.save": Target(
        "esthetician",
        lambda w: f"/visits/{w.draft_visit_id}/save",
        page=lambda w: f"/visits/{w.draft_visit_id}",
    ),
    "visits.sign": Target(
        "esthetician",
        lambda w: f"/visits/{w.draft_visit_id}/sign",
        page=lambda w: f"/visits/{w.draft_visit_id}",
    ),
    "visits.amend": Target(
        "esthetician",
        lambda w: f"/visits/{w.signed_visit_id}/amend",
        page=lambda w: f"/visits/{w.signed_visit_id}",
    ),
    # aftercare
    "aftercare.print_visit": Target(
        "front_desk", lambda w: f"/visits/{w.signed_visit_id}/aftercare"
    ),
    "aftercare.print_day": Target(
        "front_desk", lambda w: "/aftercare/day", page=lambda w: "/aftercare"
    ),
    "aftercare.template_edit": _same(
        lambda w: f"/admin/aftercare/{w.clinic.service_id}", "admin"
    ),
}
