"""Owner/admin area: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, route
from clinic.admin import views

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
