"""Printing aftercare sheets, reprints, the day's batch, and the templates."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic.aftercare import services
from clinic.aftercare.forms import (
    EXTRA_ROWS,
    FIRST_DAY,
    LAST_DAY,
    DayForm,
    TemplateForm,
)
from clinic.aftercare.models import AftercareBatch, AftercarePrint
from clinic.catalogue.models import Service
from clinic.clock import clinic_today, clinic_tz
from clinic.extensions import db
from clinic.visits.models import Visit

ERASED = (
    "This client was erased (anonymised): their aftercare sheets are no longer "
    "printed or reprinted."
)


def _get_or_404(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _visit_day(visit: Visit) -> date:
    return visit.appointment.starts_at.astimezone(clinic_tz()).date()


def print_visit(visit_id: int):
    """Print (and record) the sheet of one visit; a draft visit prints as DRAFT."""
    visit = services.visit_for_sheet(visit_id)
    if visit is None:
        abort(404)
    if visit.client.erased:
        return render_template("aftercare/problem.html", message=ERASED), 409
    try:
        _record, data = services.print_visit(visit, by_user_id=current_user.id)
    except services.AftercareError as exc:
        db.session.rollback()
        return render_template("aftercare/problem.html", message=str(exc)), 409
    # Named before the commit, which would expire (and reload) the visit.
    name = services.filename(_visit_day(visit), visit.client.initials)
    db.session.commit()
    return _pdf(data, name)


def reprint(print_id: int):
    """An earlier sheet exactly as it was printed (even after template edits)."""
    record = _get_or_404(AftercarePrint, print_id)
    visit = _get_or_404(Visit, record.visit_id)
    if visit.client.erased:
        # The stored sheet lost the name and personal note at erasure: a
        # "reprint" would no longer be the sheet that was printed. (A day's
        # batch still reprints, with that sheet anonymised.)
        return render_template("aftercare/problem.html", message=ERASED), 410
    data = services.reprint(record)
    db.session.commit()
    return _pdf(data, services.filename(_visit_day(visit), visit.client.initials))


def day():
    """The day's completed visits and their prints; print them all at once."""
    shown = request.args.get("date")
    try:
        chosen = date.fromisoformat(shown) if shown else clinic_today()
    except ValueError:
        abort(400)
    if not FIRST_DAY <= chosen <= LAST_DAY:  # date arithmetic would overflow
        abort(400)
    return _day_page(chosen, DayForm(data={"day": chosen}))


def _day_page(chosen: date, form: DayForm, status: int = 200, message: str = ""):
    visits = services.visits_completed_on(chosen)
    batches = db.session.scalars(
        select(AftercareBatch)
        .where(AftercareBatch.day == chosen)
        .options(
            joinedload(AftercareBatch.printed_by), selectinload(AftercareBatch.prints)
        )
        .order_by(AftercareBatch.printed_at.desc())
    ).all()
    return render_template(
        "aftercare/day.html",
        day=chosen,
        visits=visits,
        form=form,
        batches=batches,
        message=message,
    ), status


def print_day():
    form = DayForm()
    if not form.validate_on_submit():
        problem = " ".join(form.day.errors) or "Choose the day to print."
        return _day_page(clinic_today(), form, 422, problem)
    try:
        batch, data = services.print_day(form.day.data, by_user_id=current_user.id)
    except services.AftercareError as exc:
        db.session.rollback()
        return _day_page(form.day.data, form, 422, str(exc))
    db.session.commit()
    return _pdf(data, f"aftercare-{batch.day.isoformat()}-all.pdf")


def reprint_batch(batch_id: int):
    batch = _get_or_404(AftercareBatch, batch_id)
    data = services.reprint_batch(batch)
    db.session.commit()
    return _pdf(data, f"aftercare-{batch.day.isoformat()}-all.pdf")


# --- admin -------------------------------------------------------------------


def templates():
    services_list = db.session.scalars(select(Service).order_by(Service.name)).all()
    current = services.current_templates([s.id for s in services_list])
    return render_template(
        "aftercare/templates.html",
        rows=[(s, current.get(s.id)) for s in services_list],
    )


def template_edit(service_id: int):
    service = _get_or_404(Service, service_id)
    current = services.current_template(service.id)
    if request.method == "GET":
        items = [
            {"text": item.text, "duration_hours": item.duration_hours}
            for item in (current.items if current else [])
        ] + [{}] * EXTRA_ROWS
        form = TemplateForm(
            data={
                "title": current.title if current else "Aftercare",
                "general_notes": current.general_notes if current else "",
                "contact_if": current.contact_if if current else "",
                "items": items,
            }
        )
    else:
        form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = services.new_template_version(
                service,
                title=form.title.data,
                general_notes=form.general_notes.data or "",
                contact_if=form.contact_if.data or "",
                items=form.instructions(),
                by_user_id=current_user.id,
            )
        except services.AftercareError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            return render_template(
                "aftercare/template_form.html",
                form=form,
                service=service,
                current=current,
            ), 409
        db.session.commit()
        flash(f"Saved as version {template.version}.", "success")
        return redirect(url_for("aftercare.templates"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "aftercare/template_form.html", form=form, service=service, current=current
    ), status
