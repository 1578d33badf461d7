"""Admin pages: services, protocols, rooms, devices, working hours and blocks."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from clinic.admin.forms import ConfirmForm
from clinic.auth.models import User
from clinic.catalogue import services
from clinic.catalogue.forms import (
    WEEKDAYS,
    BlockForm,
    DeviceForm,
    ProtocolForm,
    RoomForm,
    ServiceForm,
    WorkingHoursForm,
    block_choices,
    block_kind_label,
)
from clinic.catalogue.models import Device, Protocol, Room, Service
from clinic.catalogue.services import CatalogueError
from clinic.clock import clinic_tz, to_clinic_time, utcnow
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling.models import Block, WorkingHours

# How many overlapping appointments a block's warning names one by one.
WARN_LIMIT = 10


@dataclass(frozen=True)
class Kind:
    """One catalogue table and its pages (``catalogue.<key>_list`` ...)."""

    key: str
    model: type
    form: type
    noun: str
    plural: str


KINDS = {
    kind.key: kind
    for kind in (
        Kind("service", Service, ServiceForm, "service", "Services"),
        Kind("protocol", Protocol, ProtocolForm, "protocol", "Series protocols"),
        Kind("room", Room, RoomForm, "room", "Rooms"),
        Kind("device", Device, DeviceForm, "device", "Devices"),
    )
}


def _get_or_404(model: type, item_id: int):
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    return item


def _form_error(form, exc: CatalogueError) -> None:
    """Show a refused change next to its field, or at the top of the form."""
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


def _confirmed() -> None:
    """One-click POST actions carry only the CSRF token; 400 without it."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


# --- services, protocols, rooms, devices -----------------------------------


def _service_choices(current: Protocol | None) -> list[SelectChoice]:
    """Active services, plus the protocol's own service if it was deactivated."""
    choices = [SelectChoice(str(s.id), s.name) for s in services.active_services()]
    if current is not None and not current.service.active:
        label = f"{current.service.name} (inactive)"
        choices.append(SelectChoice(str(current.service_id), label))
    return choices


def _form_for(kind: Kind, item=None):
    form = kind.form(obj=item)
    if kind.model is Protocol:
        form.service_id.choices = _service_choices(item)
    return form


def _list(kind: Kind, status: int = 200):
    return render_template(
        f"catalogue/{kind.key}_list.html",
        kind=kind,
        items=services.list_items(kind.model),
        action_form=ConfirmForm(),
    ), status


def _render_form(kind: Kind, form, item, status: int):
    return render_template(
        "catalogue/form.html",
        kind=kind,
        form=form,
        item=item,
        action_form=ConfirmForm(),
    ), status


def _new(kind: Kind):
    form = _form_for(kind)
    if form.validate_on_submit():
        try:
            item = services.create_item(kind.model, form.values())
        except CatalogueError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            name = item.name
            db.session.commit()
            flash(f"The {kind.noun} “{name}” was added.", "success")
            return redirect(url_for(f"catalogue.{kind.key}_list"))
    return _render_form(kind, form, None, 422 if form.is_submitted() else 200)


def _edit(kind: Kind, item_id: int):
    """Edit one row; 404 if there is no such row."""
    item = _get_or_404(kind.model, item_id)
    form = _form_for(kind, item)
    if form.validate_on_submit():
        try:
            changed = services.update_item(item, form.values())
        except CatalogueError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            name = item.name
            db.session.commit()
            if changed:
                flash(f"Saved changes to “{name}”.", "success")
            else:
                flash("Nothing changed.", "info")
            return redirect(url_for(f"catalogue.{kind.key}_list"))
    return _render_form(kind, form, item, 422 if form.is_submitted() else 200)


def _set_active(kind: Kind, item_id: int, active: bool):
    """Deactivate or reactivate one row; 404 if there is no such row."""
    item = _get_or_404(kind.model, item_id)
    _confirmed()
    name = item.name
    try:
        changed = services.set_active(item, active)
    except CatalogueError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _list(kind, 409)
    db.session.commit()
    state = "active" if active else "inactive"
    if changed:
        done = "can be booked again" if active else "can no longer be booked"
        flash(f"“{name}” {done}.", "success")
    else:
        flash(f"“{name}” was already {state}.", "info")
    return redirect(url_for(f"catalogue.{kind.key}_list"))


def list_page(kind):
    return _list(kind)


def new_page(kind):
    return _new(kind)


def edit_page(kind, item_id: int):
    return _edit(kind, item_id)


def deactivate(kind, item_id: int):
    return _set_active(kind, item_id, False)


def reactivate(kind, item_id: int):
    return _set_active(kind, item_id, True)


