"""Owner/admin area: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, route
from clinic.admin import audit_views, views

bp = Blueprint("admin", __name__, url_prefix="/admin")

GET_POST = ("GET", "POST")
route(bp, "", views.index, allow=ADMIN)
route(bp, "/staff", views.staff_list, allow=ADMIN)
route(bp, "/staff/new", views.staff_new, allow=ADMIN, methods=GET_POST)
route(bp, "/staff/<int:user_id>", views.staff_edit, allow=ADMIN, methods=GET_POST)
route(
    bp,
    "/staff/<int:user_id>/password",
    views.staff_reset_password,
    allow=ADMIN,
    methods=("POST",),
)
route(
    bp,
    "/staff/<int:user_id>/deactivate",
    views.staff_deactivate,
    allow=ADMIN,
    methods=("POST",),
)
route(
    bp,
    "/staff/<int:user_id>/reactivate",
    views.staff_reactivate,
    allow=ADMIN,
    methods=("POST",),
)
route(
    bp,
    "/staff/<int:user_id>/end-sessions",
    views.staff_end_sessions,
    allow=ADMIN,
    methods=("POST",),
)
route(
    bp,
    "/staff/<int:user_id>/two-factor/reset",
    views.staff_reset_two_factor,
    allow=ADMIN,
    methods=("POST",),
)
# The audit log: reading it is audited (audit.viewed / audit.exported); the
# rows hold no health data, so these are not health_data routes.
route(bp, "/audit", audit_views.audit_log_page, allow=ADMIN, endpoint="audit_log")
route(bp, "/audit/export.csv", audit_views.audit_export, allow=ADMIN)
route(bp, "/audit/verify", audit_views.audit_verify, allow=ADMIN, methods=("POST",))
