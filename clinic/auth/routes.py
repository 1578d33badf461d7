"""Staff sign-in: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import PUBLIC, STAFF, route
from clinic.auth import account_views, views

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
route(bp, "/login/code", views.login_code, allow=PUBLIC, methods=("GET", "POST"))
route(bp, "/account", account_views.account, allow=STAFF)
route(
    bp,
    "/account/two-factor",
    account_views.two_factor_setup,
    allow=STAFF,
    methods=("GET", "POST"),
)
route(
    bp,
    "/account/two-factor/recovery-codes",
    account_views.recovery_codes,
    allow=STAFF,
)
route(
    bp,
    "/account/two-factor/recovery-codes/new",
    account_views.regenerate_recovery_codes,
    allow=STAFF,
    methods=("POST",),
)
route(
    bp,
    "/account/two-factor/disable",
    account_views.disable_two_factor,
    allow=STAFF,
    methods=("POST",),
)
