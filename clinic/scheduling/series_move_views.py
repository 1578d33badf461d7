"""Move the sessions of a series still to come, all at once: for a client
deferred at the visit's re-screen, the rest of the series from the day they
may be treated again."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.clock import clinic_today, clinic_tz
from clinic.extensions import db
from clinic.scheduling import bookable, planner, queries, series_services
from clinic.scheduling.booking import Placement
from clinic.scheduling.forms import (
    LocalTimeError,
    MoveSessionsForm,
    esthetician_choices,
    local_to_utc,
)
from clinic.scheduling.models import Appointment, Series


def _proposal(series: Series, remaining: list[Appointment], first_day: date) -> list:
    """The planner's days for the remaining sessions from ``first_day``, at
    their time of day and weekdays, with their esthetician where free."""
    tz = clinic_tz()
    first = remaining[0].starts_at.astimezone(tz)
    rules = series_services.gap_rules(series)
    rules = planner.Protocol(
        sessions=len(remaining),
        min_gap_days=rules.min_gap_days,
        preferred_gap_days=rules.preferred_gap_days,
        max_gap_days=rules.max_gap_days,
    )
    finder = queries.SlotFinder(
        series.service,
        first_day,
        first_day + timedelta(days=len(remaining) * rules.max_gap_days + 14),
        esthetician_ids=[remaining[0].esthetician_id],
        client_id=series.client_id,
        moving=tuple(a.id for a in remaining),
    )
    return planner.plan_series(
        protocol=rules,
        first_day=first_day,
        preferred_weekdays=frozenset(
            a.starts_at.astimezone(tz).weekday() for a in remaining
        ),
        preferred_time=first.time(),
        tz=tz,
        slots_by_day=finder.by_day(),
        earliest_day=first_day,
    )


def _form(series, remaining, first_day, formdata=None) -> MoveSessionsForm:
    data = None
    if formdata is None:
        tz = clinic_tz()
        rows = []
        for appointment, session in zip(
            remaining, _proposal(series, remaining, first_day), strict=True
        ):
            start = (session.start or appointment.starts_at).astimezone(tz)
            rows.append(
                {
                    "appointment": str(appointment.id),
                    "day": start.date() if session.start else session.target_day,
                    "at": start.time(),
                    "esthetician": str(
                        session.esthetician_id or appointment.esthetician_id
                    ),
                }
            )
        data = {"sessions": rows}
    form = MoveSessionsForm(formdata=formdata, data=data)
    staff = esthetician_choices(any_label=None)
    for row in form.sessions:
        row.esthetician.choices = staff
    return form


def move_sessions(series_id: int):
    """GET: a proposal for every session still to come, from the first day
    the client may be treated (or ``?from=``); POST: check again, or move them
    all (409 with the refused rows marked, nothing moved)."""
    series = db.get_or_404(Series, series_id)
    today = clinic_today()
    remaining = series_services.sessions_to_move(series, today)
    back = url_for("scheduling.series", series_id=series.id)
    if not remaining:
        flash("No session of this series is left to move.", "info")
        return redirect(back)
    window = bookable.booking_window(series.client, series.service, today)
    first_day = _from_day(window, today)
    status, conflicts = 200, {}
    if request.method != "POST":  # GET or HEAD
        form = _form(series, remaining, first_day)
    else:
        form = _form(series, remaining, first_day, formdata=request.form)
        if not form.validate_on_submit():
            status = 422
        else:
            done, status, conflicts = _post(series, remaining, form)
            if done:
                db.session.commit()
                flash(f"{len(remaining)} sessions were moved.", "success")
                return redirect(back)
    return render_template(
        "scheduling/series_move.html",
        series=series,
        remaining={a.id: a for a in remaining},
        form=form,
        conflicts=conflicts,
        window=window,
        first_day=first_day,
    ), status


def _from_day(window, today: date) -> date:
    raw = request.args.get("from")
    if raw:
        try:
            return max(date.fromisoformat(raw), today)
        except ValueError:
            abort(400)
    return window.first_day or today


def _post(series, remaining, form) -> tuple[bool, int, dict[int, str]]:
    """(moved, status, notes per session) for a validated POST."""
    by_id = {a.id: a for a in remaining}
    if sorted(int(row.appointment.data) for row in form.sessions) != sorted(by_id):
        abort(400)  # not the sessions left to move: a stale or forged form
    moves, notes = [], {}
    for row in form.sessions:
        appointment = by_id[int(row.appointment.data)]
        try:
            start = local_to_utc(row.day.data, row.at.data)
        except LocalTimeError as exc:
            notes[appointment.session_number] = str(exc)
            continue
        moves.append((appointment, Placement(start, int(row.esthetician.data))))
    if notes:
        return False, 422, notes
    gap_reason = form.gap_reason.data or ""
    if form.confirm.data:
        try:
            series_services.move_sessions(
                series,
                moves,
                reason=form.reason.data,
                gap_reason=gap_reason,
                by_user_id=current_user.id,
            )
        except series_services.SeriesConflict as exc:
            db.session.rollback()
            if exc.only_gaps:
                form.gap_reason.errors.append(series_services.GAPS_NEED_A_REASON)
            notes = series_services.notes_by_session(exc.conflicts)
            return False, 422 if exc.only_gaps else 409, notes
        return True, 302, {}
    conflicts, _ = series_services.check_moves(series, moves, gap_reason)
    db.session.rollback()
    return False, 409 if conflicts else 200, series_services.notes_by_session(conflicts)
