"""One appointment's page and what can happen to it: move, cancel, check in
and its undo, complete, no-show."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.clock import clinic_today, clinic_tz
from clinic.extensions import db
from clinic.scheduling import bookable, queries, services
from clinic.scheduling.booking import BookingError, Placement, SlotTaken
from clinic.scheduling.forms import (
    ActionForm,
    CancelForm,
    LocalTimeError,
    MoveSearchForm,
    RescheduleForm,
    esthetician_choices,
    local_to_utc,
)
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.security import is_safe_next


@dataclass(frozen=True)
class MoveOptions:
    """The reschedule section: the day and esthetician looked at, their free
    times (as on the booking page), or why none can be offered."""

    search: MoveSearchForm
    day: date | None = None
    esthetician_id: int | None = None
    times: tuple[time, ...] = ()
    problem: str | None = None


def _move_options(appointment, day=None, esthetician_id=None) -> MoveOptions:
    """Free times to move ``appointment`` to: on ``day`` with ``esthetician_id``
    (a rejected move), else as asked in the query string, else on its own day
    with its own esthetician."""
    local = appointment.starts_at.astimezone(clinic_tz())
    asked = day is None and "move_day" in request.args
    search = MoveSearchForm(
        request.args if asked else None,
        data={
            "move_day": day or local.date(),
            "move_with": str(esthetician_id or appointment.esthetician_id),
        },
    )
    search.move_with.choices = esthetician_choices(any_label=None)
    if not search.validate():
        return MoveOptions(search)
    day, who = search.move_day.data, int(search.move_with.data)
    found = MoveOptions(search, day, who)
    window = bookable.booking_window(
        appointment.client, appointment.service, clinic_today()
    )
    problem = window.reason if window.refuses(day) else None
    problem = problem or bookable.eligibility_problem(
        appointment.client, appointment.service, day
    )
    if problem:
        return replace(found, problem=problem)
    slots = queries.find_slots(
        appointment.service,
        day,
        day,
        esthetician_ids=[who],
        client_id=appointment.client_id,
        moving=(appointment.id,),
    )
    tz = clinic_tz()
    return replace(found, times=tuple(s.start.astimezone(tz).time() for s in slots))


def _appointment_page(
    appointment, status=200, reschedule_form=None, cancel_form=None, move=None
):
    reschedule_form = reschedule_form or RescheduleForm()
    if appointment.can_move() and move is None:
        move = _move_options(appointment)
    if move is not None and move.search.errors and status == 200:
        status = 422
    # Checked in, but the client may not be treated today: no visit, no
    # completion; cancel, or move the rest of the series from when they may.
    cannot_treat, treat_from = None, None
    if appointment.status is AppointmentStatus.CHECKED_IN and not appointment.visit:
        cannot_treat = services.treatment_problem(appointment)
    if cannot_treat:
        treat_from = bookable.booking_window(
            appointment.client, appointment.service, clinic_today()
        ).first_day
    return render_template(
        "scheduling/appointment.html",
        appointment=appointment,
        cannot_treat=cannot_treat,
        cannot_treat_from=treat_from,
        visit=appointment.visit,
        reschedule_form=reschedule_form,
        move=move,
        cancel_form=cancel_form or CancelForm(),
        action_form=ActionForm(),
    ), status


def appointment(appointment_id: int):
    return _appointment_page(db.get_or_404(Appointment, appointment_id))


def reschedule(appointment_id: int):
    """Move to one of the free times offered (the service re-checks it all)."""
    found = db.get_or_404(Appointment, appointment_id)
    form = RescheduleForm()
    form.esthetician.choices = esthetician_choices(any_label=None)
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
            found = db.get_or_404(Appointment, appointment_id)
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
            return _moved_again(found, form, status)
        else:
            db.session.commit()
            flash("The appointment was moved.", "success")
            return redirect(url_for("scheduling.appointment", appointment_id=found.id))
    return _moved_again(found, form, 422)


def _moved_again(appointment, form, status):
    """The page after a refused move: the free times of the day asked for."""
    move = None
    if appointment.can_move() and form.day.data and not form.esthetician.errors:
        move = _move_options(appointment, form.day.data, int(form.esthetician.data))
    return _appointment_page(appointment, status, reschedule_form=form, move=move)


def cancel(appointment_id: int):
    found = db.get_or_404(Appointment, appointment_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(found, reason=form.reason.data, by_user_id=current_user.id)
        except BookingError as exc:
            # A status that cannot be cancelled: the form is not shown then.
            db.session.rollback()
            flash(str(exc), "danger")
            return _appointment_page(db.get_or_404(Appointment, appointment_id), 409)
        else:
            db.session.commit()
            late = " (late cancellation)" if found.late_cancel else ""
            flash(f"The appointment was cancelled{late}.", "success")
            return redirect(url_for("scheduling.appointment", appointment_id=found.id))
    return _appointment_page(
        db.get_or_404(Appointment, appointment_id), 422, cancel_form=form
    )


def _action(appointment_id: int, operation, done: str):
    found = db.get_or_404(Appointment, appointment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        operation(found, by_user_id=current_user.id)
    except BookingError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _appointment_page(db.get_or_404(Appointment, appointment_id), 409)
    db.session.commit()
    flash(done, "success")
    back = request.form.get("back")
    if not is_safe_next(back):
        back = url_for("scheduling.appointment", appointment_id=found.id)
    return redirect(back)


def check_in(appointment_id: int):
    return _action(appointment_id, services.check_in, "Checked in.")


def undo_check_in(appointment_id: int):
    return _action(appointment_id, services.undo_check_in, "The check-in was undone.")


def complete(appointment_id: int):
    return _action(appointment_id, services.complete, "Marked as completed.")


def no_show(appointment_id: int):
    return _action(appointment_id, services.no_show, "Recorded as a no-show.")
