"""Scheduling: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, PUBLIC, STAFF, route
from clinic.scheduling import calendar_views, views

bp = Blueprint("scheduling", __name__)

GET_POST = ("GET", "POST")
POST = ("POST",)

route(bp, "/clients/<int:client_id>/book", views.book, allow=STAFF, methods=GET_POST)
route(
    bp,
    "/clients/<int:client_id>/series/new",
    views.plan_series,
    allow=STAFF,
    methods=GET_POST,
)
route(
    bp,
    "/clients/<int:client_id>/series/confirm",
    views.confirm_series,
    allow=STAFF,
    methods=POST,
)
route(bp, "/series/<int:series_id>", views.series, allow=STAFF)
route(bp, "/appointments/<int:appointment_id>", views.appointment, allow=STAFF)
route(
    bp,
    "/appointments/<int:appointment_id>/reschedule",
    views.reschedule,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/cancel",
    views.cancel,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/check-in",
    views.check_in,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/complete",
    views.complete,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/no-show",
    views.no_show,
    allow=STAFF,
    methods=POST,
)

route(bp, "/calendar", calendar_views.day, allow=STAFF)
route(bp, "/calendar/week", calendar_views.week, allow=STAFF)
route(bp, "/calendar/print", calendar_views.day_sheet, allow=STAFF)
route(bp, "/feeds/<token>.ics", calendar_views.feed, allow=PUBLIC)
route(bp, "/admin/feeds", calendar_views.feeds, allow=ADMIN)
route(
    bp,
    "/admin/feeds/<int:user_id>/rotate",
    calendar_views.rotate_feed,
    allow=ADMIN,
    methods=POST,
)
