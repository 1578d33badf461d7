"""Booking pages: a single appointment, a series, and an appointment's life."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic.catalogue.models import Protocol, Service
from clinic.clients.services import get_client_or_404
from clinic.clock import clinic_today, clinic_tz
from clinic.extensions import db
from clinic.scheduling import planner, queries, services
from clinic.scheduling.booking import BookingError, Placement, SlotTaken
from clinic.scheduling.forms import (
    ANY,
    ActionForm,
    BookSlotForm,
    CancelForm,
    LocalTimeError,
    RescheduleForm,
    SeriesConfirmForm,
    SeriesPlanForm,
    SlotSearchForm,
    choices,
    chosen_id,
    local_to_utc,
)
from clinic.scheduling.models import Appointment, Series
from clinic.security import is_safe_next


def _get_or_404(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _active(model):
    return list(
        db.session.scalars(
            select(model).where(model.active.is_(True)).order_by(model.name)
        )
    )


def _esthetician_choices(any_label: str | None = "Any esthetician"):
    return choices(queries.active_estheticians(), any_label=any_label)


# --- a single appointment --------------------------------------------------


def _series_session(client, form) -> tuple[Series, int] | None:
    """The (series, session number) being re-booked, if any (404 if foreign)."""
    if not form.series_id.data:
        return None
    found = _get_or_404(Series, int(form.series_id.data))
    if found.client_id != client.id:
        abort(404)
    return found, int(form.session_number.data or 0)


def book(client_id: int):
    """Find free times for a service and book one (409 if just taken)."""
    client = get_client_or_404(client_id)
    search = SlotSearchForm(request.args, day=clinic_today())
    search.service.choices = choices(_active(Service))
    search.esthetician.choices = _esthetician_choices()
    slot_form = BookSlotForm()
    status, slots, service = 200, [], None
    if request.method == "POST":
        if not slot_form.validate_on_submit():
            abort(400)
        service = _get_or_404(Service, int(slot_form.service_id.data))
        start = slot_form.start_utc()
        if start is None:
            abort(400)
        placement = Placement(
            start=start,
            esthetician_id=int(slot_form.esthetician_id.data),
            room_id=chosen_id(slot_form.room_id.data),
            device_id=chosen_id(slot_form.device_id.data),
        )
        rebook = _series_session(client, slot_form)
        try:
            if rebook:
                appointment = services.rebook_session(
                    rebook[0], rebook[1], placement, by_user_id=current_user.id
                )
            else:
                appointment = services.book_single(
                    client, service, placement, by_user_id=current_user.id
                )
        except BookingError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            status = 409 if isinstance(exc, SlotTaken) else 422
            search = SlotSearchForm(
                data={
                    "service": str(service.id),
                    "esthetician": ANY,
                    "day": start.astimezone(clinic_tz()).date(),
                }
            )
            search.service.choices = choices(_active(Service))
            search.esthetician.choices = _esthetician_choices()
        else:
            db.session.commit()
            flash("The appointment was booked.", "success")
            return redirect(
                url_for("scheduling.appointment", appointment_id=appointment.id)
            )
    if search.service.data and search.validate():
        service = _get_or_404(Service, int(search.service.data))
        slots = queries.find_slots(
            service,
            search.day.data,
            search.day.data,
            esthetician_ids=[chosen_id(search.esthetician.data)]
            if chosen_id(search.esthetician.data)
            else None,
        )
    elif request.args and search.errors:
        status = 422
    problem = (
        services.booking.eligibility_problem(client, service, search.day.data)
        if service and search.day.data
        else None
    )
    return render_template(
        "scheduling/book.html",
        client=client,
        search=search,
        slots=slots,
        service=service,
        slot_form=slot_form,
        problem=problem,
        series_id=request.values.get("series", type=int),
        session_number=request.values.get("session", type=int),
        estheticians={e.id: e for e in queries.active_estheticians()},
    ), status


# --- a series --------------------------------------------------------------


def _plan(client, protocol: Protocol, form_values: dict, fixed=None):
    """Run the planner for the chosen protocol over the allowed window."""
    first_day = form_values["first_day"]
    eligibility_day = client_eligible_from(client, protocol.service)
    window_days = protocol.sessions * protocol.max_gap_days + 14
    # Slots are computed only for the days the planner looks at.
    finder = queries.SlotFinder(
        protocol.service,
        max(first_day, eligibility_day or first_day),
        first_day + timedelta(days=window_days),
        esthetician_ids=[form_values["esthetician"]]
        if form_values["esthetician"]
        else None,
    )
    return planner.plan_series(
        protocol=planner.Protocol(
            sessions=protocol.sessions,
            min_gap_days=protocol.min_gap_days,
            preferred_gap_days=protocol.preferred_gap_days,
            max_gap_days=protocol.max_gap_days,
        ),
        first_day=first_day,
        preferred_weekdays=frozenset(form_values["weekdays"]),
        preferred_time=form_values["preferred_time"],
        tz=clinic_tz(),
        slots_by_day=finder.by_day(),
        earliest_day=eligibility_day,
        fixed=fixed,
    )


def client_eligible_from(client, service: Service) -> date | None:
    """The first day a series may start (deferred clients), else None."""
    from clinic.intake.eligibility import Status, client_eligibility

    if not service.needs_screening:
        return None
    eligibility = client_eligibility(client.id)
    if eligibility.status is Status.DEFERRED:
        return eligibility.eligible_from
    return None


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
    esthetician_choices = _esthetician_choices(any_label=None)
    for row in form.sessions:
        row.esthetician.choices = esthetician_choices
    return form


def plan_series(client_id: int):
    """Step 1: choose a protocol and preferences; see the proposed sessions."""
    client = get_client_or_404(client_id)
    form = SeriesPlanForm(
        data={"first_day": clinic_today()} if request.method == "GET" else None
    )
    form.protocol.choices = choices(_active(Protocol))
    form.esthetician.choices = _esthetician_choices()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template(
            "scheduling/series_plan.html", client=client, form=form
        ), status
    protocol = _get_or_404(Protocol, int(form.protocol.data))
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
        problem=services.booking.eligibility_problem(
            client, protocol.service, values["first_day"]
        )
        if not client_eligible_from(client, protocol.service)
        else None,
    )


def confirm_series(client_id: int):
    """Step 2: book every session, or none and show why (409)."""
    client = get_client_or_404(client_id)
    form = SeriesConfirmForm()
    esthetician_choices = _esthetician_choices(any_label=None)
    for row in form.sessions:
        row.esthetician.choices = esthetician_choices
    if not form.validate_on_submit():
        if not form.protocol.data or form.protocol.errors:
            abort(400)  # the hidden protocol id was tampered with
        protocol = _get_or_404(Protocol, int(form.protocol.data))
        return render_template(
            "scheduling/series_confirm.html",
            client=client,
            protocol=protocol,
            proposal=None,
            form=form,
            conflicts={},
            problem=None,
        ), 422
    protocol = _get_or_404(Protocol, int(form.protocol.data))
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
            series = services.book_series(
                client, protocol, placements, by_user_id=current_user.id
            )
        except services.SeriesConflict as exc:
            db.session.rollback()
            conflicts = {c.number: c.message for c in exc.conflicts}
        except BookingError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            status = 422
        else:
            db.session.commit()
            flash(f"All {protocol.sessions} sessions were booked.", "success")
            return redirect(url_for("scheduling.series", series_id=series.id))
    elif not conflicts:
        conflicts = {
            c.number: c.message
            for c in services.check_series(client, protocol.service, placements)
        }
    if conflicts:
        status = 409
    return render_template(
        "scheduling/series_confirm.html",
        client=client,
        protocol=protocol,
        proposal=None,
        form=form,
        conflicts=conflicts,
        problem=None,
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
        progress=services.progress(found),
        slot_search_day=clinic_today(),
    )


# --- one appointment -------------------------------------------------------


def _appointment_page(appointment, status=200, reschedule_form=None, cancel_form=None):
    tz = clinic_tz()
    local = appointment.starts_at.astimezone(tz)
    reschedule_form = reschedule_form or RescheduleForm(
        data={
            "day": local.date(),
            "at": local.time(),
            "esthetician": str(appointment.esthetician_id),
        }
    )
    reschedule_form.esthetician.choices = _esthetician_choices(any_label=None)
    from clinic.visits.services import visit_for

    return render_template(
        "scheduling/appointment.html",
        appointment=appointment,
        visit=visit_for(appointment),
        reschedule_form=reschedule_form,
        cancel_form=cancel_form or CancelForm(),
        action_form=ActionForm(),
    ), status


def appointment(appointment_id: int):
    return _appointment_page(_get_or_404(Appointment, appointment_id))


def reschedule(appointment_id: int):
    found = _get_or_404(Appointment, appointment_id)
    form = RescheduleForm()
    form.esthetician.choices = _esthetician_choices(any_label=None)
    if form.validate_on_submit():
        try:
            start = local_to_utc(form.day.data, form.at.data)
            services.reschedule(
                found,
                Placement(start=start, esthetician_id=int(form.esthetician.data)),
                reason=form.reason.data or "",
                by_user_id=current_user.id,
            )
        except LocalTimeError as exc:
            form.at.errors.append(str(exc))
        except BookingError as exc:
            db.session.rollback()
            found = _get_or_404(Appointment, appointment_id)
            if exc.field is None:
                # Not about a field (the appointment cannot move at all), and
                # the form is not shown then: say it at the top of the page.
                flash(str(exc), "danger")
                return _appointment_page(found, 409, reschedule_form=form)
            target = (
                form[exc.field] if exc.field in ("reason", "esthetician") else form.at
            )
            target.errors.append(str(exc))
            status = 409 if isinstance(exc, SlotTaken) else 422
            return _appointment_page(found, status, reschedule_form=form)
        else:
            db.session.commit()
            flash("The appointment was moved.", "success")
            return redirect(url_for("scheduling.appointment", appointment_id=found.id))
    return _appointment_page(found, 422, reschedule_form=form)


def cancel(appointment_id: int):
    found = _get_or_404(Appointment, appointment_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(found, reason=form.reason.data, by_user_id=current_user.id)
        except BookingError as exc:
            # A status that cannot be cancelled: the form is not shown then.
            db.session.rollback()
            flash(str(exc), "danger")
            return _appointment_page(_get_or_404(Appointment, appointment_id), 409)
        else:
            db.session.commit()
            late = " (late cancellation)" if found.late_cancel else ""
            flash(f"The appointment was cancelled{late}.", "success")
            return redirect(url_for("scheduling.appointment", appointment_id=found.id))
    return _appointment_page(
        _get_or_404(Appointment, appointment_id), 422, cancel_form=form
    )


def _action(appointment_id: int, operation, done: str):
    found = _get_or_404(Appointment, appointment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        operation(found, by_user_id=current_user.id)
    except BookingError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _appointment_page(_get_or_404(Appointment, appointment_id), 409)
    db.session.commit()
    flash(done, "success")
    back = request.form.get("back")
    if not is_safe_next(back):
        back = url_for("scheduling.appointment", appointment_id=found.id)
    return redirect(back)


def check_in(appointment_id: int):
    return _action(appointment_id, services.check_in, "Checked in.")


def complete(appointment_id: int):
    return _action(appointment_id, services.complete, "Marked as completed.")


def no_show(appointment_id: int):
    return _action(appointment_id, services.no_show, "Recorded as a no-show.")
