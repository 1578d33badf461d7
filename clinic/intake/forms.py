"""The health questionnaire (generated from the active rules), consent and
signature; clearance; and the admin forms for rules and consent texts."""

from __future__ import annotations

from dataclasses import dataclass

from wtforms import (
    BooleanField,
    DateField,
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
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.clock import clinic_today
from clinic.forms_common import (
    ClinicForm,
    IntegerField,
    NotInFuture,
    line_filter,
    strip_filter,
)
from clinic.intake.models import ConsentKind, RuleSet, ScreeningRule
from clinic.intake.screening import Answer, RuleClass
from clinic.intake.services import Submission
from clinic.text import same_name
from clinic.zones import ZONES, zone_by_code

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@dataclass(frozen=True)
class QuestionFields:
    """The names of the fields that ask one rule's question."""

    rule: ScreeningRule
    answer: str
    event_date: str | None
    zones: str | None
    details: str


class QuestionnaireBase(ClinicForm):
    """Consent and signature; the questions are added per rules version."""

    consent_treatment = BooleanField(
        "I have read and agree to the consent to treatment above.",
        validators=[DataRequired("You must agree to the treatment consent.")],
    )
    consent_data = BooleanField(
        "I have read and agree to the processing of my health data above.",
        validators=[DataRequired("You must agree to the data consent.")],
    )
    consent_photo = BooleanField("I agree to photographs (optional).")
    signature_name = StringField(
        "Type your full name to sign",
        validators=[DataRequired("Type your full name to sign."), Length(max=200)],
        filters=[line_filter],
        render_kw={"autocomplete": "off"},
    )
    confirm = BooleanField(
        "My answers are true and complete, and I sign this form.",
        validators=[DataRequired("Confirm your answers to sign.")],
    )
    submit = SubmitField("Sign and submit")

    questions: list[QuestionFields] = []
    registered_name = ""  # the client's full name, set by questionnaire_form

    def validate_signature_name(self, field) -> None:
        # The typed name is the signature: an initial ("S O'Reilly") or
        # someone else's name does not sign for the registered client.
        if not same_name(field.data, self.registered_name):
            raise ValidationError(
                f"Type your full name as registered: {self.registered_name}."
            )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for question in self.questions:
            if self[question.answer].data != "yes":
                continue
            if question.event_date and self[question.event_date].data is None:
                if not self[question.event_date].errors:
                    self[question.event_date].errors.append(
                        "Give the date (an approximate date is fine)."
                    )
                valid = False
        return valid

    def to_submission(self) -> Submission:
        answers = []
        for question in self.questions:
            yes = self[question.answer].data == "yes"
            answers.append(
                Answer(
                    rule_code=question.rule.code,
                    yes=yes,
                    event_date=self[question.event_date].data
                    if yes and question.event_date
                    else None,
                    zones=tuple(self[question.zones].data or ())
                    if yes and question.zones
                    else (),
                    details=(self[question.details].data or "").strip(),
                )
            )
        return Submission(
            answers=tuple(answers),
            signature_name=self.signature_name.data,
            photo_consent=bool(self.consent_photo.data),
        )


def questionnaire_form(
    rule_set: RuleSet, *, registered_name: str, **kwargs
) -> QuestionnaireBase:
    """A form asking every active rule of ``rule_set``, signed by typing
    ``registered_name`` (the client's full name)."""

    class Questionnaire(QuestionnaireBase):
        pass

    questions = []
    for rule in rule_set.active_rules():
        name = f"q_{rule.code}"
        setattr(
            Questionnaire,
            name,
            RadioField(
                rule.question,
                choices=YES_NO,
                validators=[InputRequired("Answer yes or no.")],
                description=rule.help_text,
            ),
        )
        date_name = zones_name = None
        if rule.rule_class is RuleClass.TEMPORARY:
            date_name = f"{name}__date"
            setattr(
                Questionnaire,
                date_name,
                DateField(
                    "If yes: when? (the date of the last treatment, or when it ended)",
                    validators=[Optional(), NotInFuture(clinic_today)],
                ),
            )
        if rule.rule_class is RuleClass.LOCAL:
            zones_name = f"{name}__zones"
            allowed = rule.zone_codes or tuple(zone.code for zone in ZONES)
            setattr(
                Questionnaire,
                zones_name,
                MultiCheckboxField(
                    "If yes: which areas?",
                    choices=[
                        SelectChoice(code, zone_by_code(code).label) for code in allowed
                    ],
                    validators=[Optional()],
                ),
            )
        details_name = f"{name}__details"
        setattr(
            Questionnaire,
            details_name,
            TextAreaField(
                "Details (optional)",
                validators=[Optional(), Length(max=1000)],
                filters=[strip_filter],
                render_kw={"rows": 2},
            ),
        )
        questions.append(
            QuestionFields(rule, name, date_name, zones_name, details_name)
        )
    Questionnaire.questions = questions
    Questionnaire.registered_name = registered_name
    return Questionnaire(**kwargs)


class ClearanceForm(ClinicForm):
    reason = TextAreaField(
        "Reason for clearance",
        validators=[
            DataRequired("Give the reason for the clearance."),
            Length(max=2000),
        ],
        filters=[strip_filter],
        description="Your professional judgement, or what the physician's note says.",
        render_kw={"rows": 3},
    )
    physician_note_ref = StringField(
        "Physician's note reference (optional)",
        validators=[Optional(), Length(max=200)],
        filters=[line_filter],
    )
    cleared_on = DateField(
        "Date of clearance",
        validators=[DataRequired("Give the date."), NotInFuture(clinic_today)],
    )
    submit = SubmitField("Record clearance")


# --- admin: rules and consent texts ----------------------------------------

RULE_CLASS_CHOICES = [
    SelectChoice("absolute", "Absolute: not eligible"),
    SelectChoice("relative", "Relative: needs clearance"),
    SelectChoice("temporary", "Temporary: deferred for a waiting period"),
    SelectChoice("local", "Local: zones excluded"),
]


class RuleForm(ClinicForm):
    label = StringField(
        "Short name",
        validators=[DataRequired(), Length(max=100)],
        filters=[line_filter],
        description='Used in findings, e.g. "Botulinum toxin".',
    )
    question = StringField(
        "Question asked",
        validators=[DataRequired(), Length(max=300)],
        filters=[line_filter],
    )
    help_text = StringField(
        "Help text (optional)",
        validators=[Optional(), Length(max=500)],
        filters=[line_filter],
    )
    rule_class = SelectField("Class", choices=RULE_CLASS_CHOICES)
    waiting_days = IntegerField(
        "Waiting days (temporary only)",
        validators=[Optional(), NumberRange(min=0, max=3650)],
    )
    requires_clearance = BooleanField(
        "Also needs clearance (temporary only; relative rules always do)"
    )
    zones = MultiCheckboxField(
        "Zones it can affect (local only; none ticked = any zone)",
        choices=[SelectChoice(zone.code, zone.label) for zone in ZONES],
        validators=[Optional()],
    )
    active = BooleanField("Asked in new intakes", default=True)
    note = StringField(
        "Why this change (kept with the new rules version)",
        validators=[DataRequired("Say why the rules change."), Length(max=300)],
        filters=[line_filter],
    )
    submit = SubmitField("Save as a new rules version")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() ends the field's chain on an empty box, before the inline
        # validator below runs: a temporary rule without days is caught here.
        field = self.waiting_days
        temporary = self.rule_class.data == RuleClass.TEMPORARY.value
        if temporary and field.data is None and not field.errors:
            field.errors.append("A temporary rule needs waiting days.")
            valid = False
        return valid

    def validate_waiting_days(self, field) -> None:
        temporary = self.rule_class.data == RuleClass.TEMPORARY.value
        if temporary and field.data is None:
            raise ValidationError("A temporary rule needs waiting days.")
        if not temporary and field.data is not None:
            raise ValidationError("Only temporary rules have waiting days.")

    def validate_requires_clearance(self, field) -> None:
        if field.data and self.rule_class.data in ("absolute", "local"):
            raise ValidationError("Absolute and local rules need no clearance.")

    def validate_zones(self, field) -> None:
        if field.data and self.rule_class.data != RuleClass.LOCAL.value:
            raise ValidationError("Only local rules list zones.")


class NewRuleForm(RuleForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired(),
            Length(max=60),
            Regexp(
                r"^[a-z][a-z0-9_]*$",
                message="Lower-case letters, digits and _ only; start with a letter.",
            ),
        ],
        filters=[strip_filter],
        description="A permanent identifier, e.g. botulinum_toxin.",
    )
    submit = SubmitField("Add rule (new rules version)")


class MinimumAgeForm(ClinicForm):
    minimum_age = IntegerField(
        "Minimum age", validators=[InputRequired(), NumberRange(min=0, max=99)]
    )
    note = StringField(
        "Why this change",
        validators=[DataRequired("Say why the rules change."), Length(max=300)],
        filters=[line_filter],
    )
    submit = SubmitField("Save as a new rules version")


class ConsentForm(ClinicForm):
    title = StringField(
        "Title", validators=[DataRequired(), Length(max=200)], filters=[line_filter]
    )
    body = TextAreaField(
        "Text",
        validators=[DataRequired(), Length(max=20000)],
        filters=[strip_filter],
        render_kw={"rows": 12},
    )
    submit = SubmitField("Save as a new version")


def consent_kind_or_none(value: str) -> ConsentKind | None:
    try:
        return ConsentKind(value)
    except ValueError:
        return None
