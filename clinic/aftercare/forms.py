"""Aftercare template editing and the day batch form."""

from __future__ import annotations

from datetime import date

from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from clinic.forms_common import ClinicForm, IntegerField, line_filter, strip_filter

EXTRA_ROWS = 3  # blank rows offered for new instructions


class ItemForm(Form):
    text = StringField(
        "Instruction", validators=[Optional(), Length(max=300)], filters=[line_filter]
    )
    duration_hours = IntegerField(
        "For how many hours (optional)",
        validators=[Optional(), NumberRange(min=1, max=2160)],
    )

    def validate_duration_hours(self, field) -> None:
        if field.data is not None and not self.text.data:
            raise ValidationError("Write the instruction for this duration.")


class TemplateForm(ClinicForm):
    title = StringField(
        "Title", validators=[DataRequired(), Length(max=200)], filters=[line_filter]
    )
    items = FieldList(FormField(ItemForm), min_entries=1, max_entries=40)
    general_notes = TextAreaField(
        "General notes",
        validators=[Optional(), Length(max=3000)],
        filters=[strip_filter],
        render_kw={"rows": 3},
    )
    contact_if = TextAreaField(
        'When to contact the clinic (printed after "Contact us if")',
        validators=[Optional(), Length(max=1000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )
    submit = SubmitField("Save as a new version")

    def instructions(self) -> list[tuple[str, int | None]]:
        return [
            (row.text.data, row.duration_hours.data)
            for row in self.items
            if row.text.data
        ]

    def validate_items(self, field) -> None:
        if not self.instructions():
            raise ValidationError("Give at least one instruction.")


# The days the day page accepts (as the calendar): beyond them the day's
# bounds in UTC overflow Python's dates.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9000, 12, 31)


class DayForm(ClinicForm):
    day = DateField(
        "Day",
        validators=[DataRequired("Choose the day to print.")],
    )
    submit = SubmitField("Print all sheets of the day")

    def validate_day(self, field) -> None:
        if not FIRST_DAY <= field.data <= LAST_DAY:
            raise ValidationError(
                f"Choose a day between {FIRST_DAY.year} and {LAST_DAY.year}."
            )
