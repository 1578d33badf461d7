"""The eligibility service the rest of the app asks: may this client be treated on
that day, and if not, why and from when.

Intakes are arranged through ``submit_intake`` (the HTTP flows are tested
elsewhere), signed on fixed days with ``signed_at`` so every date boundary is
exact. The helpers here are also used by the other intake test modules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from clinic.clients.services import create_client
from clinic.clock import clinic_today
from clinic.extensions import db
from clinic.intake.eligibility import Status, client_eligibility
from clinic.intake.models import EnteredVia, Intake
from clinic.intake.screening import Answer
from clinic.intake.services import (
    Submission,
    current_consents,
    current_rule_set,
    record_clearance,
    submit_intake,
)
from clinic.roles import Role

# The clinic timezone of the tests is Europe/London: noon UTC is the same day.
SIGNED = date(2026, 11, 25)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def add_client(born: date = date(1990, 5, 17), name: str = "Ada") -> int:
    """A new client (inside an app context, committed); returns its id."""
    client = create_client(
        {"given_name": name, "family_name": "Tester", "date_of_birth": born},
        by_user_id=None,
    )
    db.session.commit()
    return client.id


def sign_intake(
    client_id: int,
    *yes: Answer,
    on: date | None = SIGNED,
    signed_at: datetime | None = None,
    photo: bool = False,
) -> Intake:
    """Sign an intake with the current rules: ``yes`` answers, "no" to the rest.

    ``on`` (noon UTC) or ``signed_at`` backdates it; ``on=None`` signs now.
    Commits; call inside an app context.
    """
    from clinic.clients.models import Client

    client = db.session.get(Client, client_id)
    rule_set = current_rule_set()
    given = {answer.rule_code: answer for answer in yes}
    answers = tuple(
        given.pop(rule.code, Answer(rule.code, False))
        for rule in rule_set.active_rules()
    )
    assert not given, f"not asked by the current rules: {sorted(given)}"
    intake = submit_intake(
        client,
        Submission(answers, client.full_name, photo_consent=photo),
        rule_set=rule_set,
        consents=current_consents(),
        via=EnteredVia.STAFF,
        by_user_id=None,
        ip="192.0.2.10",
        signed_at=signed_at or (noon(on) if on else None),
    )
    db.session.commit()
    return intake


def yes(code: str, **kw) -> Answer:
    return Answer(code, True, **kw)


def clear(intake_id: int, user_id: int, on: date = SIGNED) -> None:
    """Record a clearance for intake ``intake_id`` (commits)."""
    record_clearance(
        db.session.get(Intake, intake_id),
        by_user_id=user_id,
        reason="Physician letter seen; condition controlled.",
        physician_note_ref="GP-42",
        cleared_on=on,
    )
    db.session.commit()


@pytest.fixture
def clinician(make_user):
    return make_user(Role.ESTHETICIAN)


def eligibility(app, client_id: int, day: date | None):
    with app.app_context():
        return client_eligibility(client_id, day)


class TestEveryStatus:
    def test_each_state_has_its_exact_label_and_only_clear_may_treat(
        self, app, clinician
    ):
        """One client per state; the badge wording is exactly the spec's."""
        day = date(2026, 11, 30)
        with app.app_context():
            clear_id = add_client(name="Clear")
            sign_intake(clear_id)
            relative_id = add_client(name="Relative")
            sign_intake(relative_id, yes("diabetes"))
            deferred_id = add_client(name="Deferred")
            sign_intake(
                deferred_id, yes("botulinum_toxin", event_date=date(2026, 11, 21))
            )
            absolute_id = add_client(name="Absolute")
            sign_intake(absolute_id, yes("epilepsy"))
            none_id = add_client(name="Nobody")
            expired_id = add_client(name="Expired")
            sign_intake(expired_id, on=date(2025, 11, 1))

        expected = {
            clear_id: (Status.CLEAR, "Clear", True),
            relative_id: (Status.NEEDS_CLEARANCE, "Needs clearance", False),
            deferred_id: (Status.DEFERRED, "Deferred until 5 December 2026", False),
            absolute_id: (Status.NOT_ELIGIBLE, "Not eligible", False),
            none_id: (Status.NO_INTAKE, "No intake", False),
            expired_id: (Status.INTAKE_EXPIRED, "Intake expired", False),
        }
        for client_id, wanted in expected.items():
            found = eligibility(app, client_id, day)
            assert (found.status, found.label, found.may_treat) == wanted
            assert found.day == day
            assert found.excluded_label == ""
        assert {status for status, _, _ in expected.values()} == set(Status)

    def test_no_intake_has_no_dates(self, app):
        with app.app_context():
            client_id = add_client()
        found = eligibility(app, client_id, SIGNED)
        assert (found.intake_id, found.eligible_from, found.intake_expires_on) == (
            None,
            None,
            None,
        )

    def test_clear_refers_to_the_intake_it_read(self, app):
        with app.app_context():
            client_id = add_client()
            intake_id = sign_intake(client_id).id
        found = eligibility(app, client_id, SIGNED)
        assert found.intake_id == intake_id
        assert found.intake_expires_on == date(2027, 11, 25)

    def test_absolute_finding_stays_not_eligible_on_any_later_day(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("pregnancy"))
        for day in (SIGNED, date(2027, 6, 1), date(2027, 11, 24)):
            assert eligibility(app, client_id, day).label == "Not eligible"

    def test_default_day_is_the_clinic_today(self, app):
        """Without a day the service answers for today in the clinic's timezone."""
        with app.app_context():
            client_id = add_client()
            today = clinic_today()
            sign_intake(
                client_id,
                yes("botulinum_toxin", event_date=today - timedelta(days=5)),
                on=None,
            )
            found = client_eligibility(client_id)
        until = today + timedelta(days=9)
        assert found.day == today
        assert found.label == f"Deferred until {until.day} {until:%B %Y}"


