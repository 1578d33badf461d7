"""Screening rules as data: the seeded catalogue and the admin pages that version it.

Every change goes through the real forms (CSRF on) and must leave the earlier
version, and the intakes screened with it, exactly as they were.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from clinic.audit import AuditEvent
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.intake.catalogue import new_rules_version
from clinic.intake.forms import questionnaire_form
from clinic.intake.models import EnteredVia, Intake, RuleSet, ScreeningRule
from clinic.intake.screening import Answer, RuleClass, ScreeningInputError
from clinic.intake.services import (
    IntakeError,
    Submission,
    current_consents,
    current_rule_set,
    submit_intake,
)
from clinic.roles import Role
from tests.helpers import submit
from tests.intake.test_eligibility import (
    SIGNED,
    add_client,
    eligibility,
    sign_intake,
    yes,
)

RULES = "/admin/screening"
BOTOX_QUESTION = "Have you had botulinum toxin (Botox) injections recently?"
NEW_BOTOX_QUESTION = "Have you had botulinum toxin injections in the last 3 months?"


def rules_of(version: int) -> dict[str, dict]:
    """The content of every rule of ``version`` (inside an app context)."""
    rule_set = db.session.scalar(select(RuleSet).where(RuleSet.version == version))
    return {rule.code: rule.content() for rule in rule_set.rules}


def versions(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(RuleSet.version).order_by("version")))


def rule_form(app, code: str, note: str | None = "Clinic protocol", **changes):
    """The edit form of rule ``code`` as the page fills it, with ``changes``.

    A change to None leaves the field out (an empty box or unticked checkbox).
    """
    with app.app_context():
        rule = rules_of(current_rule_set().version)[code]
    data = {
        "label": rule["label"],
        "question": rule["question"],
        "help_text": rule["help_text"],
        "rule_class": rule["rule_class"].value,
        "waiting_days": None
        if rule["waiting_days"] is None
        else str(rule["waiting_days"]),
        "requires_clearance": "y" if rule["requires_clearance"] else None,
        "zones": [zone for zone in rule["zones"].split(",") if zone],
        "active": "y" if rule["active"] else None,
        "note": note,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value not in (None, [])}


def edit_rule(client, app, code: str, **changes):
    return submit(client, f"{RULES}/rules/{code}", rule_form(app, code, **changes))


def field_error(page: str, field: str) -> str:
    """The text of the error shown right after ``field`` ('' if none)."""
    if field == "zones":  # a fieldset of checkboxes with its message inside
        match = re.search(
            r'<fieldset class="mb-3">\s*<legend[^>]*>Zones.*?</fieldset>', page, re.S
        )
        block = match.group(0) if match else ""
        found = re.search(r'class="invalid-feedback d-block">(.*?)</div>', block, re.S)
    else:
        found = re.search(rf'<div id="{field}-error"[^>]*>(.*?)</div>', page, re.S)
    return (
        html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).strip() if found else ""
    )


def new_rules_audit(app) -> list[AuditEvent]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "screening_rules.new_version")
                .order_by(AuditEvent.seq)
            )
        )
        db.session.expunge_all()
        return rows


class TestSeededCatalogue:
    """Version 1 is the catalogue of DOMAIN.md, written by the migration."""

    def test_version_1_holds_the_domain_catalogue(self, app):
        with app.app_context():
            rule_set = current_rule_set()
            assert (rule_set.version, rule_set.minimum_age) == (1, 18)
            rules = {rule.code: rule for rule in rule_set.rules}
        assert len(rules) == 26
        by_class = {
            cls: sorted(code for code, r in rules.items() if r.rule_class is cls)
            for cls in RuleClass
        }
        assert by_class[RuleClass.ABSOLUTE] == sorted(
            ["implanted_device", "epilepsy", "pregnancy", "active_cancer"]
        )
        assert len(by_class[RuleClass.RELATIVE]) == 9
        assert len(by_class[RuleClass.LOCAL]) == 7
        assert {
            code: rules[code].waiting_days for code in by_class[RuleClass.TEMPORARY]
        } == {
            "botulinum_toxin": 14,
            "dermal_filler": 14,
            "skin_procedure": 10,
            "facial_surgery": 90,
            "isotretinoin": 180,
            "retinoid": 7,
        }
        assert sorted(code for code, r in rules.items() if r.requires_clearance) == (
            sorted([*by_class[RuleClass.RELATIVE], "facial_surgery"])
        )
        assert all(
            rules[code].waiting_days is None
            for cls in (RuleClass.ABSOLUTE, RuleClass.RELATIVE, RuleClass.LOCAL)
            for code in by_class[cls]
        )
        assert {code: r.zones for code, r in rules.items() if r.zones} == {
            "cold_sore": "perioral"
        }
        assert all(rule.active for rule in rules.values())
        assert [rule.position for rule in rules.values()] == list(range(1, 27))

    def test_seed_fingerprint_matches_its_rules(self, app):
        """The stored fingerprint is the one the engine computes for the rules."""
        from clinic.intake.screening import rules_fingerprint

        with app.app_context():
            rule_set = current_rule_set()
            assert rule_set.fingerprint == rules_fingerprint(
                rule_set.engine_rules(), minimum_age=18
            )

    def test_the_overview_lists_every_rule(self, app, admin, client):
        page = html.unescape(client.get(RULES).get_data(as_text=True))
        assert "version 1" in page
        with app.app_context():
            labels = [rule.label for rule in current_rule_set().rules]
        for label in labels:
            assert label in page


class TestAccess:
    PAGES = [
        RULES,
        f"{RULES}/versions/1",
        f"{RULES}/rules/new",
        f"{RULES}/rules/botulinum_toxin",
    ]

    @pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
    def test_only_admins(self, app, client, login_as, role):
        login_as(role)
        for url in self.PAGES:
            assert client.get(url).status_code == 403, url
        response = submit(
            client,
            f"{RULES}/rules/botulinum_toxin",
            rule_form(app, "botulinum_toxin", question=NEW_BOTOX_QUESTION),
            page="/dashboard",
        )
        assert response.status_code == 403
        response = submit(
            client,
            f"{RULES}/minimum-age",
            {"minimum_age": "16", "note": "Younger clients"},
            page="/dashboard",
        )
        assert response.status_code == 403
        assert versions(app) == [1]

    def test_signed_out_goes_to_sign_in(self, client):
        response = client.get(RULES)
        assert response.status_code == 302
        assert response.location.startswith("/login")


class TestEditRule:
    def test_new_wording_makes_version_2_with_every_rule_copied(
        self, app, admin, client
    ):
        response = edit_rule(
            client, app, "botulinum_toxin", question=NEW_BOTOX_QUESTION, note="Wording"
        )
        assert response.status_code == 302
        assert response.location == RULES
        with app.app_context():
            v1, v2 = rules_of(1), rules_of(2)
            rule_set = current_rule_set()
            assert (rule_set.version, rule_set.note) == (2, "Wording")
            assert rule_set.created_by_id == admin.id
            assert rule_set.minimum_age == 18
            assert rule_set.fingerprint != db.session.get(RuleSet, 1).fingerprint
        assert v1["botulinum_toxin"]["question"] == BOTOX_QUESTION
        assert v2["botulinum_toxin"] == {
            **v1["botulinum_toxin"],
            "question": NEW_BOTOX_QUESTION,
        }
        assert {code: row for code, row in v2.items() if code != "botulinum_toxin"} == {
            code: row for code, row in v1.items() if code != "botulinum_toxin"
        }
        assert "Saved as rules version 2." in client.get(RULES).get_data(as_text=True)

    def test_waiting_days_change_applies_to_new_intakes_only(self, app, admin, client):
        with app.app_context():
            old_id = add_client(name="Old")
            sign_intake(old_id, yes("botulinum_toxin", event_date=date(2026, 11, 21)))

        response = edit_rule(client, app, "botulinum_toxin", waiting_days="21")
        assert response.status_code == 302

        with app.app_context():
            assert rules_of(2)["botulinum_toxin"]["waiting_days"] == 21
            assert rules_of(1)["botulinum_toxin"]["waiting_days"] == 14
            new_id = add_client(name="New")
            sign_intake(new_id, yes("botulinum_toxin", event_date=date(2026, 11, 21)))
        day = date(2026, 12, 6)
        assert eligibility(app, old_id, day).label == "Clear"
        assert eligibility(app, new_id, day).label == "Deferred until 12 December 2026"

    def test_earlier_intake_keeps_version_1_and_its_questions(self, app, admin, client):
        with app.app_context():
            client_id = add_client()
            old = sign_intake(client_id, yes("botulinum_toxin", event_date=SIGNED))
            old_id = old.id

        edit_rule(client, app, "botulinum_toxin", question=NEW_BOTOX_QUESTION)

        with app.app_context():
            old = db.session.get(Intake, old_id)
            assert old.rule_set.version == 1
            asked = {answer.rule_code: answer.question for answer in old.answers}
            assert asked["botulinum_toxin"] == BOTOX_QUESTION
        page = html.unescape(client.get(f"/intakes/{old_id}").get_data(as_text=True))
        assert "rules version 1" in page
        assert BOTOX_QUESTION in page
        assert NEW_BOTOX_QUESTION not in page

        form = html.unescape(
            client.get(f"/clients/{client_id}/intake/new").get_data(as_text=True)
        )
        assert NEW_BOTOX_QUESTION in form
        assert BOTOX_QUESTION not in form
        with app.app_context():
            new = sign_intake(client_id, yes("botulinum_toxin", event_date=SIGNED))
            assert new.rule_set.version == 2
            asked = {answer.rule_code: answer.question for answer in new.answers}
            assert asked["botulinum_toxin"] == NEW_BOTOX_QUESTION
            assert len(new.answers) == 26

    def test_the_change_note_is_required(self, app, admin, client):
        response = edit_rule(
            client, app, "botulinum_toxin", question=NEW_BOTOX_QUESTION, note=None
        )
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "note") == (
            "Say why the rules change."
        )
        assert versions(app) == [1]

    def test_nothing_changed_is_refused(self, app, admin, client):
        response = edit_rule(client, app, "botulinum_toxin")
        assert response.status_code == 422
        assert "Nothing changed." in response.get_data(as_text=True)
        assert versions(app) == [1]
        assert new_rules_audit(app) == []

    @pytest.mark.parametrize(
        ("code", "changes", "field", "message"),
        [
            pytest.param(
                "botulinum_toxin",
                {"waiting_days": ""},
                "waiting_days",
                "A temporary rule needs waiting days.",
                id="temporary-without-days",
            ),
            pytest.param(
                "diabetes",
                {
                    "rule_class": "temporary",
                    "requires_clearance": None,
                    "waiting_days": "",
                },
                "waiting_days",
                "A temporary rule needs waiting days.",
                id="made-temporary-without-days",
            ),
            pytest.param(
                "epilepsy",
                {"waiting_days": "5"},
                "waiting_days",
                "Only temporary rules have waiting days.",
                id="days-on-absolute",
            ),
            pytest.param(
                "diabetes",
                {"zones": ["cheek_left"]},
                "zones",
                "Only local rules list zones.",
                id="zones-on-relative",
            ),
            pytest.param(
                "cold_sore",
                {"requires_clearance": "y"},
                "requires_clearance",
                "Absolute and local rules need no clearance.",
                id="clearance-on-local",
            ),
            pytest.param(
                "epilepsy",
                {"requires_clearance": "y"},
                "requires_clearance",
                "Absolute and local rules need no clearance.",
                id="clearance-on-absolute",
            ),
        ],
    )
    def test_inconsistent_settings_are_refused_next_to_the_field(
        self, app, admin, client, code, changes, field, message
    ):
        response = edit_rule(client, app, code, **changes)
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), field) == message
        assert versions(app) == [1]

    def test_an_unknown_rule_is_404(self, admin, client):
        assert client.get(f"{RULES}/rules/no_such_rule").status_code == 404

    def test_deactivating_removes_the_question_from_new_intakes(
        self, app, admin, client
    ):
        with app.app_context():
            client_id = add_client()
            old_id = sign_intake(client_id, yes("sunburn")).id

        response = edit_rule(client, app, "sunburn", active=None, note="Not needed")
        assert response.status_code == 302

        with app.app_context():
            rule_set = current_rule_set()
            assert rules_of(2)["sunburn"]["active"] is False
            assert "sunburn" not in [rule.code for rule in rule_set.active_rules()]
            form = questionnaire_form(
                rule_set, registered_name="Ada Tester", meta={"csrf": False}
            )
            assert len(form.questions) == 25
            assert "q_sunburn" not in form
            answers = [Answer(rule.code, False) for rule in rule_set.active_rules()]
            with pytest.raises(ScreeningInputError, match="unknown rule 'sunburn'"):
                submit_intake(
                    db.session.get(Client, client_id),
                    Submission((*answers, yes("sunburn")), "Ada Tester", False),
                    rule_set=rule_set,
                    consents=current_consents(),
                    via=EnteredVia.STAFF,
                    by_user_id=None,
                    ip=None,
                )
            db.session.rollback()
            new = sign_intake(client_id)
            assert "sunburn" not in [answer.rule_code for answer in new.answers]
            assert len(new.answers) == 25
            old = db.session.get(Intake, old_id)
            assert old.excluded_zones != ""  # the earlier finding stands
        page = html.unescape(
            client.get(f"/clients/{client_id}/intake/new").get_data(as_text=True)
        )
        assert "Do you have sunburn on your face or neck?" not in page
        assert "Do you have a rash on your face or neck?" in page

    def test_changing_the_class_changes_new_screening(self, app, admin, client):
        """Metal in the face (sources conflict) made local: zones, no clearance."""
        response = edit_rule(
            client,
            app,
            "metal_in_face",
            rule_class="local",
            requires_clearance=None,
            zones=["jaw_left", "jaw_right"],
        )
        assert response.status_code == 302
        with app.app_context():
            rule = rules_of(2)["metal_in_face"]
            assert (rule["rule_class"], rule["requires_clearance"], rule["zones"]) == (
                RuleClass.LOCAL,
                False,
                "jaw_left,jaw_right",
            )
            client_id = add_client()
            sign_intake(client_id, yes("metal_in_face", zones=("jaw_left",)))
        found = eligibility(app, client_id, SIGNED)
        assert (found.label, found.excluded_label) == (
            "Clear",
            "Excluded zones: Jawline and jowl (left)",
        )


class TestAddRule:
    def new_rule(self, **changes):
        data = {
            "code": "autoimmune",
            "label": "Autoimmune disease",
            "question": "Do you have an autoimmune disease?",
            "rule_class": "relative",
            "active": "y",
            "note": "Our physician asked for it",
        }
        data.update(changes)
        return {key: value for key, value in data.items() if value is not None}

    def test_adding_a_rule_makes_a_version_that_asks_it(self, app, admin, client):
        response = submit(client, f"{RULES}/rules/new", self.new_rule())
        assert response.status_code == 302
        with app.app_context():
            v1, v2 = rules_of(1), rules_of(2)
            assert "autoimmune" not in v1
            assert {code: row for code, row in v2.items() if code != "autoimmune"} == v1
            added = v2["autoimmune"]
            assert (added["position"], added["rule_class"]) == (27, RuleClass.RELATIVE)
            assert added["requires_clearance"] is True  # relative rules always do
            client_id = add_client()
        page = html.unescape(
            client.get(f"/clients/{client_id}/intake/new").get_data(as_text=True)
        )
        assert "Do you have an autoimmune disease?" in page
        with app.app_context():
            sign_intake(client_id, yes("autoimmune"))
        assert eligibility(app, client_id, SIGNED).label == "Needs clearance"
        [event] = new_rules_audit(app)
        assert "added autoimmune" in event.details

    def test_a_temporary_rule_with_its_wait(self, app, admin, client):
        response = submit(
            client,
            f"{RULES}/rules/new",
            self.new_rule(
                code="hifu",
                label="HIFU",
                question="Have you had a HIFU treatment?",
                rule_class="temporary",
                waiting_days="30",
            ),
        )
        assert response.status_code == 302
        with app.app_context():
            client_id = add_client()
            sign_intake(client_id, yes("hifu", event_date=date(2026, 11, 20)))
        assert (
            eligibility(app, client_id, SIGNED).label
            == "Deferred until 20 December 2026"
        )

    @pytest.mark.parametrize(
        "code", ["Autoimmune", "1autoimmune", "auto immune", "auto-immune", "_x", "é"]
    )
    def test_a_bad_code_is_refused(self, app, admin, client, code):
        response = submit(client, f"{RULES}/rules/new", self.new_rule(code=code))
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "code") == (
            "Lower-case letters, digits and _ only; start with a letter."
        )
        assert versions(app) == [1]

    def test_a_missing_code_is_refused(self, app, admin, client):
        response = submit(client, f"{RULES}/rules/new", self.new_rule(code=None))
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "code")
        assert versions(app) == [1]

    @pytest.mark.parametrize("code", ["diabetes", "cold_sore", "minimum_age"])
    def test_a_duplicate_code_is_refused(self, app, admin, client, code):
        response = submit(client, f"{RULES}/rules/new", self.new_rule(code=code))
        assert response.status_code == 422
        assert "A rule with this code already exists." in response.get_data(
            as_text=True
        )
        assert versions(app) == [1]

    def test_inconsistent_new_rule_is_refused(self, app, admin, client):
        response = submit(
            client,
            f"{RULES}/rules/new",
            self.new_rule(rule_class="absolute", waiting_days="3"),
        )
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "waiting_days") == (
            "Only temporary rules have waiting days."
        )
        assert versions(app) == [1]


class TestMinimumAge:
    def set_age(self, client, age: str, note: str | None = "Younger clients"):
        data = {"minimum_age": age}
        if note is not None:
            data["note"] = note
        return submit(client, f"{RULES}/minimum-age", data, page=RULES)

    def test_a_new_age_limit_applies_to_new_intakes(self, app, admin, client):
        with app.app_context():
            client_id = add_client(born=date(2009, 6, 1))  # 17 on the signing day
            sign_intake(client_id)
        at_18 = "Not eligible until 1 June 2027 (minimum age)"
        assert eligibility(app, client_id, SIGNED).label == at_18

        response = self.set_age(client, "16")
        assert response.status_code == 302

        with app.app_context():
            rule_set = current_rule_set()
            assert (rule_set.version, rule_set.minimum_age) == (2, 16)
            assert rules_of(2) == rules_of(1)
            assert db.session.get(RuleSet, 1).minimum_age == 18
        # The earlier intake keeps its version and its outcome...
        assert eligibility(app, client_id, SIGNED).label == at_18
        with app.app_context():
            sign_intake(client_id)
            younger_id = add_client(born=date(2011, 1, 1))  # 15
            sign_intake(younger_id)
        # ...a new one is screened with 16.
        assert eligibility(app, client_id, SIGNED).label == "Clear"
        assert eligibility(app, younger_id, SIGNED).label == (
            "Not eligible until 1 January 2027 (minimum age)"
        )
        assert eligibility(app, younger_id, date(2027, 1, 1)).label == "Clear"

    def test_the_same_age_is_nothing_changed(self, app, admin, client):
        response = self.set_age(client, "18")
        assert response.status_code == 422
        assert "Nothing changed." in response.get_data(as_text=True)
        assert versions(app) == [1]

    @pytest.mark.parametrize(
        ("age", "note", "field"),
        [
            ("16", None, "note"),
            ("", "Why", "minimum_age"),
            ("-1", "Why", "minimum_age"),
        ],
    )
    def test_bad_input_is_refused(self, app, admin, client, age, note, field):
        response = self.set_age(client, age, note)
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), field)
        assert versions(app) == [1]


class TestVersions:
    def test_past_versions_stay_viewable(self, app, admin, client):
        edit_rule(
            client, app, "botulinum_toxin", question=NEW_BOTOX_QUESTION, note="Reword"
        )
        submit(
            client,
            f"{RULES}/minimum-age",
            {"minimum_age": "16", "note": "Younger clients"},
            page=RULES,
        )
        assert versions(app) == [1, 2, 3]

        v1 = html.unescape(client.get(f"{RULES}/versions/1").get_data(as_text=True))
        assert BOTOX_QUESTION in v1 and NEW_BOTOX_QUESTION not in v1
        assert "minimum age 18" in v1
        v2 = html.unescape(client.get(f"{RULES}/versions/2").get_data(as_text=True))
        assert NEW_BOTOX_QUESTION in v2 and "Reword" in v2
        assert "minimum age 18" in v2
        v3 = client.get(f"{RULES}/versions/3").get_data(as_text=True)
        assert "minimum age 16" in v3
        assert client.get(f"{RULES}/versions/4").status_code == 404

        overview = client.get(RULES).get_data(as_text=True)
        for version in (1, 2, 3):
            assert f'href="{RULES}/versions/{version}"' in overview
        assert "Reword" in overview and "Younger clients" in overview

    def test_every_change_writes_an_audit_row(self, app, admin, client):
        edit_rule(client, app, "retinoid", waiting_days="10")
        submit(
            client,
            f"{RULES}/rules/new",
            {
                "code": "hifu",
                "label": "HIFU",
                "question": "Have you had HIFU?",
                "rule_class": "temporary",
                "waiting_days": "30",
                "active": "y",
                "note": "New device",
            },
        )
        submit(
            client,
            f"{RULES}/minimum-age",
            {"minimum_age": "21", "note": "Insurance"},
            page=RULES,
        )
        edit_rule(client, app, "retinoid")  # nothing changed: no row

        events = new_rules_audit(app)
        with app.app_context():
            ids = {
                rule_set.version: str(rule_set.id)
                for rule_set in db.session.scalars(select(RuleSet))
            }
        assert [(e.entity_type, e.entity_id) for e in events] == [
            ("screening_rule_set", ids[2]),
            ("screening_rule_set", ids[3]),
            ("screening_rule_set", ids[4]),
        ]
        assert all(event.user_id == admin.id for event in events)
        assert [event.details for event in events] == [
            "v2; rules: retinoid",
            "v3; rules: ; added hifu",
            "v4; rules: ",
        ]


class TestService:
    """The catalogue service refuses what the forms cannot send."""

    def test_unknown_code_and_inconsistent_rule(self, app, make_user):
        admin_id = make_user(Role.ADMIN).id
        with app.app_context():
            with pytest.raises(IntakeError, match="There is no rule"):
                new_rules_version(
                    changes={"nope": {"active": False}}, note="x", by_user_id=admin_id
                )
            with pytest.raises(IntakeError, match="not consistent"):
                new_rules_version(
                    changes={"botulinum_toxin": {"waiting_days": None}},
                    note="x",
                    by_user_id=admin_id,
                )
            db.session.rollback()
            assert db.session.scalar(select(func.count()).select_from(RuleSet)) == 1
            assert (
                db.session.scalar(select(func.count()).select_from(ScreeningRule)) == 26
            )

    def test_answer_shape_follows_the_new_class(self, app, make_user):
        """A rule changed from local to relative refuses zones in new intakes."""
        admin_id = make_user(Role.ADMIN).id
        with app.app_context():
            new_rules_version(
                changes={"rash": {"rule_class": RuleClass.RELATIVE, "zones": ""}},
                note="Rash needs a look",
                by_user_id=admin_id,
            )
            db.session.commit()
            client_id = add_client()
            with pytest.raises(ScreeningInputError, match="not a local rule"):
                sign_intake(client_id, Answer("rash", True, zones=("neck",)))
            db.session.rollback()
            sign_intake(client_id, yes("rash"))
        assert eligibility(app, client_id, SIGNED).label == "Needs clearance"
