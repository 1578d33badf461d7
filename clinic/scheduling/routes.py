"""Scheduling: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, PUBLIC, STAFF, route
from clinic.scheduling import (
    appointment_views,
    calendar_views,
    history,
    series_move_views,
    series_views,
    services,
    views,
)

bp = Blueprint("scheduling", __name__)
# Every page that lists appointments (calendar, dashboard) offers check-in,
# no-show and the late flag by the same rules as the services apply.
bp.app_context_processor(lambda: {"desk": services.desk()})
bp.app_template_filter("event_details")(history.event_details)

GET_POST = ("GET", "POST")
POST = ("POST",)

route(bp, "/clients/<int:client_id>/book", views.book, allow=STAFF, methods=GET_POST)
route(
    bp,
    "/clients/<int:client_id>/series/new",
    series_views.plan_series,
    allow=STAFF,
    methods=GET_POST,
)
route(
    bp,
    "/clients/<int:client_id>/series/confirm",
    series_views.confirm_series,
    allow=STAFF,
    methods=POST,
)
route(bp, "/series/<int:series_id>", series_views.series, allow=STAFF)
route(
    bp,
    "/series/<int:series_id>/move",
    series_move_views.move_sessions,
    allow=STAFF,
    methods=GET_POST,
)
route(
    bp, "/appointments/<int:appointment_id>", appointment_views.appointment, allow=STAFF
)
route(
    bp,
    "/appointments/<int:appointment_id>/reschedule",
    appointment_views.reschedule,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/cancel",
    appointment_views.cancel,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/check-in",
    appointment_views.check_in,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/undo-check-in",
    appointment_views.undo_check_in,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/complete",
    appointment_views.complete,
    allow=STAFF,
    methods=POST,
)
route(
    bp,
    "/appointments/<int:appointment_id>/no-show",
    appointment_views.no_show,
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
