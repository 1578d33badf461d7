"""Series pages: plan a series, confirm (all or nothing), see its progress."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic.catalogue.models import Protocol
from clinic.clients.services import get_client_or_404
from clinic.clock import clinic_today, clinic_tz
from clinic.extensions import db
from clinic.scheduling import bookable, planner, queries, series_services
from clinic.scheduling.booking import BookingError, Placement
from clinic.scheduling.forms import (
    LocalTimeError,
    SeriesConfirmForm,
    SeriesPlanForm,
    choices,
    chosen_id,
    esthetician_choices,
    local_to_utc,
)
from clinic.scheduling.models import Appointment, Series


def _window(client, protocol: Protocol):
    return bookable.booking_window(client, protocol.service, clinic_today())


def _plan(client, protocol: Protocol, form_values: dict, fixed=None):
    """Run the planner for the chosen protocol over the allowed window."""
    first_day = form_values["first_day"]
    earliest = _window(client, protocol).first_day
    window_days = protocol.sessions * protocol.max_gap_days + 14
    # Slots are computed only for the days the planner looks at.
    finder = queries.SlotFinder(
        protocol.service,
        max(first_day, earliest or first_day),
        first_day + timedelta(days=window_days),
        esthetician_ids=[form_values["esthetician"]]
        if form_values["esthetician"]
        else None,
        client_id=client.id,
    )
    return planner.plan_series(
        protocol=series_services.gap_rules(protocol),
        first_day=first_day,
        preferred_weekdays=frozenset(form_values["weekdays"]),
        preferred_time=form_values["preferred_time"],
        tz=clinic_tz(),
        slots_by_day=finder.by_day(),
        earliest_day=earliest,
        fixed=fixed,
    )


def _confirm_form(protocol, values, proposal, formdata=None) -> SeriesConfirmForm:
    tz = clinic_tz()
    rows = []
    for session in proposal:
        local = session.start.astimezone(tz) if session.start else None
        rows.append(
            {
                "day": local.date() if local else session.target_day,
                "at": local.time() if local else values["preferred_time"],
                "esthetician": str(
                    session.esthetician_id or values["esthetician"] or ""
                ),
            }
        )
    form = SeriesConfirmForm(
        formdata=formdata,
        data={
            "protocol": str(protocol.id),
            "esthetician": str(values["esthetician"] or ""),
            "first_day": values["first_day"].isoformat(),
            "weekdays": ",".join(str(d) for d in sorted(values["weekdays"])),
            "preferred_time": values["preferred_time"].strftime("%H:%M"),
            "sessions": rows,
        },
    )
    staff = esthetician_choices(any_label=None)
    for row in form.sessions:
        row.esthetician.choices = staff
    return form


def plan_series(client_id: int):
    """Step 1: choose a protocol and preferences; see the proposed sessions.

    Only protocols the client may be booked for are offered; with none, the
    page says why and offers nothing to press.
    """
    client = get_client_or_404(client_id)
    windows = {p: _window(client, p) for p in queries.active(Protocol)}
    offered = {p: w for p, w in windows.items() if w.first_day is not None}
    blocked = None if offered else next(iter(windows.values()), None)
    first_day = max((w.first_day for w in offered.values()), default=clinic_today())
    form = SeriesPlanForm(
        data={"first_day": first_day} if request.method == "GET" else None
    )
    form.protocol.choices = choices(offered)
    form.esthetician.choices = esthetician_choices()
    if blocked or not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template(
            "scheduling/series_plan.html",
            client=client,
            form=form,
            blocked=blocked,
            later={p: w for p, w in offered.items() if w.reason},
        ), status
    protocol = db.get_or_404(Protocol, int(form.protocol.data))
    values = {
        "first_day": form.first_day.data,
        "esthetician": chosen_id(form.esthetician.data),
        "weekdays": {int(d) for d in form.weekdays.data or ()},
        "preferred_time": form.preferred_time.data,
    }
    proposal = _plan(client, protocol, values)
    return render_template(
        "scheduling/series_confirm.html",
        client=client,
        protocol=protocol,
        proposal=proposal,
        form=_confirm_form(protocol, values, proposal),
        conflicts={},
        problem=None,
    )


def confirm_series(client_id: int):
    """Step 2: book every session, or none and show why (409)."""
    client = get_client_or_404(client_id)
    form = SeriesConfirmForm()
    staff = esthetician_choices(any_label=None)
    for row in form.sessions:
        row.esthetician.choices = staff
    valid = form.validate_on_submit()
    if not form.protocol.data or form.protocol.errors:
        abort(400)  # the hidden protocol id was tampered with
    protocol = db.get_or_404(Protocol, int(form.protocol.data))
    window = _window(client, protocol)
    problem = window.reason if window.first_day is None else None
    if not valid:
        return render_template(
            "scheduling/series_confirm.html",
            client=client,
            protocol=protocol,
            proposal=None,
            form=form,
            conflicts={},
            problem=problem,
        ), 422
    placements, conflicts, status = [], {}, 200
    for number, row in enumerate(form.sessions, start=1):
        try:
            start = local_to_utc(row.day.data, row.at.data)
        except LocalTimeError as exc:
            conflicts[number] = str(exc)
            continue
        placements.append(
            Placement(start=start, esthetician_id=int(row.esthetician.data))
        )
    if not conflicts and form.confirm.data:
        try:
            series = series_services.book_series(
                client,
                protocol,
                placements,
                by_user_id=current_user.id,
                gap_reason=form.gap_reason.data or "",
            )
        except series_services.SeriesConflict as exc:
            db.session.rollback()
            conflicts = series_services.notes_by_session(exc.conflicts)
            if exc.only_gaps:
                form.gap_reason.errors.append(series_services.GAPS_NEED_A_REASON)
                status = 422
        except BookingError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            status = 422
        else:
            db.session.commit()
            flash(f"All {protocol.sessions} sessions were booked.", "success")
            return redirect(url_for("scheduling.series", series_id=series.id))
    elif not conflicts:
        conflicts = series_services.notes_by_session(
            series_services.check_series(client, protocol, placements)
        )
    if conflicts and status == 200:
        status = 409
    return render_template(
        "scheduling/series_confirm.html",
        client=client,
        protocol=protocol,
        proposal=None,
        form=form,
        conflicts=conflicts,
        problem=problem,
    ), status


def series(series_id: int):
    found = db.session.scalar(
        select(Series)
        .where(Series.id == series_id)
        .options(
            joinedload(Series.client),
            joinedload(Series.protocol),
            selectinload(Series.appointments).options(
                joinedload(Appointment.esthetician), joinedload(Appointment.room)
            ),
        )
    )
    if found is None:
        abort(404)
    return render_template(
        "scheduling/series.html",
        series=found,
        progress=series_services.progress(found),
        slot_search_day=clinic_today(),
    )
