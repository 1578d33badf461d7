"""Catalogue, working hours and block forms: field and cross-field checks.

Field names match the model's attributes, so ``values()`` is what the services
layer stores and ``obj=`` pre-fills an edit form.
"""

from __future__ import annotations

from datetime import datetime

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from clinic.catalogue.services import NonexistentLocalTime, local_to_utc
from clinic.forms_common import ClinicForm, IntegerField, line_filter, strip_filter
from clinic.scheduling.models import BlockKind

WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

MIN_ABOVE_MAX = "The minimum gap cannot be above the maximum."
PREFERRED_OUTSIDE = "The preferred gap must lie between the minimum and the maximum."
END_NOT_AFTER_START = "The end must be after the start."
ENDS_IN_PAST = "The end cannot be in the past."
NO_SUCH_TIME = (
    "This time does not exist on that day: the clocks go forward. "
    "Choose a time after the change."
)


def _name_field(label: str = "Name", max_length: int = 120):
    return StringField(
        label,
        validators=[DataRequired("Enter a name."), Length(max=max_length)],
        filters=[line_filter],
        render_kw={"autocomplete": "off"},
    )


WHOLE_NUMBER = "Enter a whole number."


def _stop_if_unreadable(form, field) -> None:
    """After "not a number", skip the range check: one message is enough."""
    if field.data is None:
        raise StopValidation()


def _whole_number(
    label: str, low: int, high: int, message: str, *, optional=False, **kwargs
):
    return IntegerField(
        label,
        validators=[
            Optional() if optional else InputRequired(WHOLE_NUMBER),
            _stop_if_unreadable,
            NumberRange(min=low, max=high, message=message),
        ],
        invalid_value_message=WHOLE_NUMBER,
        **kwargs,
    )


class CatalogueForm(ClinicForm):
    FIELDS: tuple[str, ...] = ()

    def values(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}


class ServiceForm(CatalogueForm):
    FIELDS = (
        "name",
        "description",
        "duration_minutes",
        "buffer_minutes",
        "needs_device",
        "needs_screening",
    )

    name = _name_field()
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=2000)],
        filters=[strip_filter, lambda value: value or ""],
        render_kw={"rows": 3},
    )
    duration_minutes = _whole_number(
        "Duration (minutes)",
        5,
        480,
        "The duration must be between 5 and 480 minutes.",
    )
    buffer_minutes = _whole_number(
        "Buffer after (minutes)",
        0,
        120,
        "The buffer must be between 0 and 120 minutes.",
        default=0,
        description="Time kept free after each appointment (cleaning, notes).",
    )
    needs_device = BooleanField("Needs a device", default=True)
    needs_screening = BooleanField(
        "Needs a valid health screening to book", default=True
    )
    submit = SubmitField("Save service")


def _gap_field(label: str):
    return _whole_number(label, 0, 365, "A gap must be between 0 and 365 days.")


class ProtocolForm(CatalogueForm):
    """A series protocol; ``service_id`` choices are set by the view."""

    FIELDS = (
        "name",
        "service_id",
        "sessions",
        "min_gap_days",
        "preferred_gap_days",
        "max_gap_days",
        "maintenance_interval_days",
    )

    name = _name_field()
    service_id = SelectField(
        "Service",
        coerce=int,
        validators=[InputRequired("Choose a service.")],
        invalid_choice_message="Choose an active service.",
    )
    sessions = _whole_number(
        "Number of sessions", 1, 100, "The number of sessions must be 1 to 100."
    )
    min_gap_days = _gap_field("Minimum gap (days)")
    preferred_gap_days = _gap_field("Preferred gap (days)")
    max_gap_days = _gap_field("Maximum gap (days)")
    maintenance_interval_days = _whole_number(
        "Maintenance interval (days, optional)",
        1,
        730,
        "The maintenance interval must be between 1 and 730 days.",
        optional=True,
        description="How often maintenance sessions follow the series.",
    )
    submit = SubmitField("Save protocol")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        low = self.min_gap_days.data
        preferred = self.preferred_gap_days.data
        high = self.max_gap_days.data
        fields = (self.min_gap_days, self.preferred_gap_days, self.max_gap_days)
        if any(field.errors for field in fields) or None in (low, preferred, high):
            return valid
        if low > high:
            self.min_gap_days.errors.append(MIN_ABOVE_MAX)
            return False
        if not low <= preferred <= high:
            self.preferred_gap_days.errors.append(PREFERRED_OUTSIDE)
            return False
        return valid


class RoomForm(CatalogueForm):
    FIELDS = ("name",)

    name = _name_field(max_length=80)
    submit = SubmitField("Save room")


