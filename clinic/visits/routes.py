"""Visits: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import CLINICAL, route
from clinic.visits import views

bp = Blueprint("visits", __name__)

POST = ("POST",)

route(
    bp,
    "/appointments/<int:appointment_id>/visit",
    views.start,
    allow=CLINICAL,
    methods=("GET", "POST"),
)
route(bp, "/visits/<int:visit_id>", views.visit, allow=CLINICAL)
route(bp, "/visits/<int:visit_id>/save", views.save, allow=CLINICAL, methods=POST)
route(bp, "/visits/<int:visit_id>/sign", views.sign, allow=CLINICAL, methods=POST)
route(bp, "/visits/<int:visit_id>/amend", views.amend, allow=CLINICAL, methods=POST)
