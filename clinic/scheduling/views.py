"""The booking page: a client's free times for a service, and booking one
(also re-booking a cancelled session into its series)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.catalogue.models import Service
from clinic.clients.services import get_client_or_404
from clinic.clock import clinic_today, clinic_tz
from clinic.extensions import db
from clinic.scheduling import bookable, queries, series_services, services
from clinic.scheduling.booking import BookingError, Placement, SlotTaken
from clinic.scheduling.forms import (
    ANY,
    BookSlotForm,
    SlotSearchForm,
    choices,
    chosen_id,
    esthetician_choices,
)
from clinic.scheduling.models import Appointment, Series


def _series_session(client, form) -> tuple[Series, int] | None:
    """The (series, session number) being re-booked, if any (404 if foreign)."""
    if not form.series_id.data:
        return None
    found = db.get_or_404(Series, int(form.series_id.data))
    if found.client_id != client.id:
        abort(404)
    return found, int(form.session_number.data or 0)


def _slot_search(service_id: str | None, esthetician=ANY, day=None, formdata=None):
    search = SlotSearchForm(
        formdata,
        data={"service": service_id, "esthetician": esthetician, "day": day},
    )
    search.service.choices = choices(queries.active(Service))
    search.esthetician.choices = esthetician_choices()
    return search


@dataclass
class _Attempt:
    """A free-time button pressed: the appointment it booked, or why not."""

    service: Service
    start: datetime
    appointment: Appointment | None = None
    refused: BookingError | None = None


def _book_slot(client, slot_form) -> _Attempt:
    """Book what a free-time button posted (400 if tampered with)."""
    attempt = _Attempt(
        db.get_or_404(Service, int(slot_form.service_id.data)), slot_form.start_utc()
    )
    if attempt.start is None:
        abort(400)
    placement = Placement(
        start=attempt.start,
        esthetician_id=int(slot_form.esthetician_id.data),
        room_id=chosen_id(slot_form.room_id.data),
        device_id=chosen_id(slot_form.device_id.data),
    )
    rebook = _series_session(client, slot_form)
    try:
        if rebook:
            attempt.appointment = series_services.rebook_session(
                *rebook,
                placement,
                by_user_id=current_user.id,
                reason=slot_form.reason.data or "",
            )
        else:
            attempt.appointment = services.book_single(
                client, attempt.service, placement, by_user_id=current_user.id
            )
    except BookingError as exc:
        db.session.rollback()
        attempt.refused = exc
    return attempt


def book(client_id: int):
    """Find free times for a service and book one (409 if just taken).

    A client who may not be booked for the service sees why and no times; a
    deferred one (or one under the minimum age) sees times from the first
    day allowed only.
    """
    client = get_client_or_404(client_id)
    search = _slot_search(None, day=clinic_today(), formdata=request.args)
    slot_form = BookSlotForm()
    status, gap_refusal = 200, None
    if request.method == "POST":
        if not slot_form.validate_on_submit():
            abort(400)
        attempt = _book_slot(client, slot_form)
        if attempt.refused is None:
            db.session.commit()
            flash("The appointment was booked.", "success")
            return redirect(
                url_for("scheduling.appointment", appointment_id=attempt.appointment.id)
            )
        status = 409 if isinstance(attempt.refused, SlotTaken) else 422
        if attempt.refused.field == "reason":  # with a reason, the same time books
            slot_form.reason.errors.append(str(attempt.refused))
            gap_refusal = attempt.start
        else:
            flash(str(attempt.refused), "danger")
        search = _slot_search(
            str(attempt.service.id), day=attempt.start.astimezone(clinic_tz()).date()
        )
    service, day, window, problem, slots = None, None, None, None, []
    if search.service.data and search.validate():
        service, day = db.get_or_404(Service, int(search.service.data)), search.day.data
        window = bookable.booking_window(client, service, clinic_today())
        if window.refuses(day):
            problem = window.reason
        else:
            problem = bookable.eligibility_problem(client, service, day)
        if not problem:
            esthetician = chosen_id(search.esthetician.data)
            slots = queries.find_slots(
                service,
                day,
                day,
                esthetician_ids=[esthetician] if esthetician else None,
                client_id=client.id,
            )
    elif request.args and search.errors:
        status = 422
    return render_template(
        "scheduling/book.html",
        client=client,
        search=search,
        slots=slots,
        service=service,
        day=day,
        window=window,
        slot_form=slot_form,
        gap_refusal=gap_refusal,
        problem=problem,
        series_id=request.values.get("series", type=int),
        session_number=request.values.get("session", type=int),
        estheticians={e.id: e for e in queries.active_estheticians()},
    ), status
