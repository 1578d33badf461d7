"""Owner/admin pages: staff accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from clinic.admin import services
from clinic.admin.forms import (
    ConfirmForm,
    ResetPasswordForm,
    StaffCreateForm,
    StaffEditForm,
)
from clinic.auth.models import User
from clinic.extensions import db
from clinic.roles import Role


def _get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _form_error(form, exc: services.StaffError) -> None:
    """Show a refused change next to its field, or at the top of the form."""
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


def index():
    """The owner's hub: every administration page in one place."""
    return render_template("admin/index.html")


def staff_list():
    return render_template(
        "admin/staff_list.html", staff=services.list_staff(), action_form=ConfirmForm()
    )


def staff_new():
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data,
                form.name.data,
                Role(form.role.data),
                form.password.data,
            )
        except services.StaffError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(f"Account created for {user.name}.", "success")
            return redirect(url_for("admin.staff_list"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/staff_new.html", form=form), status


def _edit_form(user: User) -> StaffEditForm:
    # Not obj=user: the role must reach the select as its value, not the enum.
    return StaffEditForm(data={"name": user.name, "role": user.role.value})


def _render_edit(user: User, status: int = 200, form=None, reset_form=None):
    return render_template(
        "admin/staff_edit.html",
        user=user,
        form=form or _edit_form(user),
        reset_form=reset_form or ResetPasswordForm(user, prefix="reset"),
        action_form=ConfirmForm(),
    ), status


def staff_edit(user_id: int):
    """Edit name and role; 404 if the account does not exist."""
    user = _get_user_or_404(user_id)
    form = _edit_form(user)
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                name=form.name.data,
                role=Role(form.role.data),
                by=current_user._get_current_object(),
            )
        except services.StaffError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(f"Saved changes to {user.name}.", "success")
            return redirect(url_for("admin.staff_list"))
    return _render_edit(user, 422 if form.is_submitted() else 200, form=form)


def staff_reset_password(user_id: int):
    user = _get_user_or_404(user_id)
    reset_form = ResetPasswordForm(user, prefix="reset")
    if reset_form.validate_on_submit():
        ended = services.reset_password(user, reset_form.password.data)
        db.session.commit()
        flash(
            f"Password reset for {user.name}; they must choose a new one at next "
            f"sign-in. {ended} session(s) ended.",
            "success",
        )
        return redirect(url_for("admin.staff_edit", user_id=user.id))
    return _render_edit(user, 422, reset_form=reset_form)


def _one_click(user_id: int, action, done: str):
    """Run a confirm-only POST action on a staff account, then go back."""
    user = _get_user_or_404(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = action(user)
    except services.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _render_edit(user, 409)
    db.session.commit()
    flash(done.format(name=user.name, count=result), "success")
    return redirect(url_for("admin.staff_edit", user_id=user.id))


def staff_deactivate(user_id: int):
    return _one_click(
        user_id,
        lambda user: services.deactivate_user(
            user, by=current_user._get_current_object()
        ),
        "{name} was deactivated; {count} session(s) ended.",
    )


def staff_reactivate(user_id: int):
    return _one_click(user_id, services.reactivate_user, "{name} can sign in again.")


def staff_end_sessions(user_id: int):
    return _one_click(
        user_id, services.end_sessions, "{count} session(s) of {name} were ended."
    )


def staff_reset_two_factor(user_id: int):
    return _one_click(
        user_id,
        lambda user: services.reset_two_factor(
            user, by=current_user._get_current_object()
        ),
        "Two-factor sign-in of {name} was reset; {count} session(s) ended. They "
        "can sign in with their password and set it up again.",
    )
