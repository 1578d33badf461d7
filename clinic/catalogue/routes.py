"""Catalogue, working hours and blocks: every URL rule, with who may use it."""

from functools import partial, update_wrapper

from flask import Blueprint

from clinic.access import ADMIN, route
from clinic.catalogue import views

bp = Blueprint("catalogue", __name__, url_prefix="/admin")

GET_POST = ("GET", "POST")
POST = ("POST",)

# Services, protocols, rooms and devices share one set of pages each:
# list, new, edit, deactivate, reactivate (endpoints like "service_list").
for key in ("service", "protocol", "room", "device"):
    kind = views.KINDS[key]
    base = f"/{key}s"
    for rule, page, action, methods in (
        (base, views.list_page, "list", ("GET",)),
        (f"{base}/new", views.new_page, "new", GET_POST),
        (f"{base}/<int:item_id>", views.edit_page, "edit", GET_POST),
        (f"{base}/<int:item_id>/deactivate", views.deactivate, "deactivate", POST),
        (f"{base}/<int:item_id>/reactivate", views.reactivate, "reactivate", POST),
    ):
        route(
            bp,
            rule,
            update_wrapper(partial(page, kind), page),
            allow=ADMIN,
            methods=methods,
            endpoint=f"{key}_{action}",
        )

route(bp, "/hours", views.hours_overview, allow=ADMIN)
route(
    bp, "/staff/<int:user_id>/hours", views.staff_hours, allow=ADMIN, methods=GET_POST
)
route(
    bp,
    "/staff/<int:user_id>/hours/<int:hours_id>/remove",
    views.staff_hours_remove,
    allow=ADMIN,
    methods=POST,
)

route(bp, "/blocks", views.block_list, allow=ADMIN)
route(bp, "/blocks/new", views.block_new, allow=ADMIN, methods=GET_POST)
route(
    bp, "/blocks/<int:block_id>/cancel", views.block_cancel, allow=ADMIN, methods=POST
)
