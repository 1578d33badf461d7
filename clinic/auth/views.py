"""Sign in, sign out, change one's own password."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.auth import services
from clinic.auth.forms import ChangePasswordForm, LoginForm
from clinic.extensions import db, limiter, submitted_email
from clinic.security import current_staff_session, safe_next

GENERIC_FAILURE = "The email or password is incorrect."


def _login_rate() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# More than LOGIN_RATE_LIMIT attempts per IP, or per account, get a 429.
@limiter.limit(_login_rate, methods=["POST"])
@limiter.limit(_login_rate, methods=["POST"], key_func=submitted_email)
def login():
    """Sign in. 401 with one generic message for every kind of failure."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/login.html", form=form), status
    result = services.authenticate(form.email.data, form.password.data)
    if result.user is None:
        db.session.commit()  # keep the failure count and the audit row
        form.password.errors.append(GENERIC_FAILURE)
        return render_template("auth/login.html", form=form, failed=True), 401
    services.start_session(result.user)
    db.session.commit()
    flash(f"Welcome, {result.user.name}.", "success")
    return redirect(safe_next(request.args.get("next")))


def logout():
    services.end_session(current_staff_session(), current_user._get_current_object())
    db.session.commit()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


def _own_account() -> str:
    return f"user:{current_user.id}"


# The current-password check must not become an unlimited guessing oracle for
# someone holding a stolen session.
@limiter.limit(_login_rate, methods=["POST"], key_func=_own_account)
def change_password():
    """Change one's own password; other sessions end, this one gets a new token."""
    user = current_user._get_current_object()
    form = ChangePasswordForm(user)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/change_password.html", form=form), status
    ended = services.change_own_password(
        user, form.password.data, keep=current_staff_session()
    )
    db.session.commit()
    message = "Your password was changed."
    if ended:
        message += f" {ended} other session(s) were signed out."
    flash(message, "success")
    return redirect(url_for("dashboard.index"))