class DeviceForm(CatalogueForm):
    FIELDS = ("name", "model", "serial", "max_current_ua")

    name = _name_field(max_length=80)
    model = StringField(
        "Model",
        validators=[Optional(), Length(max=120)],
        filters=[line_filter],
    )
    serial = StringField(
        "Serial number",
        validators=[DataRequired("Enter the serial number."), Length(max=80)],
        filters=[line_filter],
        render_kw={"autocomplete": "off"},
    )
    max_current_ua = _whole_number(
        "Configured maximum current (µA, optional)",
        1,
        1000,
        "The maximum current must be 1 to 1000 µA.",
        optional=True,
        description="Visit notes above this current get a warning.",
    )
    submit = SubmitField("Save device")


class WorkingHoursForm(ClinicForm):
    """One weekly range in clinic wall time (the same every week)."""

    weekday = SelectField(
        "Day",
        coerce=int,
        choices=[SelectChoice(str(i), day) for i, day in enumerate(WEEKDAYS)],
        validators=[InputRequired("Choose a day.")],
    )
    start_time = TimeField(
        "From",
        format=["%H:%M", "%H:%M:%S"],
        validators=[InputRequired("Enter the start time.")],
    )
    end_time = TimeField(
        "Until",
        format=["%H:%M", "%H:%M:%S"],
        validators=[InputRequired("Enter the end time.")],
    )
    submit = SubmitField("Add hours")

    def validate_end_time(self, field) -> None:
        start = self.start_time.data
        if start is not None and field.data is not None and field.data <= start:
            raise ValidationError(END_NOT_AFTER_START)


_BLOCK_LABELS = {
    BlockKind.TIME_OFF: "Time off (esthetician)",
    BlockKind.ROOM: "Room closed",
    BlockKind.DEVICE: "Device in maintenance",
}
_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def block_choices(estheticians, rooms, devices) -> list[SelectChoice]:
    """One select for kind and resource: ``<kind>:<id>`` grouped by kind."""
    groups = (
        (BlockKind.TIME_OFF, estheticians),
        (BlockKind.ROOM, rooms),
        (BlockKind.DEVICE, devices),
    )
    return [SelectChoice("", "Choose…")] + [
        SelectChoice(f"{kind.value}:{item.id}", item.name, optgroup=_BLOCK_LABELS[kind])
        for kind, items in groups
        for item in items
    ]


def block_kind_label(kind: BlockKind) -> str:
    return _BLOCK_LABELS[kind]


class BlockForm(ClinicForm):
    """A period in clinic wall time; ``validate`` fills ``starts_at_utc`` and
    ``ends_at_utc``. ``tz`` and ``now`` (aware UTC) are given by the view."""

    resource = SelectField(
        "What is unavailable",
        validators=[InputRequired("Choose what is unavailable.")],
        invalid_choice_message="Choose an active esthetician, room or device.",
    )
    starts_at = DateTimeLocalField(
        "From (clinic time)",
        format=_LOCAL_FORMATS,
        validators=[InputRequired("Enter the start date and time.")],
    )
    ends_at = DateTimeLocalField(
        "Until (clinic time)",
        format=_LOCAL_FORMATS,
        validators=[InputRequired("Enter the end date and time.")],
    )
    reason = StringField(
        "Reason (optional)",
        validators=[Optional(), Length(max=200)],
        filters=[line_filter],
        description="Seen by staff. No health details.",
    )
    submit = SubmitField("Create block")

    def __init__(self, *args, tz, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.now = now
        self.starts_at_utc: datetime | None = None
        self.ends_at_utc: datetime | None = None

    @property
    def kind_and_id(self) -> tuple[BlockKind, int]:
        kind, resource_id = self.resource.data.split(":")
        return BlockKind(kind), int(resource_id)

    def _to_utc(self, field, *, later: bool) -> datetime | None:
        if field.errors or field.data is None:
            return None
        try:
            return local_to_utc(field.data, self.tz, later=later)
        except NonexistentLocalTime:
            field.errors.append(NO_SUCH_TIME)
            return None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # A wall time that happens twice (clocks go back) is read so that the
        # block covers the longer period: the first start, the last end.
        start = self._to_utc(self.starts_at, later=False)
        end = self._to_utc(self.ends_at, later=True)
        if self.starts_at.errors or self.ends_at.errors:
            return False
        if start is None or end is None:
            return valid
        if end <= start:
            self.ends_at.errors.append(END_NOT_AFTER_START)
            return False
        if end <= self.now:
            self.ends_at.errors.append(ENDS_IN_PAST)
            return False
        self.starts_at_utc, self.ends_at_utc = start, end
        return valid
