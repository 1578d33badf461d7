"""Intake and screening: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, CLINICAL, PUBLIC, STAFF, route
from clinic.intake import admin_views, views

bp = Blueprint("intake", __name__)

GET_POST = ("GET", "POST")

route(
    bp,
    "/clients/<int:client_id>/intake/new",
    views.staff_intake,
    allow=CLINICAL,
    methods=GET_POST,
    health_data=True,
)
route(
    bp,
    "/clients/<int:client_id>/intake-link",
    views.create_tablet_link,
    allow=STAFF,
    methods=("POST",),
)
route(
    bp,
    "/clients/<int:client_id>/intakes/compare",
    views.compare_intakes,
    allow=CLINICAL,
    health_data=True,
)
route(
    bp,
    "/intakes/<int:intake_id>",
    views.intake_detail,
    allow=CLINICAL,
    health_data=True,
)
route(
    bp,
    "/intakes/<int:intake_id>/clearance",
    views.record_clearance,
    allow=CLINICAL,
    methods=("POST",),
    health_data=True,
)
route(
    bp,
    "/tablet/intake/<token>",
    views.tablet_intake,
    allow=PUBLIC,
    methods=GET_POST,
    health_data=True,
)
route(bp, "/tablet/thank-you", views.tablet_done, allow=PUBLIC)

route(bp, "/admin/screening", admin_views.rules_overview, allow=ADMIN)
route(
    bp,
    "/admin/screening/versions/<int:version>",
    admin_views.rules_version,
    allow=ADMIN,
)
route(
    bp,
    "/admin/screening/rules/new",
    admin_views.rule_new,
    allow=ADMIN,
    methods=GET_POST,
)
route(
    bp,
    "/admin/screening/rules/<code>",
    admin_views.rule_edit,
    allow=ADMIN,
    methods=GET_POST,
)
route(
    bp,
    "/admin/screening/minimum-age",
    admin_views.minimum_age,
    allow=ADMIN,
    methods=("POST",),
)
route(bp, "/admin/consents", admin_views.consents_overview, allow=ADMIN)
route(
    bp,
    "/admin/consents/<kind>",
    admin_views.consent_edit,
    allow=ADMIN,
    methods=GET_POST,
)
