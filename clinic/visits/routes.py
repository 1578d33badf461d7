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
    health_data=True,
)
# Every visit page shows or changes treatment notes: all are health data.
for rule, view, methods in (
    ("/visits/<int:visit_id>", views.visit, ("GET",)),
    ("/visits/<int:visit_id>/save", views.save, POST),
    ("/visits/<int:visit_id>/sign", views.sign, POST),
    ("/visits/<int:visit_id>/amend", views.amend, POST),
):
    route(bp, rule, view, allow=CLINICAL, methods=methods, health_data=True)
