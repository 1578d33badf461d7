"""Catalogue, working hours and blocks: every URL rule, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, route
from clinic.catalogue import views

bp = Blueprint("catalogue", __name__, url_prefix="/admin")

GET_POST = ("GET", "POST")
POST = ("POST",)

route(bp, "/services", views.service_list, allow=ADMIN)
route(bp, "/services/new", views.service_new, allow=ADMIN, methods=GET_POST)
route(bp, "/services/<int:item_id>", views.service_edit, allow=ADMIN, methods=GET_POST)
route(
    bp,
    "/services/<int:item_id>/deactivate",
    views.service_deactivate,
    allow=ADMIN,
    methods=POST,
)
route(
    bp,
    "/services/<int:item_id>/reactivate",
    views.service_reactivate,
    allow=ADMIN,
    methods=POST,
)

route(bp, "/protocols", views.protocol_list, allow=ADMIN)
route(bp, "/protocols/new", views.protocol_new, allow=ADMIN, methods=GET_POST)
route(
    bp, "/protocols/<int:item_id>", views.protocol_edit, allow=ADMIN, methods=GET_POST
)
route(
    bp,
    "/protocols/<int:item_id>/deactivate",
    views.protocol_deactivate,
    allow=ADMIN,
    methods=POST,
)
route(
    bp,
    "/protocols/<int:item_id>/reactivate",
    views.protocol_reactivate,
    allow=ADMIN,
    methods=POST,
)

route(bp, "/rooms", views.room_list, allow=ADMIN)
route(bp, "/rooms/new", views.room_new, allow=ADMIN, methods=GET_POST)
route(bp, "/rooms/<int:item_id>", views.room_edit, allow=ADMIN, methods=GET_POST)
route(
    bp,
    "/rooms/<int:item_id>/deactivate",
    views.room_deactivate,
    allow=ADMIN,
    methods=POST,
)
route(
    bp,
    "/rooms/<int:item_id>/reactivate",
    views.room_reactivate,
    allow=ADMIN,
    methods=POST,
)

route(bp, "/devices", views.device_list, allow=ADMIN)
route(bp, "/devices/new", views.device_new, allow=ADMIN, methods=GET_POST)
route(bp, "/devices/<int:item_id>", views.device_edit, allow=ADMIN, methods=GET_POST)
route(
    bp,
    "/devices/<int:item_id>/deactivate",
    views.device_deactivate,
    allow=ADMIN,
    methods=POST,
)
route(
    bp,
    "/devices/<int:item_id>/reactivate",
    views.device_reactivate,
    allow=ADMIN,
    methods=POST,
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
