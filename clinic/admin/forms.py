"""Staff management forms."""

from __future__ import annotations

from datetime import date

from wtforms import (
    DateField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from clinic.admin.audit_log import NOBODY
from clinic.auth.forms import new_password_fields
from clinic.clock import clinic_today
from clinic.forms_common import (
    ClinicForm,
    IntegerField,
    NotInFuture,
    line_filter,
    strip_filter,
)
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


class OneOfTheOptions:
    """The select's value must be one of its options, said in the page's words
    (WTForms' own check says "Not a valid choice"; it is switched off)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, _form, field) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(self.message)


def _listed_choice(label: str, message: str) -> SelectField:
    return SelectField(
        label, validators=[OneOfTheOptions(message)], validate_choice=False, default=""
    )


class DayField(DateField):
    """A day typed or picked as YYYY-MM-DD, with a message that shows how."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Enter a date as YYYY-MM-DD, e.g. 2026-03-31.") from exc


# The log cannot hold rows older than the software; the bound also keeps the
# day's UTC start representable in every time zone (year 1 is not).
FIRST_DAY = date(2000, 1, 1)


def _not_before_first_day(_form, field) -> None:
    if field.data is not None and field.data < FIRST_DAY:
        raise ValidationError(f"The log has no entries before {FIRST_DAY.year}.")


def _day_field(label: str) -> DayField:
    return DayField(
        label,
        validators=[
            Optional(),
            _not_before_first_day,
            NotInFuture(clinic_today, "The log has no entries after today."),
        ],
    )


class AuditFilterForm(ClinicForm):
    """GET form of the audit log page; person and action options are set by
    the view from the database (``set_options``)."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    person = _listed_choice("Person", "Choose a staff member from the list.")
    client = StringField(
        "Client",
        validators=[Optional(), Length(max=100)],
        filters=[line_filter],
        description="Name, phone, email or the client's number (#123).",
    )
    action = _listed_choice("Action", "Choose an action from the list.")
    date_from = _day_field("From")
    date_to = _day_field("To")
    # Page links, not fields: the seq the page starts past (keyset paging).
    before = IntegerField(validators=[Optional(), NumberRange(min=1)])
    after = IntegerField(validators=[Optional(), NumberRange(min=0)])

    FILTER_FIELDS = ("person", "client", "action", "date_from", "date_to")

    def set_options(self, people, actions) -> None:
        self.person.choices = [
            SelectChoice("", "Anyone"),
            SelectChoice(NOBODY, "Nobody signed in (tablet, command line)"),
            *(
                SelectChoice(
                    str(p.id), p.name if p.active else f"{p.name} (deactivated)"
                )
                for p in people
            ),
        ]
        self.action.choices = [
            SelectChoice("", "Any action"),
            *(SelectChoice(action, action) for action in actions),
        ]

    def validate_date_to(self, field) -> None:
        start = self.date_from.data
        if field.data and start and field.data < start:
            raise ValidationError("The end date is before the start date.")

    def validate_after(self, field) -> None:
        if field.data is not None and self.before.data is not None:
            raise ValidationError("A page link has both ends; start again.")
