"""Visit forms: the re-screen question, the visit record with one section per
zone, amendments."""

from __future__ import annotations

from decimal import Decimal

from wtforms import (
    BooleanField,
    DecimalField,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.forms_common import (
    OUT_OF_RANGE,
    ClinicForm,
    IntegerField,
    line_filter,
    strip_filter,
)
from clinic.visits.models import (
    ADVERSE_KINDS,
    Applicator,
    Polarity,
    Sensation,
    Waveform,
)
from clinic.zones import ZONES

CURRENT_MAX_UA = 1000
FREQUENCY_RANGE = (Decimal("0.1"), Decimal("2000"))


def _enum_choices(enum_cls, blank: str = "—") -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [
        SelectChoice(member.value, member.value.replace("_", " ").capitalize())
        for member in enum_cls
    ]


class NumberField(DecimalField):
    """A decimal number; letters get a plain message next to the field."""

    def process_formdata(self, valuelist):
        message = "Enter a number, for example 200 or 0.5."
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(message) from exc
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(message)


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            if str(exc) == OUT_OF_RANGE:
                raise
            raise ValueError("Enter a whole number.") from exc


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RescreenForm(ClinicForm):
    changed = RadioField(
        "Has anything changed in the client's health since then?",
        choices=[SelectChoice("no", "No, nothing changed"), SelectChoice("yes", "Yes")],
        validators=[InputRequired("Ask the client and choose an answer.")],
    )
    submit = SubmitField("Continue")


class ZoneNoteForm(Form):
    """One zone. Validated only when ``treated`` is ticked."""

    treated = BooleanField("Treated")
    current_ua = NumberField(
        "Current (µA)",
        places=None,
        validators=[Optional()],
        render_kw={"inputmode": "decimal"},
    )
    frequency_hz = NumberField(
        "Frequency (Hz)",
        places=None,
        validators=[Optional()],
        render_kw={"inputmode": "decimal"},
    )
    waveform = SelectField("Waveform", choices=_enum_choices(Waveform))
    polarity = SelectField("Polarity", choices=_enum_choices(Polarity))
    applicator = SelectField("Applicator", choices=_enum_choices(Applicator))
    duration_seconds = WholeNumberField(
        "Duration (s)", validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    holds = WholeNumberField(
        "Holds / passes", validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    sensation = SelectField("Sensation", choices=_enum_choices(Sensation))
    observation = StringField(
        "Observation", validators=[Optional(), Length(max=300)], filters=[line_filter]
    )
    adverse = BooleanField("Adverse sensation")
    override_reason = StringField(
        "Reason to treat an excluded zone",
        validators=[Optional(), Length(max=300)],
        filters=[line_filter],
    )

    def check(self, *, excluded: bool) -> bool:
        """Cross-field rules for a treated zone; errors go next to the fields."""
        if not self.treated.data:
            return True
        ok = True

        def fail(field, message):
            nonlocal ok
            field.errors = [*field.errors, message]
            ok = False

        current = self.current_ua.data
        if current is None:
            fail(self.current_ua, "Give the current in µA.")
        elif not 0 < current <= CURRENT_MAX_UA:
            fail(
                self.current_ua,
                f"The current must be above 0 and at most {CURRENT_MAX_UA} µA.",
            )
        frequency = self.frequency_hz.data
        low, high = FREQUENCY_RANGE
        if frequency is None:
            fail(self.frequency_hz, "Give the frequency in Hz.")
        elif not low <= frequency <= high:
            fail(
                self.frequency_hz, f"The frequency must be between {low} and {high} Hz."
            )
        for field in (self.duration_seconds, self.holds):
            if field.data is not None and field.data <= 0:
                fail(field, "Must be above zero.")
        if self.duration_seconds.data is None and self.holds.data is None:
            fail(self.duration_seconds, "Give the duration or the number of holds.")
        if excluded and not self.override_reason.data:
            fail(
                self.override_reason,
                "This zone is excluded by the screening: give a reason to treat it.",
            )
        return ok


def visit_form_class():
    """The visit form with one ZoneNoteForm per zone (fields z_<code>-...)."""

    class VisitForm(ClinicForm):
        device = SelectField("Device", validators=[Optional()])
        conductive_product = StringField(
            "Conductive product",
            validators=[Optional(), Length(max=200)],
            filters=[line_filter],
        )
        skin_before = TextAreaField(
            "Skin condition before",
            validators=[Optional(), Length(max=2000)],
            filters=[strip_filter],
            render_kw={"rows": 2},
        )
        general_notes = TextAreaField(
            "General notes",
            validators=[Optional(), Length(max=5000)],
            filters=[strip_filter],
            render_kw={"rows": 3},
        )
        products_after = TextAreaField(
            "Products applied after",
            validators=[Optional(), Length(max=2000)],
            filters=[strip_filter],
            render_kw={"rows": 2},
        )
        client_feedback = TextAreaField(
            "Client feedback",
            validators=[Optional(), Length(max=2000)],
            filters=[strip_filter],
            render_kw={"rows": 2},
        )
        adverse_kinds = MultiCheckboxField(
            "Adverse sensations",
            choices=[SelectChoice(code, text) for code, text in ADVERSE_KINDS.items()],
            validators=[Optional()],
        )
        adverse_details = TextAreaField(
            "Adverse sensation details",
            # No Optional(): it would stop the chain before validate_adverse_details
            # and let ticked adverse sensations through without details.
            validators=[Length(max=2000)],
            filters=[strip_filter],
            render_kw={"rows": 2},
        )
        aftercare_note = TextAreaField(
            "Personal note for the aftercare sheet",
            validators=[Optional(), Length(max=1000)],
            filters=[strip_filter],
            render_kw={"rows": 2},
        )
        save = SubmitField("Save")

        def validate_adverse_details(self, field) -> None:
            if self.adverse_kinds.data and not field.data:
                raise ValidationError("Describe the adverse sensation.")

    for zone in ZONES:
        setattr(VisitForm, f"z_{zone.code}", FormField(ZoneNoteForm, label=zone.label))
    return VisitForm


VisitForm = visit_form_class()


class AmendmentForm(ClinicForm):
    text = TextAreaField(
        "Amendment",
        validators=[DataRequired("Write the correction."), Length(max=5000)],
        filters=[strip_filter],
        description="The signed record stays as it is; the amendment is shown under it "
        "with your name and the time.",
        render_kw={"rows": 3},
    )
    submit = SubmitField("Add amendment")


class SignForm(ClinicForm):
    confirm = BooleanField(
        "I confirm this record is complete and accurate.",
        validators=[DataRequired("Confirm to sign.")],
    )
    submit = SubmitField("Sign the visit")


def zone_fields(form) -> list:
    """(zone, subform) pairs in treatment order."""
    return [(zone, form[f"z_{zone.code}"]) for zone in ZONES]
