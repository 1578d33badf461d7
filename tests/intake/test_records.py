"""Signed records are immutable: intakes, their answers, rules versions and consent
texts refuse any change or deletion through the ORM, and nothing is stored."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.intake.models import (
    Clearance,
    ConsentDocument,
    ImmutableRecordError,
    Intake,
    IntakeAnswer,
    RuleSet,
    ScreeningRule,
)
from clinic.intake.screening import Outcome
from clinic.roles import Role
from tests.intake.test_eligibility import (
    SIGNED,
    add_client,
    clear,
    eligibility,
    sign_intake,
    yes,
)


@pytest.fixture
def intake_id(app):
    """A signed intake with a relative finding (so it can be cleared)."""
    with app.app_context():
        return sign_intake(add_client(), yes("diabetes", details="Type 2")).id


def first(model, *where):
    return db.session.scalar(select(model).where(*where).order_by(model.id).limit(1))


def the_intake(intake_id):
    return db.session.get(Intake, intake_id)


def a_yes_answer(intake_id):
    return first(IntakeAnswer, IntakeAnswer.intake_id == intake_id, IntakeAnswer.yes)


def a_no_answer(intake_id):
    return first(IntakeAnswer, IntakeAnswer.intake_id == intake_id, ~IntakeAnswer.yes)


def botox_rule(_):
    return first(ScreeningRule, ScreeningRule.code == "botulinum_toxin")


def epilepsy_rule(_):
    return first(ScreeningRule, ScreeningRule.code == "epilepsy")


def version_1(_):
    return first(RuleSet, RuleSet.version == 1)


def a_consent(_):
    return first(ConsentDocument)


# (how to find the record, the attribute, a new value)
EDITS = [
    pytest.param(the_intake, "signature_name", "X", id="intake-signature"),
    pytest.param(the_intake, "outcome", Outcome.CLEAR, id="intake-outcome"),
    pytest.param(the_intake, "eligible_from", date(2026, 1, 1), id="intake-date"),
    pytest.param(the_intake, "treatment_consent_id", 2, id="intake-consent"),
    pytest.param(a_yes_answer, "yes", False, id="answer-yes"),
    pytest.param(a_yes_answer, "details", "", id="answer-details"),
    pytest.param(a_no_answer, "question", "Edited?", id="answer-question"),
    pytest.param(botox_rule, "waiting_days", 1, id="rule-days"),
    pytest.param(epilepsy_rule, "active", False, id="rule-active"),
    pytest.param(version_1, "minimum_age", 16, id="ruleset-age"),
    pytest.param(a_consent, "body", "Edited.", id="consent-body"),
]


def snapshot(record) -> dict:
    return {
        attr.key: getattr(record, attr.key) for attr in record.__mapper__.column_attrs
    }


class TestImmutable:
    @pytest.mark.parametrize(("find", "attribute", "value"), EDITS)
    def test_a_changed_column_is_refused_and_nothing_changes(
        self, app, intake_id, find, attribute, value
    ):
        with app.app_context():
            record = find(intake_id)
            before = snapshot(record)
            assert before[attribute] != value
            setattr(record, attribute, value)
            with pytest.raises(ImmutableRecordError, match=attribute):
                db.session.commit()
            db.session.rollback()
        with app.app_context():
            assert snapshot(find(intake_id)) == before

    @pytest.mark.parametrize(
        "find",
        [
            pytest.param(the_intake, id="intake"),
            pytest.param(a_yes_answer, id="answer"),
            pytest.param(botox_rule, id="rule"),
            pytest.param(version_1, id="ruleset"),
            pytest.param(a_consent, id="consent"),
        ],
    )
    def test_deleting_is_refused(self, app, intake_id, find):
        with app.app_context():
            record = find(intake_id)
            model, key = type(record), record.id
            db.session.delete(record)
            # Deleting a parent first tries to detach its children: refused too.
            with pytest.raises(ImmutableRecordError, match="signed record"):
                db.session.commit()
            db.session.rollback()
        with app.app_context():
            assert db.session.get(model, key) is not None
            assert len(db.session.get(Intake, intake_id).answers) == 26
            assert len(version_1(None).rules) == 26

    def test_setting_the_same_value_is_no_change(self, app, intake_id):
        """Only a real change trips the guard: assigning the stored value is fine."""
        with app.app_context():
            intake = db.session.get(Intake, intake_id)
            intake.signature_name = intake.signature_name
            db.session.commit()

    def test_a_clearance_does_not_trip_the_guard(self, app, intake_id, make_user):
        esthetician = make_user(Role.ESTHETICIAN)
        with app.app_context():
            before = snapshot(db.session.get(Intake, intake_id))
            clear(intake_id, esthetician.id)
        with app.app_context():
            intake = db.session.get(Intake, intake_id)
            assert snapshot(intake) == before
            assert intake.clearance.cleared_by_id == esthetician.id
            assert db.session.scalar(select(func.count()).select_from(Clearance)) == 1
        assert eligibility(app, before["client_id"], SIGNED).label == "Clear"

    def test_a_new_intake_leaves_the_earlier_one_alone(self, app, intake_id):
        with app.app_context():
            before = snapshot(db.session.get(Intake, intake_id))
            sign_intake(before["client_id"], yes("epilepsy"))
        with app.app_context():
            assert snapshot(db.session.get(Intake, intake_id)) == before


class TestDatabaseGuards:
    def test_an_unsigned_intake_cannot_be_stored(self, app):
        """The signature is also required by the database, not only the form."""
        from clinic.clients.models import Client
        from clinic.intake.models import EnteredVia
        from clinic.intake.screening import Answer
        from clinic.intake.services import (
            Submission,
            current_consents,
            current_rule_set,
            submit_intake,
        )

        with app.app_context():
            client = db.session.get(Client, add_client())
            rule_set = current_rule_set()
            answers = tuple(Answer(r.code, False) for r in rule_set.active_rules())
            with pytest.raises(IntegrityError):
                submit_intake(
                    client,
                    Submission(answers, "", photo_consent=False),
                    rule_set=rule_set,
                    consents=current_consents(),
                    via=EnteredVia.STAFF,
                    by_user_id=None,
                    ip=None,
                )
            db.session.rollback()
            assert db.session.scalar(select(func.count()).select_from(Intake)) == 0
            assert (
                db.session.scalar(select(func.count()).select_from(IntakeAnswer)) == 0
            )
