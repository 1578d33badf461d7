"""The signed-in member's own account page and two-factor set-up."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from clinic import audit
from clinic.auth import totp, two_factor
from clinic.auth.forms import (
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    RecoveryCodesForm,
)
from clinic.auth.views import account_password_limit
from clinic.clock import utcnow
from clinic.extensions import db
from clinic.security import current_staff_session

CODE_MISMATCH = (
    "That code does not match. Check that your phone's clock is set "
    "automatically, then enter the newest code."
)


def _me():
    return current_user._get_current_object()


def _render_account(status: int = 200, disable_form=None, codes_form=None):
    user = _me()
    return render_template(
        "auth/account.html",
        user=user,
        required=two_factor.required_for(user),
        unused_codes=two_factor.unused_recovery_codes(user),
        disable_form=disable_form or DisableTwoFactorForm(user, prefix="disable"),
        codes_form=codes_form or RecoveryCodesForm(user, prefix="codes"),
    ), status


def account():
    return _render_account()


def _audit_failure(what: str, form) -> None:
    why = "wrong password" if form.password.errors else "wrong code"
    audit.record(
        "two_factor.failed",
        entity_type="user",
        entity_id=current_user.id,
        details=f"{what}: {why}",
    )
    db.session.commit()


@account_password_limit
def two_factor_setup():
    """Show a new secret (QR code and text); switch on after password + code."""
    user = _me()
    if user.two_factor_enabled:
        flash("Two-factor sign-in is already on.", "info")
        return redirect(url_for("auth.account"))
    secret = two_factor.enrolment_secret(user)
    form = EnableTwoFactorForm(user)
    if form.validate_on_submit():
        step = totp.matching_step(secret, form.code.data, utcnow(), None)
        if step is not None:
            codes, ended = two_factor.enable(
                user, secret, step, current_staff_session()
            )
            two_factor.keep_codes_to_show(codes)
            db.session.commit()
            message = "Two-factor sign-in is on."
            if ended:
                message += f" {ended} other session(s) were signed out."
            flash(message, "success")
            return redirect(url_for("auth.recovery_codes"))
        form.code.errors.append(CODE_MISMATCH)
    if form.is_submitted():
        _audit_failure("enrol", form)
    uri = totp.provisioning_uri(secret, user.email, two_factor.issuer())
    # segno writes the SVG itself (path data and our fixed title): nothing
    # from the user reaches the markup except inside the encoded modules.
    label = "QR code for your authenticator app; the key is also written below"
    svg = Markup(totp.qr_svg(uri, label))  # noqa: S704
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        required=two_factor.must_enrol(user),
        qr_svg=svg,
        secret=totp.grouped(secret),
        issuer=two_factor.issuer(),
    ), 422 if form.is_submitted() else 200


def recovery_codes():
    """New recovery codes, shown once: a reload sends the member to the account."""
    codes = two_factor.take_codes_to_show()
    if codes is None:
        flash(
            "Recovery codes are shown only once. Make new ones if you have lost them.",
            "info",
        )
        return redirect(url_for("auth.account"))
    return render_template("auth/recovery_codes.html", codes=codes)


@account_password_limit
def regenerate_recovery_codes():
    user = _me()
    if not user.two_factor_enabled:
        return redirect(url_for("auth.account"))
    form = RecoveryCodesForm(user, prefix="codes")
    if not form.validate_on_submit():
        if form.is_submitted():
            _audit_failure("new recovery codes", form)
        return _render_account(422, codes_form=form)
    two_factor.keep_codes_to_show(two_factor.regenerate_recovery_codes(user))
    db.session.commit()
    flash("New recovery codes were made; the old ones no longer work.", "success")
    return redirect(url_for("auth.recovery_codes"))


@account_password_limit
def disable_two_factor():
    """Turn two-factor off with password and code; refused where it is required."""
    user = _me()
    if not user.two_factor_enabled:
        return redirect(url_for("auth.account"))
    form = DisableTwoFactorForm(user, prefix="disable")
    if two_factor.required_for(user):
        flash("Two-factor sign-in is required for your role; it stays on.", "danger")
        return _render_account(409)
    if form.validate_on_submit():
        db.session.refresh(user, with_for_update=True)
        if two_factor.check_code(user, form.code.data) is not None:
            two_factor.disable(user)
            db.session.commit()
            flash("Two-factor sign-in is off.", "success")
            return redirect(url_for("auth.account"))
        form.code.errors.append("That code is not valid.")
    _audit_failure("disable", form)
    return _render_account(422, disable_form=form)
