"""Staff sign-in: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import PUBLIC, STAFF, route
from clinic.auth import views

bp = Blueprint("auth", __name__)

route(bp, "/login", views.login, allow=PUBLIC, methods=("GET", "POST"))
route(bp, "/logout", views.logout, allow=STAFF, methods=("POST",))
route(
    bp,
    "/account/password",
    views.change_password,
    allow=STAFF,
    methods=("GET", "POST"),
)
