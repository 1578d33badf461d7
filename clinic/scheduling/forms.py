"""Booking, series planning, rescheduling and cancellation forms."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.clock import clinic_tz
from clinic.forms_common import ClinicForm, RecordId, line_filter
from clinic.scheduling.queries import active_estheticians

WEEKDAYS = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
]
ANY = "any"


class LocalTimeError(ValueError):
    """A local time that does not exist (the hour skipped by daylight saving)."""


def local_to_utc(day: date, at: time) -> datetime:
    """Clinic-local wall time to UTC; LocalTimeError inside a DST gap."""
    tz = clinic_tz()
    local = datetime.combine(day, at, tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise LocalTimeError(
            f"{at:%H:%M} does not exist on {day.isoformat()} (the clocks go forward)."
        )
    return instant


def choices(rows, *, any_label: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice(ANY, any_label)] if any_label else []
    return options + [SelectChoice(str(row.id), row.name) for row in rows]


def esthetician_choices(any_label: str | None = "Any esthetician"):
    """The active estheticians as select options, "any" first if labelled."""
    return choices(active_estheticians(), any_label=any_label)


def chosen_id(value: str | None) -> int | None:
    """The id picked in a select, or None for "any"."""
    return None if value in (None, "", ANY) else int(value)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SlotSearchForm(ClinicForm):
    """GET form: which service, with whom, which day."""

    class Meta:
        csrf = False

    service = SelectField("Service", validators=[DataRequired()])
    esthetician = SelectField("Esthetician", default=ANY)
    day = DateField("Day", validators=[DataRequired("Choose a day.")])
    submit = SubmitField("Show free times")


class BookSlotForm(ClinicForm):
    """POST form behind each free-time button (values checked by the service)."""

    # Ids are checked here, so a tampered form is a 400, not a 500.
    service_id = HiddenField(validators=[DataRequired(), RecordId()])
    esthetician_id = HiddenField(validators=[DataRequired(), RecordId()])
    room_id = HiddenField(validators=[Optional(), RecordId(also=[ANY])])
    device_id = HiddenField(validators=[Optional(), RecordId(also=[ANY])])
    start = HiddenField(validators=[DataRequired()])
    # Set when re-booking a session of a series.
    series_id = HiddenField(validators=[Optional(), RecordId()])
    session_number = HiddenField(validators=[Optional(), RecordId()])
    reason = StringField(
        "Reason for booking outside the protocol's gaps",
        validators=[Optional(), Length(max=300)],
        filters=[line_filter],
    )

    def start_utc(self) -> datetime | None:
        try:
            value = datetime.fromisoformat(self.start.data)
        except (TypeError, ValueError):
            return None
        return value.astimezone(UTC) if value.tzinfo else None


class SeriesPlanForm(ClinicForm):
    protocol = SelectField("Protocol", validators=[DataRequired()])
    esthetician = SelectField("Esthetician", default=ANY)
    first_day = DateField("First session on or after", validators=[DataRequired()])
    weekdays = MultiCheckboxField(
        "Preferred weekdays",
        choices=[SelectChoice(str(i), name) for i, name in enumerate(WEEKDAYS)],
        validators=[Optional()],
        description="Leave empty for any day.",
    )
    preferred_time = TimeField(
        "Preferred time", validators=[InputRequired("Give a preferred time.")]
    )
    plan = SubmitField("Propose the sessions")


class SessionRowForm(Form):
    """One proposed session the front desk may change before confirming."""

    day = DateField("Date", validators=[DataRequired("Give a date.")])
    at = TimeField("Time", validators=[InputRequired("Give a time.")])
    esthetician = SelectField("Esthetician")


class SeriesConfirmForm(ClinicForm):
    protocol = HiddenField(validators=[DataRequired(), RecordId()])
    esthetician = HiddenField()
    first_day = HiddenField()
    weekdays = HiddenField()
    preferred_time = HiddenField()
    sessions = FieldList(FormField(SessionRowForm), min_entries=1, max_entries=100)
    gap_reason = StringField(
        "Reason (needed only to book sessions outside the protocol's gaps)",
        validators=[Optional(), Length(max=300)],
        filters=[line_filter],
    )
    recheck = SubmitField("Check again")
    confirm = SubmitField("Book all sessions")


class MoveSearchForm(ClinicForm):
    """GET form of an appointment's page: the free times of which day, with
    whom, to move it to."""

    class Meta:
        csrf = False

    move_day = DateField("Day", validators=[DataRequired("Choose a day.")])
    move_with = SelectField("Esthetician")
    show = SubmitField("Show free times")


class MovedSessionForm(SessionRowForm):
    """One session of a series to move: which appointment, and where to."""

    appointment = HiddenField(validators=[DataRequired(), RecordId()])


class MoveSessionsForm(ClinicForm):
    """Move the sessions of a series still to come, all at once."""

    sessions = FieldList(FormField(MovedSessionForm), min_entries=1, max_entries=100)
    reason = StringField(
        "Why they move",
        validators=[DataRequired("Give the reason."), Length(max=300)],
        filters=[line_filter],
    )
    gap_reason = StringField(
        "Reason (needed only to move sessions outside the protocol's gaps)",
        validators=[Optional(), Length(max=300)],
        filters=[line_filter],
    )
    recheck = SubmitField("Check again")
    confirm = SubmitField("Move these sessions")


class RescheduleForm(ClinicForm):
    day = DateField("New date", validators=[DataRequired("Give a date.")])
    at = TimeField("New time", validators=[InputRequired("Give a time.")])
    esthetician = SelectField("Esthetician")
    reason = StringField(
        "Reason (needed when the move breaks the protocol's gaps)",
        validators=[Optional(), Length(max=300)],
        filters=[line_filter],
    )
    submit = SubmitField("Move the appointment")


class CancelForm(ClinicForm):
    reason = StringField(
        "Reason for cancelling",
        validators=[DataRequired("Give the reason."), Length(max=300)],
        filters=[line_filter],
    )
    submit = SubmitField("Cancel the appointment")


class ActionForm(ClinicForm):
    """Only the CSRF token: check-in, complete, no-show, rotate feed."""

    submit = SubmitField("Confirm")
