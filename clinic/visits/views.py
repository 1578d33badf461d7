"""Visit pages: re-screen and start, record zone notes, sign, amend."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from clinic.aftercare.services import prints_of_visit
from clinic.catalogue.models import Device
from clinic.clock import clinic_today
from clinic.extensions import db
from clinic.intake.eligibility import client_eligibility, latest_intake
from clinic.scheduling.models import Appointment
from clinic.visits import services
from clinic.visits.facemap import ZoneState, render_face_map
from clinic.visits.forms import (
    AmendmentForm,
    RescreenForm,
    SignForm,
    VisitForm,
    zone_fields,
)
from clinic.visits.models import Rescreen, Visit
from clinic.visits.services import VisitError, ZoneInput
from clinic.zones import ZONES


def _get_or_404(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _user():
    return current_user._get_current_object()


# --- start: the re-screen question -----------------------------------------


def _start_page(appointment, form, status=200, blocked=None):
    """The re-screen page shows the screening outcome: every view is audited."""
    services.audit_start_viewed(appointment)
    db.session.commit()
    intake = latest_intake(appointment.client_id)
    return render_template(
        "visits/start.html",
        appointment=appointment,
        intake=intake,
        eligibility=blocked
        or client_eligibility(appointment.client_id, clinic_today()),
        blocked=blocked,
        form=form,
        problem=services.can_start(appointment, _user()),
        new_intake_today=intake is not None and intake.screened_on == clinic_today(),
    ), status


def start(appointment_id: int):
    """ "Anything changed since <date>?" then open the visit (or say why not)."""
    appointment = _get_or_404(Appointment, appointment_id)
    existing = services.visit_for(appointment)
    if existing is not None:
        return redirect(url_for("visits.visit", visit_id=existing.id))
    form = RescreenForm()
    if request.method != "POST":  # GET or HEAD: a HEAD used to answer 422
        return _start_page(appointment, form)
    if request.form.get("changed") == "new":
        rescreen = Rescreen.NEW_INTAKE
        intake = latest_intake(appointment.client_id)
        if intake is None or intake.screened_on != clinic_today():
            abort(400)
    elif not form.validate_on_submit():
        return _start_page(appointment, form, 422)
    elif form.changed.data == "yes":
        # "rescreened" makes the start page offer to go on with the new intake.
        back = url_for("visits.start", appointment_id=appointment.id, rescreened=1)
        return redirect(
            url_for("intake.staff_intake", client_id=appointment.client_id, next=back)
        )
    else:
        rescreen = Rescreen.NO_CHANGE
    try:
        visit, eligibility = services.start_visit(
            appointment, user=_user(), rescreen=rescreen
        )
    except VisitError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _start_page(appointment, form, exc.status)
    if visit is None:
        db.session.rollback()
        return _start_page(appointment, form, 409, blocked=eligibility)
    db.session.commit()
    return redirect(url_for("visits.visit", visit_id=visit.id))


# --- the record --------------------------------------------------------------


def _states(visit: Visit, form=None) -> dict[str, ZoneState]:
    excluded = set(visit.excluded_zone_codes)
    states = {}
    notes = visit.notes_by_zone()
    for zone in ZONES:
        treated = (
            form[f"z_{zone.code}"].treated.data
            if form is not None
            else zone.code in notes
        )
        adverse = (
            form[f"z_{zone.code}"].adverse.data
            if form is not None
            else zone.code in notes and notes[zone.code].adverse
        )
        if treated and adverse:
            states[zone.code] = ZoneState.ADVERSE
        elif treated:
            states[zone.code] = ZoneState.TREATED
        elif zone.code in excluded:
            states[zone.code] = ZoneState.EXCLUDED
        else:
            states[zone.code] = ZoneState.NOT_TREATED
    return states


def _form_data(visit: Visit) -> dict:
    data = {
        "device": str(visit.device_id or ""),
        "conductive_product": visit.conductive_product,
        "skin_before": visit.skin_before,
        "general_notes": visit.general_notes,
        "products_after": visit.products_after,
        "client_feedback": visit.client_feedback,
        "adverse_kinds": list(visit.adverse_codes),
        "adverse_details": visit.adverse_details,
        "aftercare_note": visit.aftercare_note,
    }
    notes = visit.notes_by_zone()
    for zone in ZONES:
        note = notes.get(zone.code)
        data[f"z_{zone.code}"] = (
            {
                **services.note_values(note),
                "sensation": note.sensation.value if note.sensation else "",
                "observation": note.observation,
                "adverse": note.adverse,
                "override_reason": note.override_reason,
            }
            if note
            else {"treated": False}
        )
    return data


def _devices(visit: Visit):
    devices = list(
        db.session.scalars(
            select(Device).where(Device.active.is_(True)).order_by(Device.name)
        )
    )
    if visit.device and visit.device not in devices:
        devices.append(visit.device)
    return [("", "None")] + [(str(d.id), f"{d.name} ({d.serial})") for d in devices]


def _visit_page(
    visit: Visit, form=None, status: int = 200, warnings=(), sign_form=None
):
    services.audit_viewed(visit)
    db.session.commit()
    if visit.signed:
        return render_template(
            "visits/signed.html",
            visit=visit,
            prints=prints_of_visit(visit.id),
            face_map=render_face_map(
                _states(visit), link=None, title="Zones treated", id_prefix="summary"
            ),
            amendment_form=AmendmentForm(),
            may_write=services.may_write(visit, _user()),
        ), status
    if form is None:
        # formdata=None: on a POST (sign, amend) the request's fields belong to
        # another form and must not blank out the stored record.
        form = VisitForm(formdata=None, data=_form_data(visit))
    form.device.choices = _devices(visit)
    return render_template(
        "visits/edit.html",
        visit=visit,
        prints=prints_of_visit(visit.id),
        form=form,
        zones=zone_fields(form),
        excluded=set(visit.excluded_zone_codes),
        face_map=render_face_map(
            _states(visit, form),
            link=lambda code: f"#zone-{code}",
            title="Face map: choose a zone",
            id_prefix="edit",
        ),
        sign_form=sign_form or SignForm(formdata=None),
        warnings=warnings,
        may_write=services.may_write(visit, _user()),
        last_visit=services.last_signed_visit(visit.client_id, visit),
    ), status


def visit(visit_id: int):
    """The visit record: editable draft, or the signed record with amendments."""
    return _visit_page(_get_or_404(Visit, visit_id))


def _zone_inputs(form, visit: Visit) -> tuple[list[ZoneInput], bool]:
    excluded = set(visit.excluded_zone_codes)
    inputs, ok = [], True
    for zone, sub in zone_fields(form):
        if not sub.check(excluded=zone.code in excluded):
            ok = False
            continue
        if not sub.treated.data:
            continue
        inputs.append(
            ZoneInput(
                zone=zone.code,
                current_ua=float(sub.current_ua.data),
                frequency_hz=float(sub.frequency_hz.data),
                waveform=sub.waveform.data or "",
                polarity=sub.polarity.data or "",
                applicator=sub.applicator.data or "",
                duration_seconds=sub.duration_seconds.data,
                holds=sub.holds.data,
                sensation=sub.sensation.data or "",
                observation=sub.observation.data or "",
                adverse=bool(sub.adverse.data),
                override_reason=sub.override_reason.data
                if zone.code in excluded
                else "",
            )
        )
    return inputs, ok


def save(visit_id: int):
    """Save the draft (or fill it from the last visit / mirror left and right)."""
    found = _get_or_404(Visit, visit_id)
    if found.signed:
        flash("This visit is signed and cannot be edited; add an amendment.", "danger")
        return _visit_page(found, status=409)
    if not services.may_write(found, _user()):
        abort(403)
    form = VisitForm()
    form.device.choices = _devices(found)
    if "copy_last" in request.form or "mirror" in request.form:
        return _prefill(found, form)
    zones = _valid_record(form, found)
    if zones is None:
        return _visit_page(found, form, 422)
    warnings = services.save_visit(found, _record_fields(form), zones, user=_user())
    db.session.commit()
    flash("The visit was saved.", "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("visits.visit", visit_id=found.id))


def _valid_record(form, visit: Visit) -> list[ZoneInput] | None:
    """The treated zones of a valid record, or None (errors next to the fields)."""
    valid = form.validate_on_submit()
    zones, zones_ok = _zone_inputs(form, visit)  # also when invalid: marks zones
    return zones if valid and zones_ok else None


def _record_fields(form) -> dict:
    return {
        "device_id": int(form.device.data) if form.device.data else None,
        "conductive_product": form.conductive_product.data or "",
        "skin_before": form.skin_before.data or "",
        "general_notes": form.general_notes.data or "",
        "products_after": form.products_after.data or "",
        "client_feedback": form.client_feedback.data or "",
        "adverse_kinds": ",".join(form.adverse_kinds.data or ()),
        "adverse_details": form.adverse_details.data or "",
        "aftercare_note": form.aftercare_note.data or "",
    }


def _prefill(found: Visit, form):
    """Re-render the form filled from the last signed visit or mirrored; no save."""
    data = {zone.code: dict(form[f"z_{zone.code}"].data) for zone in ZONES}
    if "copy_last" in request.form:
        last = services.last_signed_visit(found.client_id, found)
        if last is None:
            flash("There is no earlier signed visit to copy from.", "info")
        else:
            for code, note in last.notes_by_zone().items():
                if code not in found.excluded_zone_codes:
                    data[code] = services.note_values(note)
            flash("Filled from the last signed visit: check and save.", "info")
    else:
        data = services.mirror_pairs(data)
        flash("Each treated side was copied to the other side: check and save.", "info")
    fresh = VisitForm(
        formdata=None,
        data={
            **{key: form[key].data for key in form.data if not key.startswith("z_")},
            **{f"z_{code}": values for code, values in data.items()},
        },
    )
    return _visit_page(found, fresh)


def sign(visit_id: int):
    """Save the record as the page holds it, then sign it, in one commit.

    The Sign button submits the visit form itself: signing only what was saved
    last dropped the edits made since, without a word. 422 with the errors next
    to their fields when the record or the confirmation is invalid (nothing is
    saved or signed, the page keeps what was typed); 409 for a signed visit;
    403 for another esthetician's visit.
    """
    found = _get_or_404(Visit, visit_id)
    if found.signed:
        flash("This visit is already signed.", "danger")
        return _visit_page(found, status=409)
    if not services.may_write(found, _user()):
        abort(403)
    sign_form = SignForm()
    form = VisitForm()
    form.device.choices = _devices(found)
    confirmed = sign_form.validate_on_submit()
    zones = _valid_record(form, found)
    if zones is None or not confirmed:
        # Invalid values: the form's own alert says nothing was saved.
        flash(
            "The visit was not signed."
            if zones is None
            else "Tick the confirmation to sign. Nothing was saved yet.",
            "danger",
        )
        return _visit_page(found, form, 422, sign_form=sign_form)
    try:
        warnings = services.save_visit(found, _record_fields(form), zones, user=_user())
        services.sign_visit(found, user=_user())
    except VisitError as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403)
        flash(str(exc), "danger")
        found = _get_or_404(Visit, visit_id)
        return _visit_page(found, form, exc.status, sign_form=sign_form)
    db.session.commit()
    flash("The visit was saved and signed.", "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("visits.visit", visit_id=found.id))


def amend(visit_id: int):
    found = _get_or_404(Visit, visit_id)
    form = AmendmentForm()
    if not form.validate_on_submit():
        flash(" ".join(form.text.errors) or "Write the correction.", "danger")
        return _visit_page(found, status=422)
    try:
        services.amend_visit(found, form.text.data, user=_user())
    except VisitError as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403)
        flash(str(exc), "danger")
        return _visit_page(_get_or_404(Visit, visit_id), status=exc.status)
    db.session.commit()
    flash("The amendment was added.", "success")
    return redirect(url_for("visits.visit", visit_id=found.id))
