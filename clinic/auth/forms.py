"""Sign-in and password forms, and the password-policy validator."""

from __future__ import annotations

from flask import current_app
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from clinic.auth.passwords import password_problem, verify_password
from clinic.forms_common import ClinicForm


class PasswordPolicy:
    """Validates a new password against the configured policy.

    ``personal_fields`` names the form fields (email, name) the password must
    not merely repeat; ``personal`` gives fixed values (an existing user's).
    """

    def __init__(self, personal_fields: tuple[str, ...] = (), personal=()):
        self.personal_fields = personal_fields
        self.personal = tuple(personal)

    def __call__(self, form, field) -> None:
        personal = self.personal + tuple(
            form[name].data or "" for name in self.personal_fields if name in form
        )
        personal += tuple(getattr(form, "personal_words", ()))
        problem = password_problem(
            field.data or "",
            min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            max_length=current_app.config["PASSWORD_MAX_LENGTH"],
            personal=personal,
        )
        if problem:
            raise ValidationError(problem)


def new_password_fields(label: str = "New password"):
    """The pair of fields every "set a password" form uses."""
    password = PasswordField(
        label,
        validators=[DataRequired(), PasswordPolicy(("email", "name"))],
        render_kw={"autocomplete": "new-password"},
        description="At least 12 characters. A phrase of several words is easy "
        "to remember and hard to guess.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", "The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(ClinicForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")


class ChangePasswordForm(ClinicForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()
    submit = SubmitField("Change password")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.personal_words = (user.email, user.name)

    def validate_current_password(self, field) -> None:
        if not verify_password(self.user.password_hash, field.data or ""):
            raise ValidationError("The current password is incorrect.")

    def validate_password(self, field) -> None:
        # After an admin reset the current password is one the admin knows:
        # keeping it would defeat the forced change.
        if not field.errors and verify_password(self.user.password_hash, field.data):
            raise ValidationError("Choose a password different from your current one.")


# --- two-factor ------------------------------------------------------------------

_CODE_ATTRS = {
    "autocomplete": "one-time-code",
    "autocapitalize": "off",
    "autocorrect": "off",
    "spellcheck": "false",
}


def _current_password_field():
    return PasswordField(
        "Your password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class _PasswordConfirmedForm(ClinicForm):
    """A form that asks the signed-in member for their password again."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_password(self, field) -> None:
        if not verify_password(self.user.password_hash, field.data or ""):
            raise ValidationError("The password is incorrect.")


class SignInCodeForm(ClinicForm):
    code = StringField(
        "Authentication code",
        validators=[DataRequired(), Length(max=64)],
        render_kw={**_CODE_ATTRS, "autofocus": True},
        description="The 6-digit code from your authenticator app, or one of "
        "your recovery codes.",
    )
    submit = SubmitField("Verify")


class EnableTwoFactorForm(_PasswordConfirmedForm):
    code = StringField(
        "Code from the app",
        validators=[DataRequired(), Length(max=64)],
        render_kw={**_CODE_ATTRS, "inputmode": "numeric"},
        description="The 6-digit code your app shows now for this clinic.",
    )
    password = _current_password_field()
    submit = SubmitField("Turn on two-factor sign-in")


class DisableTwoFactorForm(_PasswordConfirmedForm):
    password = _current_password_field()
    code = StringField(
        "Authentication code",
        validators=[DataRequired(), Length(max=64)],
        render_kw=_CODE_ATTRS,
        description="From your authenticator app, or a recovery code.",
    )
    submit = SubmitField("Turn off two-factor sign-in")


class RecoveryCodesForm(_PasswordConfirmedForm):
    password = _current_password_field()
    submit = SubmitField("Make new recovery codes")