class TestExcludedZones:
    def test_cold_sore_excludes_the_mouth_and_still_treats(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("cold_sore"))
        found = eligibility(app, client_id, SIGNED)
        assert (found.label, found.may_treat) == ("Clear", True)
        assert found.excluded_zones == ("perioral",)
        assert found.excluded_label == "Excluded zones: Mouth / perioral"

    def test_several_local_findings_combine_in_treatment_order(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(
                client_id,
                yes("rash", zones=("forehead", "cheek_right")),
                yes("bruising", zones=("cheek_left", "forehead")),
            )
        found = eligibility(app, client_id, SIGNED)
        assert found.label == "Clear"
        assert found.excluded_label == (
            "Excluded zones: Cheek (left), Cheek (right), Forehead"
        )

    def test_zones_are_reported_with_another_status_too(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("diabetes"), yes("sunburn", zones=("neck",)))
        found = eligibility(app, client_id, SIGNED)
        assert found.label == "Needs clearance"
        assert found.excluded_label == "Excluded zones: Neck"


class TestDeferred:
    def test_day_before_and_day_of_eligibility(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(
                client_id, yes("botulinum_toxin", event_date=date(2026, 11, 21))
            )
        before = eligibility(app, client_id, date(2026, 12, 4))
        assert before.status is Status.DEFERRED
        assert before.label == "Deferred until 5 December 2026"
        assert before.eligible_from == date(2026, 12, 5)
        assert not before.may_treat
        on_the_day = eligibility(app, client_id, date(2026, 12, 5))
        assert (on_the_day.label, on_the_day.may_treat) == ("Clear", True)

    def test_several_temporary_findings_wait_for_the_latest(self, app):
        """Peel ends on 4 December, botulinum toxin on 5 December: 5 December."""
        with app.app_context():
            client_id = add_client()
            sign_intake(
                client_id,
                yes("skin_procedure", event_date=date(2026, 11, 24)),
                yes("botulinum_toxin", event_date=date(2026, 11, 21)),
            )
        assert (
            eligibility(app, client_id, date(2026, 12, 4)).label
            == "Deferred until 5 December 2026"
        )
        assert eligibility(app, client_id, date(2026, 12, 5)).label == "Clear"

    def test_a_wait_already_over_at_signing_is_clear(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("retinoid", event_date=date(2026, 11, 1)))
        assert eligibility(app, client_id, SIGNED).label == "Clear"


class TestRelativeAndTemporary:
    def test_needs_clearance_then_deferred_then_clear(self, app, clinician):
        """Both findings must be satisfied: clearance first, then the date."""
        with app.app_context():
            client_id = add_client()
            intake_id = sign_intake(
                client_id,
                yes("diabetes"),
                yes("botulinum_toxin", event_date=date(2026, 11, 21)),
            ).id
        # Without clearance the wait running out changes nothing.
        for day in (date(2026, 11, 30), date(2026, 12, 5), date(2027, 3, 1)):
            assert eligibility(app, client_id, day).label == "Needs clearance"

        with app.app_context():
            clear(intake_id, clinician.id, date(2026, 11, 30))

        assert (
            eligibility(app, client_id, date(2026, 12, 4)).label
            == "Deferred until 5 December 2026"
        )
        assert eligibility(app, client_id, date(2026, 12, 5)).may_treat

    def test_facial_surgery_waits_and_needs_clearance(self, app, clinician):
        with app.app_context():
            client_id = add_client()
            intake_id = sign_intake(
                client_id, yes("facial_surgery", event_date=date(2026, 10, 1))
            ).id
        assert eligibility(app, client_id, date(2027, 1, 1)).label == (
            "Needs clearance"
        )
        with app.app_context():
            clear(intake_id, clinician.id)
        assert eligibility(app, client_id, date(2026, 12, 29)).label == (
            "Deferred until 30 December 2026"
        )
        assert eligibility(app, client_id, date(2026, 12, 30)).label == "Clear"

    def test_relative_alone_is_clear_once_cleared(self, app, clinician):
        with app.app_context():
            client_id = add_client()
            intake_id = sign_intake(client_id, yes("thyroid")).id
            clear(intake_id, clinician.id)
        assert eligibility(app, client_id, SIGNED).label == "Clear"


class TestAge:
    def test_under_18_becomes_eligible_on_the_18th_birthday(self, app):
        with app.app_context():
            client_id = add_client(born=date(2008, 12, 10))
            sign_intake(client_id)
        # The minimum age is a day the client reaches (issue 15, item 4).
        until = "Not eligible until 10 December 2026 (minimum age)"
        assert eligibility(app, client_id, SIGNED).label == until
        eve = eligibility(app, client_id, date(2026, 12, 9))
        assert (eve.label, eve.may_treat) == (until, False)
        assert eve.bookable_from == date(2026, 12, 10)
        birthday = eligibility(app, client_id, date(2026, 12, 10))
        assert (birthday.label, birthday.may_treat) == ("Clear", True)

    def test_age_and_a_temporary_wait_both_apply(self, app):
        """18 on 10 December; filler wait until 12 December: deferred in between."""
        with app.app_context():
            client_id = add_client(born=date(2008, 12, 10))
            sign_intake(
                client_id,
                yes("dermal_filler", event_date=date(2026, 11, 28)),
                on=date(2026, 11, 28),
            )
        eve = eligibility(app, client_id, date(2026, 12, 9))
        assert eve.label == "Not eligible until 10 December 2026 (minimum age)"
        assert eve.bookable_from == date(2026, 12, 12)  # the later of the two
        assert (
            eligibility(app, client_id, date(2026, 12, 10)).label
            == "Deferred until 12 December 2026"
        )
        assert eligibility(app, client_id, date(2026, 12, 12)).label == "Clear"


class TestExpiry:
    def test_valid_until_the_day_before_twelve_months_later(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("cold_sore"), on=date(2025, 12, 5))
        last_day = eligibility(app, client_id, date(2026, 12, 4))
        assert (last_day.label, last_day.may_treat) == ("Clear", True)
        expired = eligibility(app, client_id, date(2026, 12, 5))
        assert expired.status is Status.INTAKE_EXPIRED
        assert (expired.label, expired.may_treat) == ("Intake expired", False)
        assert expired.intake_expires_on == date(2026, 12, 5)

    def test_expiry_overrides_every_outcome(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("epilepsy"), on=date(2025, 12, 5))
        assert eligibility(app, client_id, date(2026, 12, 4)).label == "Not eligible"
        assert eligibility(app, client_id, date(2026, 12, 5)).label == "Intake expired"

    def test_the_clinic_day_of_signing_counts(self, app):
        """23:30 UTC on 30 June is 1 July in London: valid until 30 June 2027."""
        with app.app_context():
            client_id = add_client()
            intake = sign_intake(
                client_id, signed_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
            )
            assert intake.screened_on == date(2026, 7, 1)
        assert eligibility(app, client_id, date(2027, 6, 30)).label == "Clear"
        assert eligibility(app, client_id, date(2027, 7, 1)).label == "Intake expired"

    @pytest.mark.app_config(INTAKE_VALID_MONTHS=6)
    def test_the_validity_is_a_setting(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, on=date(2026, 5, 26))
        assert eligibility(app, client_id, date(2026, 11, 25)).label == "Clear"
        expired = eligibility(app, client_id, date(2026, 11, 26))
        assert expired.label == "Intake expired"
        assert expired.intake_expires_on == date(2026, 11, 26)
        # Twelve months (the default) would still be valid in January.
        assert eligibility(app, client_id, date(2027, 1, 10)).label == "Intake expired"

    def test_a_new_intake_ends_the_expiry(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, on=date(2025, 1, 10))
        assert eligibility(app, client_id, SIGNED).label == "Intake expired"
        with app.app_context():
            sign_intake(client_id, yes("diabetes"))
        assert eligibility(app, client_id, SIGNED).label == "Needs clearance"


class TestLatestIntakeWins:
    def test_a_newer_clear_intake_replaces_a_not_eligible_one(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("pregnancy"), on=date(2026, 3, 1))
            newer_id = sign_intake(client_id, on=date(2026, 11, 20)).id
        found = eligibility(app, client_id, SIGNED)
        assert (found.label, found.intake_id) == ("Clear", newer_id)

    def test_a_newer_finding_replaces_an_older_clear_intake(self, app):
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("cold_sore"), on=date(2026, 3, 1))
            sign_intake(client_id, yes("epilepsy"), on=date(2026, 11, 20))
        found = eligibility(app, client_id, SIGNED)
        assert (found.label, found.excluded_label) == ("Not eligible", "")

    def test_a_clearance_does_not_carry_over_to_a_new_intake(self, app, clinician):
        with app.app_context():
            client_id = add_client()
            first_id = sign_intake(client_id, yes("diabetes"), on=date(2026, 11, 1)).id
            clear(first_id, clinician.id, date(2026, 11, 2))
        assert eligibility(app, client_id, SIGNED).label == "Clear"
        with app.app_context():
            sign_intake(client_id, yes("diabetes"))
        assert eligibility(app, client_id, SIGNED).label == "Needs clearance"

    def test_signing_time_not_entry_order_decides(self, app):
        """A paper intake signed earlier and typed in later does not win."""
        with app.app_context():
            client_id = add_client()
            recent_id = sign_intake(client_id, on=date(2026, 11, 20)).id
            sign_intake(client_id, yes("epilepsy"), on=date(2026, 6, 1))
        found = eligibility(app, client_id, SIGNED)
        assert (found.label, found.intake_id) == ("Clear", recent_id)

    def test_other_clients_intakes_do_not_count(self, app):
        with app.app_context():
            client_id = add_client(name="Ada")
            other_id = add_client(name="Bea")
            sign_intake(other_id, yes("epilepsy"))
        assert eligibility(app, client_id, SIGNED).label == "No intake"
        assert eligibility(app, other_id, SIGNED).label == "Not eligible"