# --- working hours -----------------------------------------------------------


def hours_overview():
    estheticians = list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.ESTHETICIAN)
            .order_by(User.active.desc(), User.name)
        )
    )
    return render_template(
        "catalogue/hours_overview.html",
        estheticians=estheticians,
        hours=services.weekly_hours(user.id for user in estheticians),
        weekdays=WEEKDAYS,
    )


def _esthetician_or_404(user_id: int) -> User:
    user = services.get_esthetician(user_id)
    if user is None:
        abort(404)
    return user


def _render_hours(user: User, form: WorkingHoursForm, status: int = 200):
    return render_template(
        "catalogue/hours.html",
        user=user,
        days=services.hours_of(user.id),
        weekdays=WEEKDAYS,
        form=form,
        action_form=ConfirmForm(),
    ), status


def staff_hours(user_id: int):
    """An esthetician's weekly hours, and adding a range; 404 for other staff."""
    user = _esthetician_or_404(user_id)
    form = WorkingHoursForm()
    if form.validate_on_submit():
        weekday, start, end = (
            form.weekday.data,
            form.start_time.data,
            form.end_time.data,
        )
        try:
            services.add_working_hours(user, weekday, start, end)
        except CatalogueError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(
                f"Added {WEEKDAYS[weekday]} {services.time_range(start, end)}.",
                "success",
            )
            return redirect(url_for("catalogue.staff_hours", user_id=user_id))
    return _render_hours(user, form, 422 if form.is_submitted() else 200)


def staff_hours_remove(user_id: int, hours_id: int):
    """Remove one range; 404 unless it belongs to this esthetician."""
    user = _esthetician_or_404(user_id)
    hours = db.session.get(WorkingHours, hours_id)
    if hours is None or hours.user_id != user.id:
        abort(404)
    _confirmed()
    label = (
        WEEKDAYS[hours.weekday]
        + " "
        + services.time_range(hours.start_time, hours.end_time)
    )
    services.remove_working_hours(hours)
    db.session.commit()
    flash(f"Removed {label}.", "success")
    return redirect(url_for("catalogue.staff_hours", user_id=user_id))


# --- blocks ------------------------------------------------------------------


def block_list():
    return _render_blocks()


def _render_blocks(status: int = 200):
    return render_template(
        "catalogue/block_list.html",
        blocks=services.upcoming_blocks(utcnow()),
        kind_label=block_kind_label,
        timezone=clinic_tz().key,
        action_form=ConfirmForm(),
    ), status


def _when(value) -> str:
    return to_clinic_time(value).strftime("%a %d %b %Y, %H:%M")


def _block_message(block: Block, hit: list) -> tuple[str, str]:
    """The confirmation flash, a warning when booked appointments overlap."""
    done = (
        f"{block_kind_label(block.kind)}: {block.resource_label}, from "
        f"{_when(block.starts_at)} until {_when(block.ends_at)}."
    )
    if not hit:
        return done, "success"
    listed = "; ".join(
        f"{_when(a.starts_at)} {a.client.full_name} with {a.esthetician.name}"
        for a in hit[:WARN_LIMIT]
    )
    more = f" and {len(hit) - WARN_LIMIT} more" if len(hit) > WARN_LIMIT else ""
    return (
        f"{done} Warning: {len(hit)} booked appointment(s) overlap this block and "
        f"were not moved: {listed}{more}. Reschedule them.",
        "warning",
    )


def block_new():
    form = BlockForm(tz=clinic_tz(), now=utcnow())
    form.resource.choices = block_choices(
        services.active_estheticians(),
        services.active_rooms(),
        services.active_devices(),
    )
    if form.validate_on_submit():
        kind, resource_id = form.kind_and_id
        try:
            block, hit = services.create_block(
                kind,
                resource_id,
                form.starts_at_utc,
                form.ends_at_utc,
                reason=form.reason.data or "",
                by_user_id=current_user.id,
            )
        except CatalogueError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            message, category = _block_message(block, hit)
            db.session.commit()
            flash(message, category)
            return redirect(url_for("catalogue.block_list"))
    return render_template(
        "catalogue/block_form.html", form=form, timezone=clinic_tz().key
    ), (422 if form.is_submitted() else 200)


def block_cancel(block_id: int):
    """Lift a block; 404 if there is no such block, 409 if it cannot be lifted."""
    block = _get_or_404(Block, block_id)
    _confirmed()
    try:
        services.cancel_block(block, utcnow())
    except CatalogueError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _render_blocks(409)
    db.session.commit()
    flash("The block was cancelled.", "success")
    return redirect(url_for("catalogue.block_list"))
