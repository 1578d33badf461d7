"""Sign in (password, then a code when two-factor is on), sign out, passwords."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.auth import services, two_factor
from clinic.auth.forms import ChangePasswordForm, LoginForm, SignInCodeForm
from clinic.extensions import db, limiter, submitted_email
from clinic.security import current_staff_session, safe_next

GENERIC_FAILURE = "The email or password is incorrect."
GENERIC_CODE_FAILURE = "That code is not valid. Enter the newest code from your app."


def _login_rate() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _sign_in_account() -> str:
    """Per-account key shared by both sign-in steps: one budget of guesses."""
    if request.endpoint == "auth.login_code":
        email = two_factor.pending_account_key()
        return f"account:{email}" if email else f"no-account:{request.remote_addr}"
    return submitted_email()


def _sign_in_failed(_response) -> bool:
    return g.get("sign_in_failed", False)


def _sign_in_limits(view):
    """LOGIN_RATE_LIMIT failed attempts per IP, and per account, over both
    sign-in steps together (shared scopes); once they are used up, every
    attempt gets a 429, even a right one.

    Only a wrong password or a wrong code is counted: colleagues signing in
    behind one clinic IP (and so one address) never use up each other's
    attempts, whatever their number. With RATELIMIT_STORAGE_URI on Redis the
    counts are shared by every worker and server.
    """
    options = {"methods": ["POST"], "deduct_when": _sign_in_failed}
    per_ip = limiter.shared_limit(_login_rate, scope="sign-in-ip", **options)
    per_account = limiter.shared_limit(
        _login_rate, scope="sign-in-account", key_func=_sign_in_account, **options
    )
    return per_ip(per_account(view))


@_sign_in_limits
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
        g.sign_in_failed = True
        db.session.commit()  # keep the failure count and the audit row
        form.password.errors.append(GENERIC_FAILURE)
        return render_template("auth/login.html", form=form, failed=True), 401
    user = result.user
    if user.two_factor_enabled:
        # Not signed in yet: only the code page accepts this pending state.
        two_factor.begin_pending_sign_in(user, request.args.get("next"))
        db.session.commit()  # keep a rehashed password
        return redirect(url_for("auth.login_code"))
    services.start_session(user)
    db.session.commit()
    if two_factor.must_enrol(user):  # the set-up page says why
        return redirect(url_for("auth.two_factor_setup"))
    flash(f"Welcome, {user.name}.", "success")
    return redirect(safe_next(request.args.get("next")))


@_sign_in_limits
def login_code():
    """The second step. 401 with one generic message for any wrong code.

    Without a pending sign-in in this browser (none, or older than
    TWO_FACTOR_PENDING_MINUTES) it sends the visitor back to the password.
    """
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    pending = two_factor.pending_sign_in()
    if pending is None:
        flash("Please sign in again: the sign-in was not completed in time.", "info")
        return redirect(url_for("auth.login"))
    form = SignInCodeForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/login_code.html", form=form), status
    result = services.authenticate_code(
        pending.user_id, form.code.data, pending.password_changed_at
    )
    if result.user is None:
        g.sign_in_failed = True
        too_many = two_factor.count_wrong_code(pending)
        db.session.commit()  # keep the failure count and the audit row
        if too_many:
            flash("Too many wrong codes. Please sign in again.", "warning")
            return redirect(url_for("auth.login"))
        form.code.errors.append(GENERIC_CODE_FAILURE)
        form.code.raw_data, form.code.data = None, ""  # a stale code helps no one
        return render_template("auth/login_code.html", form=form), 401
    user = result.user
    services.start_session(user)
    db.session.commit()
    flash(f"Welcome, {user.name}.", "success")
    if result.method == "recovery":
        left = two_factor.unused_recovery_codes(user)
        flash(
            f"You used a recovery code; {left} unused code(s) left. If you have "
            "lost your phone, set up two-factor again from your account page.",
            "warning",
        )
    return redirect(safe_next(pending.next_url))


def logout():
    services.end_session(current_staff_session(), current_user._get_current_object())
    db.session.commit()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


def own_account_key() -> str:
    return f"user:{current_user.id}"


# Password re-entry on account pages must not become an unlimited guessing
# oracle for someone holding a stolen session: one budget for all of them.
account_password_limit = limiter.shared_limit(
    _login_rate, scope="account-password", methods=["POST"], key_func=own_account_key
)


@account_password_limit
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
