"""Client registration, editing and search."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from clinic.clock import clinic_today
from clinic.forms_common import (
    ClinicForm,
    PlausibleBirthDate,
    line_filter,
    strip_filter,
)

_PHONE = Regexp(
    r"^\+?[0-9 ()./-]{6,30}$",
    message="Enter a phone number using digits, spaces and + ( ) - only.",
)


class ClientForm(ClinicForm):
    given_name = StringField(
        "First name(s)",
        validators=[DataRequired("Enter the client's first name."), Length(max=100)],
        filters=[line_filter],
        render_kw={"autocomplete": "off"},
    )
    family_name = StringField(
        "Last name",
        validators=[Optional(), Length(max=100)],
        filters=[line_filter],
        render_kw={"autocomplete": "off"},
    )
    date_of_birth = DateField(
        "Date of birth",
        validators=[
            DataRequired("Enter the date of birth."),
            PlausibleBirthDate(clinic_today),
        ],
        description="Needed for age screening.",
    )
    phone = TelField("Phone", validators=[Optional(), _PHONE], filters=[strip_filter])
    email = EmailField(
        "Email",
        validators=[
            Optional(),
            Length(max=254),
            Email("Enter a valid email address.", check_deliverability=False),
        ],
        filters=[strip_filter],
    )
    address = TextAreaField(
        "Address",
        validators=[Optional(), Length(max=500)],
        filters=[strip_filter],
        render_kw={"rows": 3},
    )
    emergency_contact_name = StringField(
        "Emergency contact name",
        validators=[Optional(), Length(max=200)],
        filters=[line_filter],
    )
    emergency_contact_phone = TelField(
        "Emergency contact phone",
        validators=[Optional(), _PHONE],
        filters=[strip_filter],
    )
    notes = TextAreaField(
        "Notes (not clinical)",
        validators=[Optional(), Length(max=2000)],
        filters=[strip_filter],
        description="Preferences and practical notes. Health information belongs "
        "in the intake, not here.",
        render_kw={"rows": 3},
    )
    confirm_duplicate = BooleanField(
        "This is a different person: create the record anyway"
    )
    submit = SubmitField("Save client")

    CONTACT_FIELDS = (
        "given_name",
        "family_name",
        "date_of_birth",
        "phone",
        "email",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
        "notes",
    )

    def contact_data(self) -> dict:
        return {name: self[name].data or "" for name in self.CONTACT_FIELDS} | {
            "date_of_birth": self.date_of_birth.data
        }


class ClientSearchForm(ClinicForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(
        "Search clients",
        validators=[Optional(), Length(max=100)],
        filters=[line_filter],
        description="Any part of a name, phone number or email.",
    )


class ArchiveClientForm(ClinicForm):
    reason = StringField(
        "Reason",
        validators=[DataRequired("Say why the record is archived."), Length(max=200)],
        filters=[line_filter],
    )
    submit = SubmitField("Archive client")
