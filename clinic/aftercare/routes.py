"""Aftercare: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, STAFF, route
from clinic.aftercare import views

bp = Blueprint("aftercare", __name__)

route(
    bp,
    "/visits/<int:visit_id>/aftercare",
    views.print_visit,
    allow=STAFF,
    methods=("POST",),
    health_data=True,
)
route(
    bp,
    "/aftercare/prints/<int:print_id>.pdf",
    views.reprint,
    allow=STAFF,
    health_data=True,
)
route(bp, "/aftercare", views.day, allow=STAFF)
route(
    bp,
    "/aftercare/day",
    views.print_day,
    allow=STAFF,
    methods=("POST",),
    health_data=True,
)
route(
    bp,
    "/aftercare/batches/<int:batch_id>.pdf",
    views.reprint_batch,
    allow=STAFF,
    health_data=True,
)
route(bp, "/admin/aftercare", views.templates, allow=ADMIN)
route(
    bp,
    "/admin/aftercare/<int:service_id>",
    views.template_edit,
    allow=ADMIN,
    methods=("GET", "POST"),
)
