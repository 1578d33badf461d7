"""Clients: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, STAFF, route
from clinic.clients import views

bp = Blueprint("clients", __name__, url_prefix="/clients")

GET_POST = ("GET", "POST")

route(bp, "", views.client_list, allow=STAFF)
route(bp, "/new", views.client_new, allow=STAFF, methods=GET_POST)
route(bp, "/<int:client_id>", views.profile, allow=STAFF, health_data=True)
route(bp, "/<int:client_id>/edit", views.client_edit, allow=STAFF, methods=GET_POST)
route(
    bp, "/<int:client_id>/archive", views.client_archive, allow=ADMIN, methods=("POST",)
)
route(
    bp, "/<int:client_id>/restore", views.client_restore, allow=ADMIN, methods=("POST",)
)
