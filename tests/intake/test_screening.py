"""The pure screening engine: every class, combination, date boundary and bad input.

The rule catalogue below mirrors the defaults of DOMAIN.md.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clinic.intake.screening import (
    AGE_RULE_CODE,
    Answer,
    Finding,
    Outcome,
    Rule,
    RuleClass,
    ScreeningInputError,
    ScreeningResult,
    rules_fingerprint,
    screen,
    turns_age_on,
)
from clinic.zones import ZONE_CODES

A, R, T, L = (
    RuleClass.ABSOLUTE,
    RuleClass.RELATIVE,
    RuleClass.TEMPORARY,
    RuleClass.LOCAL,
)


def _rule(code, label, cls, **kw):
    return Rule(code, f"{label}?", cls, label=label, **kw)


ABSOLUTE_RULES = (
    _rule("implanted_device", "Implanted electronic device", A),
    _rule("epilepsy", "Epilepsy or seizures", A),
    _rule("pregnancy", "Pregnancy", A),
    _rule("active_cancer", "Active cancer or current chemo/radiotherapy", A),
)
RELATIVE_RULES = (
    _rule("heart_condition", "Heart condition or heart surgery in the last year", R),
    _rule("diabetes", "Diabetes", R),
    _rule("thrombosis", "Thrombosis or phlebitis", R),
    _rule("blood_pressure", "Uncontrolled blood pressure", R),
    _rule("thyroid", "Thyroid disorder", R),
    _rule("body_worn_device", "Body-worn electronic device", R),
    _rule("facial_nerve", "Facial nerve disorder or muscular dystrophy", R),
    _rule("metal_in_face", "Metal plates or screws in the face", R),
    _rule("cancer_remission", "Cancer in remission", R),
)
TEMPORARY_RULES = (
    _rule("botox", "Botulinum toxin", T, waiting_days=14),
    _rule("filler", "Dermal filler", T, waiting_days=14),
    _rule(
        "skin_procedure", "Laser, chemical peel or microneedling", T, waiting_days=10
    ),
    _rule(
        "facial_surgery", "Facial surgery", T, waiting_days=90, requires_clearance=True
    ),
    _rule("isotretinoin", "Isotretinoin course finished", T, waiting_days=180),
    _rule("retinoid", "Prescription retinoid", T, waiting_days=7),
)
MOUTH = ("perioral", "nasolabial_left", "nasolabial_right")
FILLER_AREAS = (
    "jaw_left",
    "jaw_right",
    "perioral",
    "nasolabial_left",
    "nasolabial_right",
    "cheek_left",
    "cheek_right",
)
LOCAL_RULES = (
    _rule("skin_infection", "Active skin infection", L),
    _rule("cold_sore", "Cold sore", L, zones=MOUTH),
    _rule("open_wound", "Open wound", L),
    _rule("rash", "Rash", L),
    _rule("bruising", "Fresh bruising", L),
    _rule("sunburn", "Sunburn", L),
    _rule("recent_filler_area", "Recent filler in one area", L, zones=FILLER_AREAS),
)
RULES = ABSOLUTE_RULES + RELATIVE_RULES + TEMPORARY_RULES + LOCAL_RULES
BY_CODE = {rule.code: rule for rule in RULES}

ON = date(2026, 11, 15)
ADULT = date(1980, 5, 17)


def yes(code, event=None, zones=(), details=""):
    return Answer(code, True, event, tuple(zones), details)


def no(code):
    return Answer(code, False)


def run(*answers, dob=ADULT, on=ON, rules=RULES, **kw) -> ScreeningResult:
    return screen(answers, dob, rules, on, **kw)


def days(n):
    return timedelta(days=n)


# --- enums and data ---------------------------------------------------------


def test_outcome_severity_order_and_values():
    assert [o.severity for o in Outcome] == [0, 1, 2, 3]
    assert Outcome.CLEAR.severity < Outcome.DEFERRED.severity
    assert Outcome.DEFERRED.severity < Outcome.NEEDS_CLEARANCE.severity
    assert Outcome.NEEDS_CLEARANCE.severity < Outcome.NOT_ELIGIBLE.severity
    assert [o.value for o in Outcome] == [
        "clear",
        "deferred",
        "needs_clearance",
        "not_eligible",
    ]
    assert [c.value for c in RuleClass] == [
        "absolute",
        "relative",
        "temporary",
        "local",
    ]


def test_results_are_frozen():
    result = run(yes("botox", ON))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.outcome = Outcome.CLEAR  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.findings[0].reason = "x"  # type: ignore[misc]
    assert isinstance(result.findings, tuple)


# --- each class alone -------------------------------------------------------


def test_no_answers_is_clear():
    result = run()
    assert result == ScreeningResult(Outcome.CLEAR, (), None, (), False, False)
    assert result.eligible_on(ON, cleared=False)


def test_all_no_is_clear_whatever_else_the_no_carries():
    answers = [no(rule.code) for rule in RULES]
    botox = next(i for i, a in enumerate(answers) if a.rule_code == "botox")
    answers[botox] = Answer("botox", False, ON + days(5), ("chin",), "ignored")
    assert run(*answers).findings == ()
    assert run(*answers).outcome is Outcome.CLEAR


@pytest.mark.parametrize("rule", ABSOLUTE_RULES, ids=lambda r: r.code)
def test_absolute_is_not_eligible_forever(rule):
    result = run(yes(rule.code, details="since 2019"))
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert result.not_eligible and not result.needs_clearance
    (finding,) = result.findings
    assert finding == Finding(
        rule.code, A, f"{rule.label}: not eligible", None, (), False
    )
    for day in (ON, ON + days(3650)):
        assert result.status_on(day, cleared=True) is Outcome.NOT_ELIGIBLE
        assert not result.eligible_on(day, cleared=True)


@pytest.mark.parametrize("rule", RELATIVE_RULES, ids=lambda r: r.code)
def test_relative_needs_clearance_until_cleared(rule):
    result = run(yes(rule.code))
    assert result.outcome is Outcome.NEEDS_CLEARANCE
    assert result.needs_clearance and not result.not_eligible
    assert result.eligible_from is None
    assert result.clearance_rule_codes == (rule.code,)
    (finding,) = result.findings
    assert finding.reason == f"{rule.label}: needs clearance"
    assert finding.requires_clearance
    assert result.status_on(ON, cleared=False) is Outcome.NEEDS_CLEARANCE
    assert result.status_on(ON + days(400), cleared=False) is Outcome.NEEDS_CLEARANCE
    assert result.status_on(ON, cleared=True) is Outcome.CLEAR
    assert result.eligible_on(ON, cleared=True)


@pytest.mark.parametrize(
    ("code", "wait"),
    [
        ("botox", 14),
        ("filler", 14),
        ("skin_procedure", 10),
        ("isotretinoin", 180),
        ("retinoid", 7),
    ],
)
def test_temporary_is_deferred_until_event_plus_wait(code, wait):
    event = ON - days(1)
    result = run(yes(code, event))
    assert result.outcome is Outcome.DEFERRED
    assert result.eligible_from == event + days(wait)
    assert not result.needs_clearance and not result.not_eligible
    (finding,) = result.findings
    assert finding.eligible_from == event + days(wait)
    assert not finding.requires_clearance
    assert result.status_on(event + days(wait - 1), cleared=False) is Outcome.DEFERRED
    assert result.status_on(event + days(wait), cleared=False) is Outcome.CLEAR


def test_temporary_reason_text():
    result = run(yes("botox", date(2026, 11, 1)))
    assert result.findings[0].reason == (
        "Botulinum toxin on 2026-11-01: wait 14 days (eligible from 2026-11-15)"
    )
    one_day = Rule("sauna", "Sauna today?", T, waiting_days=1)
    result = run(yes("sauna", ON), rules=[one_day])
    assert result.findings[0].reason == (
        "Sauna today? on 2026-11-15: wait 1 day (eligible from 2026-11-16)"
    )


def test_temporary_wait_already_over_is_clear_but_recorded():
    result = run(yes("botox", ON - days(30)))
    assert result.outcome is Outcome.CLEAR
    assert result.eligible_from == ON - days(16)
    assert [f.rule_code for f in result.findings] == ["botox"]


def test_facial_surgery_needs_a_date_and_a_clearance():
    event = ON - days(10)
    result = run(yes("facial_surgery", event))
    assert result.outcome is Outcome.NEEDS_CLEARANCE
    assert result.needs_clearance
    assert result.eligible_from == event + days(90)
    assert result.findings[0].reason.endswith("and needs clearance")
    assert result.status_on(ON, cleared=True) is Outcome.DEFERRED
    assert result.status_on(event + days(89), cleared=True) is Outcome.DEFERRED
    assert result.status_on(event + days(90), cleared=True) is Outcome.CLEAR
    assert result.status_on(event + days(90), cleared=False) is Outcome.NEEDS_CLEARANCE


@pytest.mark.parametrize("rule", LOCAL_RULES, ids=lambda r: r.code)
def test_local_excludes_zones_and_keeps_the_outcome(rule):
    chosen = (rule.zones or ZONE_CODES)[-1:]
    result = run(yes(rule.code, zones=chosen))
    assert result.outcome is Outcome.CLEAR
    assert result.excluded_zones == chosen
    assert result.findings[0].zones == chosen
    assert result.eligible_on(ON, cleared=False)


def test_local_without_chosen_zones_excludes_every_zone_the_rule_allows():
    assert run(yes("cold_sore")).excluded_zones == MOUTH
    assert run(yes("rash")).excluded_zones == ZONE_CODES


def test_local_zones_come_out_in_catalogue_order_deduplicated():
    result = run(
        yes("rash", zones=["forehead", "cheek_left"]),
        yes("sunburn", zones=["cheek_left", "neck"]),
    )
    assert result.excluded_zones == ("neck", "cheek_left", "forehead")
    assert result.findings[0].reason == "Rash: excluded zones: Cheek (left), Forehead"


# --- combinations -------------------------------------------------------------


def test_absolute_and_temporary_is_not_eligible_even_after_the_date():
    result = run(yes("pregnancy"), yes("botox", ON))
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert result.eligible_from == ON + days(14)
    assert result.status_on(ON + days(14), cleared=True) is Outcome.NOT_ELIGIBLE


def test_absolute_and_relative_is_not_eligible_and_needs_clearance():
    result = run(yes("epilepsy"), yes("diabetes"))
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert result.not_eligible and result.needs_clearance
    assert result.status_on(ON, cleared=True) is Outcome.NOT_ELIGIBLE


def test_relative_and_temporary_both_apply():
    result = run(yes("thyroid"), yes("filler", ON - days(4)))
    eligible = ON + days(10)
    assert result.outcome is Outcome.NEEDS_CLEARANCE
    assert result.eligible_from == eligible
    assert result.status_on(ON, cleared=True) is Outcome.DEFERRED
    assert result.status_on(eligible - days(1), cleared=True) is Outcome.DEFERRED
    assert result.status_on(eligible, cleared=True) is Outcome.CLEAR
    assert result.status_on(eligible, cleared=False) is Outcome.NEEDS_CLEARANCE
    assert result.eligible_on(eligible, cleared=True)
    assert not result.eligible_on(eligible, cleared=False)


def test_several_temporaries_give_the_latest_date():
    result = run(
        yes("botox", ON - days(2)),  # -> ON + 12
        yes("retinoid", ON),  # -> ON + 7
        yes("skin_procedure", ON - days(1)),  # -> ON + 9
    )
    assert result.outcome is Outcome.DEFERRED
    assert result.eligible_from == ON + days(12)
    assert sorted(f.eligible_from for f in result.findings) == [
        ON + days(7),
        ON + days(9),
        ON + days(12),
    ]
    assert result.status_on(ON + days(11), cleared=False) is Outcome.DEFERRED
    assert result.status_on(ON + days(12), cleared=False) is Outcome.CLEAR


@pytest.mark.parametrize(
    ("others", "outcome"),
    [
        ((), Outcome.CLEAR),
        ((yes("botox", ON),), Outcome.DEFERRED),
        ((yes("diabetes"),), Outcome.NEEDS_CLEARANCE),
        ((yes("epilepsy"),), Outcome.NOT_ELIGIBLE),
        ((yes("diabetes"), yes("botox", ON)), Outcome.NEEDS_CLEARANCE),
    ],
)
def test_local_never_changes_the_outcome(others, outcome):
    without = run(*others)
    with_local = run(*others, yes("cold_sore", zones=["perioral"]))
    assert without.outcome is with_local.outcome is outcome
    assert with_local.excluded_zones == ("perioral",)
    assert with_local.eligible_from == without.eligible_from
    assert with_local.needs_clearance == without.needs_clearance
    for day in (ON, ON + days(14)):
        for cleared in (False, True):
            assert with_local.status_on(day, cleared) is without.status_on(day, cleared)


def test_findings_are_ordered_by_class_then_code():
    result = run(
        yes("rash"),
        yes("botox", ON),
        yes("thyroid"),
        yes("diabetes"),
        yes("pregnancy"),
        dob=ON - relativedelta(years=17),
    )
    assert [f.rule_code for f in result.findings] == [
        AGE_RULE_CODE,
        "pregnancy",
        "diabetes",
        "thyroid",
        "botox",
        "rash",
    ]
    assert result.clearance_rule_codes == ("diabetes", "thyroid")


# --- date boundaries ----------------------------------------------------------


def test_day_before_eligibility_is_deferred_and_the_day_itself_is_clear():
    event = date(2026, 3, 1)
    eligible = date(2026, 3, 15)
    answer = yes("botox", event)
    assert run(answer, on=eligible - days(1)).outcome is Outcome.DEFERRED
    assert run(answer, on=eligible).outcome is Outcome.CLEAR
    result = run(answer, on=event)
    assert result.status_on(eligible - days(1), cleared=False) is Outcome.DEFERRED
    assert result.status_on(eligible, cleared=False) is Outcome.CLEAR


def test_zero_waiting_days_is_clear_on_the_event_day():
    rules = [Rule("same_day", "Same-day thing?", T, waiting_days=0)]
    result = run(yes("same_day", ON), rules=rules)
    assert result.outcome is Outcome.CLEAR
    assert result.eligible_from == ON
    assert result.status_on(ON - days(1), cleared=False) is Outcome.DEFERRED


@pytest.mark.parametrize(
    ("event", "wait", "eligible"),
    [
        (date(2028, 2, 29), 1, date(2028, 3, 1)),
        (date(2028, 2, 28), 1, date(2028, 2, 29)),
        (date(2028, 2, 20), 14, date(2028, 3, 5)),
        (date(2027, 2, 20), 14, date(2027, 3, 6)),
        (date(2027, 12, 25), 10, date(2028, 1, 4)),
        (date(2027, 9, 1), 180, date(2028, 2, 28)),
        (date(2027, 9, 2), 180, date(2028, 2, 29)),
    ],
)
def test_leap_days_and_year_ends(event, wait, eligible):
    rules = [Rule("wait", "Recent treatment?", T, waiting_days=wait)]
    result = run(yes("wait", event), on=event, rules=rules)
    assert result.eligible_from == eligible
    assert result.status_on(eligible - days(1), cleared=False) is Outcome.DEFERRED
    assert result.status_on(eligible, cleared=False) is Outcome.CLEAR


def test_turns_18_tomorrow_is_not_eligible_until_tomorrow():
    dob = date(2008, 11, 16)
    result = run(dob=dob)
    assert result.outcome is Outcome.NOT_ELIGIBLE
    (finding,) = result.findings
    assert finding.rule_code == AGE_RULE_CODE
    assert finding.rule_class is A
    assert finding.eligible_from == date(2026, 11, 16)
    assert finding.reason == "Under 18: turns 18 on 2026-11-16"
    assert result.eligible_from is None  # the age is not a deferral
    assert result.status_on(ON, cleared=True) is Outcome.NOT_ELIGIBLE
    assert result.status_on(ON + days(1), cleared=False) is Outcome.CLEAR


def test_turns_18_today_is_clear():
    assert run(dob=date(2008, 11, 15)).findings == ()


def test_minor_with_other_findings_keeps_them_after_the_birthday():
    result = run(yes("diabetes"), yes("botox", ON), dob=date(2008, 11, 20))
    assert result.outcome is Outcome.NOT_ELIGIBLE
    birthday = date(2026, 11, 20)
    assert result.status_on(birthday, cleared=False) is Outcome.NEEDS_CLEARANCE
    assert result.status_on(birthday, cleared=True) is Outcome.DEFERRED
    assert result.status_on(ON + days(14), cleared=True) is Outcome.CLEAR


@pytest.mark.parametrize(
    ("on", "outcome"),
    [
        (date(2026, 2, 28), Outcome.NOT_ELIGIBLE),
        (date(2026, 3, 1), Outcome.CLEAR),
    ],
)
def test_29_february_birthday_reaches_18_on_1_march_in_a_common_year(on, outcome):
    result = run(dob=date(2008, 2, 29), on=on)
    assert result.outcome is outcome
    assert turns_age_on(date(2008, 2, 29), 18) == date(2026, 3, 1)


def test_29_february_birthday_in_a_leap_year_and_other_minimum_ages():
    assert turns_age_on(date(2008, 2, 29), 20) == date(2028, 2, 29)
    assert run(dob=date(2008, 2, 29), on=date(2028, 2, 28), minimum_age=20).not_eligible
    assert not run(dob=date(2008, 2, 29), on=date(2028, 2, 29), minimum_age=20).findings
    result = run(dob=date(2006, 1, 1), minimum_age=21)
    assert result.findings[0].reason == "Under 21: turns 21 on 2027-01-01"
    assert run(dob=ON, minimum_age=0).findings == ()
    assert run(dob=ON).outcome is Outcome.NOT_ELIGIBLE  # born today


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([yes("chocolate")], "unknown rule 'chocolate'"),
        ([no("chocolate")], "unknown rule"),
        ([yes("botox")], "needs the date"),
        ([yes("botox", ON + days(1))], "after the screening date"),
        ([yes("diabetes", ON + days(1))], "after the screening date"),
        ([yes("cold_sore", zones=["forehead"])], "cannot affect zones"),
        ([yes("rash", zones=["chin"])], "unknown zone codes"),
        ([yes("cold_sore", zones=["perioral", "chin"])], "unknown zone codes"),
        ([Answer("rash", True, zones="neck")], "not a string"),  # type: ignore[arg-type]
        ([yes("diabetes", zones=["neck"])], "not a local rule"),
        ([no("botox"), yes("botox", ON)], "two answers"),
        ([Answer("diabetes", "no")], "yes or no"),  # type: ignore[arg-type]
        ([yes("botox", datetime(2026, 11, 1, 9, 0))], "must be a date"),
    ],
)
def test_bad_answers(answers, message):
    with pytest.raises(ScreeningInputError, match=message):
        run(*answers)


def test_bad_dates_and_parameters():
    with pytest.raises(ScreeningInputError, match="date of birth"):
        run(dob=ON + days(1))
    with pytest.raises(ScreeningInputError, match="screening date"):
        run(on=datetime(2026, 11, 15, 10, 0))
    with pytest.raises(ScreeningInputError, match="negative"):
        run(minimum_age=-1)
    with pytest.raises(ScreeningInputError, match="integer"):
        run(minimum_age=True)
    with pytest.raises(ScreeningInputError, match="out of range"):
        run(dob=date(9990, 1, 1), on=date(9991, 1, 1))
    with pytest.raises(ScreeningInputError, match="out of range"):
        run(yes("isotretinoin", date(9999, 12, 1)), on=date(9999, 12, 2))


def test_bad_rule_lists():
    with pytest.raises(ScreeningInputError, match="duplicate rule code 'botox'"):
        run(rules=[*RULES, BY_CODE["botox"]])
    with pytest.raises(ScreeningInputError, match="reserved"):
        run(rules=[Rule(AGE_RULE_CODE, "Old enough?", A)])


def test_screening_input_error_is_a_value_error():
    assert issubclass(ScreeningInputError, ValueError)


# --- rules ----------------------------------------------------------------------


def test_relative_rules_always_require_clearance():
    assert Rule("x", "X?", R).requires_clearance
    assert Rule("x", "X?", R, requires_clearance=False) == Rule("x", "X?", R)


def test_rule_normalises_class_and_zones():
    rule = Rule("x", "X?", "local", zones=("forehead", "neck", "neck"))
    assert rule.rule_class is L
    assert rule.zones == ("neck", "forehead")
    assert rule.name == "X?"
    assert BY_CODE["botox"].name == "Botulinum toxin"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rule_class": T},
        {"rule_class": T, "waiting_days": -1},
        {"rule_class": T, "waiting_days": True},
        {"rule_class": T, "waiting_days": 1.5},
        {"rule_class": A, "waiting_days": 3},
        {"rule_class": R, "waiting_days": 3},
        {"rule_class": L, "waiting_days": 0},
        {"rule_class": A, "requires_clearance": True},
        {"rule_class": L, "requires_clearance": True},
        {"rule_class": L, "zones": ("chin",)},
        {"rule_class": L, "zones": "neck"},
        {"rule_class": R, "zones": ("neck",)},
        {"rule_class": T, "waiting_days": 3, "zones": ("neck",)},
        {"rule_class": "sometimes"},
        {"rule_class": A, "code": ""},
        {"rule_class": A, "code": "  "},
        {"rule_class": A, "question": ""},
    ],
)
def test_invalid_rules(kwargs):
    fields = {"code": "x", "question": "X?", **kwargs}
    with pytest.raises(ValueError):  # every message is different
        Rule(**fields)


def test_rules_fingerprint_is_stable_and_order_independent():
    digest = rules_fingerprint(RULES)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert rules_fingerprint(reversed(RULES)) == digest
    assert rules_fingerprint(list(RULES)) == digest
    assert rules_fingerprint([]) != digest
    assert rules_fingerprint(RULES, minimum_age=18) != digest
    assert rules_fingerprint(RULES, minimum_age=18) != rules_fingerprint(
        RULES, minimum_age=21
    )


@pytest.mark.parametrize(
    "change",
    [
        {"question": "Botox?"},
        {"label": "Botox"},
        {"waiting_days": 15},
        {"requires_clearance": True},
        {"code": "botox2"},
    ],
)
def test_rules_fingerprint_changes_with_any_field(change):
    changed = [
        dataclasses.replace(rule, **change) if rule.code == "botox" else rule
        for rule in RULES
    ]
    assert rules_fingerprint(changed) != rules_fingerprint(RULES)


def test_rules_fingerprint_sees_class_and_zones():
    rash = BY_CODE["rash"]
    assert rules_fingerprint([rash]) != rules_fingerprint(
        [dataclasses.replace(rash, zones=("neck",))]
    )
    assert rules_fingerprint([Rule("x", "X?", A)]) != rules_fingerprint(
        [Rule("x", "X?", R)]
    )


# --- properties -----------------------------------------------------------------

PROPERTY = settings(max_examples=200, deadline=None, database=None)
SCREENING_DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@st.composite
def yes_answer(draw, rule: Rule, on: date) -> Answer:
    if rule.rule_class is T:
        event = draw(st.dates(min_value=on - days(400), max_value=on))
        return yes(rule.code, event)
    if rule.rule_class is L:
        allowed = rule.zones or ZONE_CODES
        zones = draw(st.lists(st.sampled_from(allowed), max_size=4))
        return yes(rule.code, zones=zones)
    return yes(rule.code, details=draw(st.text(max_size=5)))


@st.composite
def scenarios(draw):
    """(on, date_of_birth, answers) with at most one answer per rule."""
    on = draw(SCREENING_DAYS)
    youngest = on - relativedelta(years=draw(st.sampled_from([0, 16, 100])))
    dob = draw(st.dates(min_value=on - relativedelta(years=100), max_value=youngest))
    chosen = draw(st.lists(st.sampled_from(RULES), unique_by=lambda r: r.code))
    answers = [
        draw(yes_answer(rule, on)) if draw(st.booleans()) else no(rule.code)
        for rule in chosen
    ]
    return on, dob, answers


def other_days(on: date):
    return st.dates(min_value=on - days(60), max_value=on + days(800))


@PROPERTY
@given(st.data())
def test_property_adding_a_yes_never_improves_the_outcome(data):
    on, dob, answers = data.draw(scenarios())
    yes_codes = {a.rule_code for a in answers if a.yes}
    rule = data.draw(st.sampled_from([r for r in RULES if r.code not in yes_codes]))
    added = data.draw(yes_answer(rule, on))
    more = [a for a in answers if a.rule_code != rule.code] + [added]
    before, after = screen(answers, dob, RULES, on), screen(more, dob, RULES, on)
    assert after.outcome.severity >= before.outcome.severity
    day = data.draw(other_days(on))
    cleared = data.draw(st.booleans())
    assert (
        after.status_on(day, cleared).severity
        >= before.status_on(day, cleared).severity
    )
    assert not (
        before.eligible_on(day, cleared) is False and after.eligible_on(day, cleared)
    )
    assert set(before.excluded_zones) <= set(after.excluded_zones)


@PROPERTY
@given(scenarios())
def test_property_eligible_from_is_never_before_any_event_plus_wait(scenario):
    on, dob, answers = scenario
    result = screen(answers, dob, RULES, on)
    dates = [
        a.event_date + days(BY_CODE[a.rule_code].waiting_days)
        for a in answers
        if a.yes and BY_CODE[a.rule_code].rule_class is T
    ]
    for eligible in dates:
        assert result.eligible_from >= eligible
        assert result.status_on(eligible - days(1), cleared=True) is not Outcome.CLEAR
    assert result.eligible_from == max(dates, default=None)


@PROPERTY
@given(scenarios())
def test_property_excluded_zones_are_the_union_of_local_yes_zones(scenario):
    on, dob, answers = scenario
    result = screen(answers, dob, RULES, on)
    expected: set[str] = set()
    for a in answers:
        rule = BY_CODE[a.rule_code]
        if a.yes and rule.rule_class is L:
            expected |= set(a.zones or rule.zones or ZONE_CODES)
    assert set(result.excluded_zones) == expected
    assert list(result.excluded_zones) == sorted(expected, key=ZONE_CODES.index)


@PROPERTY
@given(st.data())
def test_property_order_of_answers_and_rules_does_not_matter(data):
    on, dob, answers = data.draw(scenarios())
    result = screen(answers, dob, RULES, on)
    shuffled_answers = data.draw(st.permutations(answers))
    shuffled_rules = data.draw(st.permutations(RULES))
    assert screen(shuffled_answers, dob, shuffled_rules, on) == result
    assert rules_fingerprint(shuffled_rules) == rules_fingerprint(RULES)


@PROPERTY
@given(st.data())
def test_property_waiting_and_clearance_never_make_things_worse(data):
    on, dob, answers = data.draw(scenarios())
    result = screen(answers, dob, RULES, on)
    assert result.outcome is result.status_on(on, cleared=False)
    assert result.not_eligible == (result.outcome is Outcome.NOT_ELIGIBLE)
    day = data.draw(other_days(on))
    later = day + days(data.draw(st.integers(0, 400)))
    for cleared in (False, True):
        assert (
            result.status_on(later, cleared).severity
            <= result.status_on(day, cleared).severity
        )
    assert (
        result.status_on(day, cleared=True).severity
        <= result.status_on(day, cleared=False).severity
    )


LEAP_DAY_BIRTHS = st.builds(lambda n: date(4 * n, 2, 29), st.integers(476, 522))


@PROPERTY
@given(
    SCREENING_DAYS,
    st.dates(min_value=date(1900, 1, 1), max_value=date(2090, 12, 31))
    | LEAP_DAY_BIRTHS,
    st.integers(0, 30),
)
def test_property_age_limit_agrees_with_dateutil_and_is_never_early(on, dob, age):
    assume(dob <= on)
    result = screen([], dob, RULES, on, minimum_age=age)
    under = bool(result.findings)
    years = relativedelta(on, dob).years
    if (dob.month, dob.day) != (2, 29):
        assert under == (years < age)
    else:  # dateutil counts 28 February; the clinic waits for 1 March
        assert under >= (years < age)
    birthday = turns_age_on(dob, age)
    assert relativedelta(birthday, dob).years == age
    assert (birthday.month, birthday.day) in {(dob.month, dob.day), (3, 1)}
    assume(birthday.year <= 9000)
    assert not screen([], dob, RULES, birthday, minimum_age=age).findings
    if birthday > dob:
        on_eve = screen([], dob, RULES, birthday - days(1), minimum_age=age)
        assert on_eve.findings[0].eligible_from == birthday
