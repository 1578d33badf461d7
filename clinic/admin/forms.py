"""Staff management forms."""

from __future__ import annotations

from wtforms import EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from clinic.auth.forms import new_password_fields
from clinic.forms_common import ClinicForm, strip_filter
from clinic.roles import Role

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


def _role_field():
    return SelectField(
        "Role", choices=ROLE_CHOICES, validators=[DataRequired()], coerce=str
    )


def _name_field():
    return StringField(
        "Full name",
        validators=[DataRequired(), Length(max=200)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "off"},
    )


class StaffCreateForm(ClinicForm):
    name = _name_field()
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Length(max=254),
            Email("Enter a valid email address.", check_deliverability=False),
        ],
        filters=[strip_filter],
        render_kw={"autocomplete": "off"},
    )
    role = _role_field()
    password, confirm = new_password_fields("Initial password")
    submit = SubmitField("Create account")


class StaffEditForm(ClinicForm):
    name = _name_field()
    role = _role_field()
    submit = SubmitField("Save changes")


class ResetPasswordForm(ClinicForm):
    password, confirm = new_password_fields("Temporary password")
    submit = SubmitField("Reset password")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.personal_words = (user.email, user.name)


class ConfirmForm(ClinicForm):
    """A form with only the CSRF token: for one-click POST actions."""

    submit = SubmitField("Confirm")
