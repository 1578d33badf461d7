"""The calendar: day (by esthetician or room), week, printable day sheet, feeds."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from icalendar import Calendar, Event
from sqlalchemy import select

from clinic.auth.models import User
from clinic.catalogue.models import Room
from clinic.clock import clinic_today, clinic_tz, utcnow
from clinic.db import INTEGER_LIMIT
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling import queries
from clinic.scheduling.forms import ActionForm
from clinic.scheduling.models import Appointment, AppointmentStatus, CalendarFeed

FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 120
# Dates the calendar accepts: a week either side and the UTC conversion must
# stay inside what ``datetime`` can hold (9999-12-31 used to be a 500).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(9000, 12, 31)


def _day_arg(name: str = "date") -> date:
    raw = request.args.get(name)
    if not raw:
        return clinic_today()
    try:
        shown = date.fromisoformat(raw)
    except ValueError:
        abort(400)
    if not EARLIEST_DAY <= shown <= LATEST_DAY:
        abort(400)
    return shown


def _columns(day_appointments: list[Appointment], by: str):
    """(key, heading, appointments) per esthetician or per room."""
    if by == "room":
        rooms = list(
            db.session.scalars(
                select(Room).where(Room.active.is_(True)).order_by(Room.name)
            )
        )
        keys = {room.id: room.name for room in rooms}
        pick = lambda a: (a.room_id, a.room.name)  # noqa: E731
    else:
        keys = {e.id: e.name for e in queries.active_estheticians()}
        pick = lambda a: (a.esthetician_id, a.esthetician.name)  # noqa: E731
    grouped: dict[int, list[Appointment]] = {key: [] for key in keys}
    for appointment in day_appointments:
        key, heading = pick(appointment)
        keys.setdefault(key, heading)
        grouped.setdefault(key, []).append(appointment)
    return [(key, keys[key], grouped[key]) for key in keys]


def day():
    """All appointments of one day, a column per esthetician (or per room)."""
    shown = _day_arg()
    by = "room" if request.args.get("by") == "room" else "esthetician"
    start, end = queries.day_bounds(shown, shown)
    appointments = queries.appointments_between(start, end)
    return render_template(
        "scheduling/day.html",
        day=shown,
        by=by,
        columns=_columns(appointments, by),
        count=sum(
            1 for a in appointments if a.status is not AppointmentStatus.CANCELLED
        ),
        action_form=ActionForm(),
        prev_day=shown - timedelta(days=1),
        next_day=shown + timedelta(days=1),
    )


def day_sheet():
    """A printable list of the day, in time order."""
    shown = _day_arg()
    start, end = queries.day_bounds(shown, shown)
    return render_template(
        "scheduling/day_sheet.html",
        day=shown,
        appointments=queries.appointments_between(start, end, include_cancelled=False),
    )


def week():
    """One esthetician's week (Monday to Sunday)."""
    estheticians = queries.active_estheticians()
    if not estheticians:
        return render_template(
            "scheduling/week.html",
            esthetician=None,
            days=[],
            estheticians=[],
            monday=None,
        )
    chosen = request.args.get("esthetician", type=int) or estheticians[0].id
    if not 0 < chosen <= INTEGER_LIMIT:  # PostgreSQL refuses the lookup itself
        abort(404)
    esthetician = db.session.get(User, chosen)
    if esthetician is None or esthetician.role != Role.ESTHETICIAN:
        abort(404)
    shown = _day_arg()
    monday = shown - timedelta(days=shown.weekday())
    start, end = queries.day_bounds(monday, monday + timedelta(days=6))
    appointments = queries.appointments_between(start, end, esthetician_id=chosen)
    tz = clinic_tz()
    days = [(monday + timedelta(days=i), []) for i in range(7)]
    for appointment in appointments:
        index = (appointment.starts_at.astimezone(tz).date() - monday).days
        if 0 <= index < 7:
            days[index][1].append(appointment)
    return render_template(
        "scheduling/week.html",
        esthetician=esthetician,
        estheticians=estheticians,
        days=days,
        monday=monday,
        prev_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
    )


# --- iCalendar feeds -------------------------------------------------------


def _feed_for(user: User) -> CalendarFeed:
    feed = db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id)
    )
    if feed is None:
        feed = CalendarFeed(user=user, token=CalendarFeed.new_token())
        db.session.add(feed)
        db.session.flush()
    return feed


def _feeds_by_user(users: list[User]) -> dict[int, CalendarFeed]:
    return {
        feed.user_id: feed
        for feed in db.session.scalars(
            select(CalendarFeed).where(CalendarFeed.user_id.in_([u.id for u in users]))
        )
    }


def feeds():
    """The owner's list of feed addresses, one per esthetician.

    A GET changes nothing: an esthetician without an address gets a button
    that creates one (a POST, like changing it).
    """
    estheticians = queries.active_estheticians()
    found = _feeds_by_user(estheticians)
    rows = [(user, found.get(user.id)) for user in estheticians]
    return render_template("scheduling/feeds.html", rows=rows, action_form=ActionForm())


def rotate_feed(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.ESTHETICIAN:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    from clinic import audit

    existing = db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id)
    )
    if existing is None:
        _feed_for(user)
        audit.record("calendar_feed.created", entity_type="user", entity_id=user.id)
        message = f"{user.name}'s calendar address was created."
    else:
        existing.token = CalendarFeed.new_token()
        existing.rotated_at = utcnow()
        audit.record("calendar_feed.rotated", entity_type="user", entity_id=user.id)
        message = (
            f"{user.name}'s calendar address was changed; the old one no longer works."
        )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("scheduling.feeds"))


def client_label(appointment: Appointment) -> str:
    """First name and initial only: a calendar feed leaves the clinic."""
    client = appointment.client
    initial = f" {client.family_name[:1]}." if client.family_name else ""
    return f"{client.given_name}{initial}"


def feed(token: str):
    """The esthetician's appointments as iCalendar (no health data)."""
    if len(token) > 100:
        abort(404)
    found = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if found is None or not found.user.active:
        abort(404)
    now = utcnow()
    appointments = queries.appointments_between(
        now - timedelta(days=FEED_PAST_DAYS),
        now + timedelta(days=FEED_FUTURE_DAYS),
        esthetician_id=found.user_id,
        include_cancelled=False,
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Microcurrent clinic//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{found.user.name} - clinic appointments")
    for appointment in appointments:
        if appointment.status is AppointmentStatus.NO_SHOW:
            continue
        event = Event()
        event.add("uid", f"appointment-{appointment.id}@clinic")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        summary = f"{appointment.service.name}: {client_label(appointment)}"
        if appointment.session_number:
            summary += f" ({appointment.session_label})"
        event.add("summary", summary)
        event.add("location", appointment.room.name)
        calendar.add_component(event)
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = "inline; filename=appointments.ics"
    return response
