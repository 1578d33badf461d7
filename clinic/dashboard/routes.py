"""Dashboard: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import PUBLIC, STAFF, route
from clinic.dashboard import views

bp = Blueprint("dashboard", __name__)

route(bp, "/", views.root, allow=PUBLIC)
route(bp, "/dashboard", views.index, allow=STAFF)
