"""Contraindication screening: answers, date of birth, rules and a date in; outcome out.

Pure module (standard library only, no clock reads: the day is a parameter) so
it can be property-tested. The classes of DOMAIN.md, worst wins:

- absolute  -> NOT_ELIGIBLE (the age limit is one, computed from date of birth)
- relative  -> NEEDS_CLEARANCE until an esthetician records a clearance
- temporary -> DEFERRED until event date + waiting days (may also need clearance)
- local     -> never changes the outcome; the affected zones are excluded

Unanswered rules count as "no": requiring every answer is the form's job.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import MAXYEAR, date, datetime, timedelta

from clinic.zones import ZONE_CODES, format_zones, is_zone_code, ordered

AGE_RULE_CODE = "minimum_age"
"""Rule code of the built-in age finding; reserved, no catalogue rule may use it."""


class ScreeningInputError(ValueError):
    """The input cannot be screened; the message says which answer and why."""


class RuleClass(enum.Enum):
    ABSOLUTE = "absolute"
    RELATIVE = "relative"
    TEMPORARY = "temporary"
    LOCAL = "local"


class Outcome(enum.Enum):
    CLEAR = "clear"
    DEFERRED = "deferred"
    NEEDS_CLEARANCE = "needs_clearance"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def severity(self) -> int:
        """0 (CLEAR) to 3 (NOT_ELIGIBLE); the worst outcome wins."""
        return list(Outcome).index(self)  # members are declared mildest first


_CLASS_ORDER = {cls: index for index, cls in enumerate(RuleClass)}


@dataclass(frozen=True)
class Rule:
    """One screening question and what a "yes" means.

    ``rule_class`` may be given as its string value. Relative rules always
    require clearance (``requires_clearance`` is set to True for them); only
    temporary rules may require it too. ``zones`` (local rules only) are the
    zones the finding can affect, stored deduplicated in catalogue order; empty
    means any zone. ``label`` is a short name for reasons ("Botulinum toxin");
    the question is used when it is empty.

    Raises ``ValueError`` for an empty code or question, an unknown class, a
    temporary rule without non-negative integer ``waiting_days``, waiting days
    on another class, clearance on an absolute or local rule, zones on a
    non-local rule, or an unknown zone code.
    """

    code: str
    question: str
    rule_class: RuleClass
    waiting_days: int | None = None
    requires_clearance: bool = False
    zones: tuple[str, ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        for text in (self.code, self.question):
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"rule code and question must be text: {text!r}")
        rule_class = RuleClass(self.rule_class)
        object.__setattr__(self, "rule_class", rule_class)
        if rule_class is RuleClass.TEMPORARY:
            days = self.waiting_days
            if isinstance(days, bool) or not isinstance(days, int) or days < 0:
                raise ValueError(f"{self.code!r}: waiting_days must be an int >= 0")
        elif self.waiting_days is not None:
            raise ValueError(f"{self.code!r}: only temporary rules have waiting days")
        if rule_class is RuleClass.RELATIVE:
            object.__setattr__(self, "requires_clearance", True)
        elif self.requires_clearance and rule_class is not RuleClass.TEMPORARY:
            raise ValueError(
                f"{self.code!r}: {rule_class.value} rules need no clearance"
            )
        zones = _zone_codes(self.zones, self.code, ValueError)
        if zones and rule_class is not RuleClass.LOCAL:
            raise ValueError(f"{self.code!r}: only local rules list zones")
        object.__setattr__(self, "zones", ordered(zones))

    @property
    def name(self) -> str:
        return self.label or self.question


@dataclass(frozen=True)
class Answer:
    """The client's answer to one rule. Validated by :func:`screen`, not here.

    ``event_date``: for a temporary rule, when the treatment or event happened
    (or the course finished). ``zones``: for a local rule, the affected areas;
    none chosen means every zone the rule can affect. A "no" answer's other
    fields are ignored.
    """

    rule_code: str
    yes: bool
    event_date: date | None = None
    zones: tuple[str, ...] = ()
    details: str = ""


@dataclass(frozen=True)
class Finding:
    """Why a "yes" (or the age limit) matters.

    ``eligible_from``: for a temporary finding the first day it no longer
    defers; for the age finding the birthday at the minimum age (it stops
    applying on that day); otherwise None.
    """

    rule_code: str
    rule_class: RuleClass
    reason: str
    eligible_from: date | None
    zones: tuple[str, ...]
    requires_clearance: bool


def _status(
    findings: tuple[Finding, ...], eligible_from: date | None, day: date, cleared: bool
) -> Outcome:
    if any(
        f.rule_class is RuleClass.ABSOLUTE
        and (f.eligible_from is None or day < f.eligible_from)
        for f in findings
    ):
        return Outcome.NOT_ELIGIBLE
    if not cleared and any(f.requires_clearance for f in findings):
        return Outcome.NEEDS_CLEARANCE
    if eligible_from is not None and day < eligible_from:
        return Outcome.DEFERRED
    return Outcome.CLEAR


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome on the screening day (without clearance) and its grounds.

    ``eligible_from`` is the latest temporary date (None without temporary
    findings; it may lie in the past when the wait is over); ``excluded_zones``
    are in catalogue order.
    """

    outcome: Outcome
    findings: tuple[Finding, ...]
    eligible_from: date | None
    excluded_zones: tuple[str, ...]
    not_eligible: bool
    needs_clearance: bool

    def status_on(self, day: date, cleared: bool) -> Outcome:
        """The outcome on ``day``, given whether a clearance was recorded.

        Absolute findings apply until their ``eligible_from`` (only the age
        finding has one), so a client under age becomes eligible on the birthday.
        """
        return _status(self.findings, self.eligible_from, day, cleared)

    def not_eligible_until(self, day: date) -> date | None:
        """The day a client ruled out on ``day`` only by dated absolute
        findings (the minimum age) stops being ruled out by them; None when
        nothing rules them out on ``day`` or something does for good."""
        blocking = [
            f
            for f in self.findings
            if f.rule_class is RuleClass.ABSOLUTE
            and (f.eligible_from is None or day < f.eligible_from)
        ]
        if not blocking or any(f.eligible_from is None for f in blocking):
            return None
        return max(f.eligible_from for f in blocking)

    def eligible_on(self, day: date, cleared: bool) -> bool:
        """True if a session may take place on ``day`` (excluded zones aside)."""
        return self.status_on(day, cleared) is Outcome.CLEAR

    @property
    def clearance_rule_codes(self) -> tuple[str, ...]:
        """Codes of the findings a clearance must cover."""
        return tuple(f.rule_code for f in self.findings if f.requires_clearance)


def turns_age_on(date_of_birth: date, age: int) -> date:
    """The day someone born on ``date_of_birth`` reaches ``age``.

    A 29 February birthday is reached on 1 March in common years (the
    conservative reading). Raises ``ScreeningInputError`` past year 9999.
    """
    year = date_of_birth.year + age
    if year > MAXYEAR:
        raise ScreeningInputError("date of birth plus minimum age is out of range")
    try:
        return date_of_birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def _zone_codes(
    zones: Iterable[str], code: str, error: type[ValueError]
) -> tuple[str, ...]:
    if isinstance(zones, str):
        raise error(f"{code!r}: zones must be a tuple of zone codes, not a string")
    zones = tuple(zones)
    unknown = sorted({zone for zone in zones if not is_zone_code(zone)})
    if unknown:
        raise error(f"{code!r}: unknown zone codes {unknown}")
    return zones


def _check_date(value: object, what: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ScreeningInputError(f"{what} must be a date, got {value!r}")
    return value


def _index_rules(rules: Iterable[Rule]) -> dict[str, Rule]:
    catalogue: dict[str, Rule] = {}
    for rule in rules:
        if rule.code == AGE_RULE_CODE:
            raise ScreeningInputError(f"rule code {AGE_RULE_CODE!r} is reserved")
        if rule.code in catalogue:
            raise ScreeningInputError(f"duplicate rule code {rule.code!r}")
        catalogue[rule.code] = rule
    return catalogue


def _age_finding(date_of_birth: date, on: date, minimum_age: int) -> Finding | None:
    birthday = turns_age_on(date_of_birth, minimum_age)
    if on >= birthday:
        return None
    reason = f"Under {minimum_age}: turns {minimum_age} on {birthday.isoformat()}"
    return Finding(AGE_RULE_CODE, RuleClass.ABSOLUTE, reason, birthday, (), False)


def _finding(rule: Rule, answer: Answer, on: date) -> Finding | None:
    if not isinstance(answer.yes, bool):
        raise ScreeningInputError(f"answer to {rule.code!r} must be yes or no")
    if not answer.yes:
        return None
    event = answer.event_date
    if event is not None and _check_date(event, f"event date of {rule.code!r}") > on:
        raise ScreeningInputError(
            f"event date of {rule.code!r} ({event.isoformat()}) is after the "
            f"screening date ({on.isoformat()})"
        )
    chosen = _zone_codes(answer.zones, rule.code, ScreeningInputError)
    if chosen and rule.rule_class is not RuleClass.LOCAL:
        raise ScreeningInputError(f"{rule.code!r} is not a local rule: no zones")

    eligible_from: date | None = None
    zones: tuple[str, ...] = ()
    if rule.rule_class is RuleClass.ABSOLUTE:
        reason = f"{rule.name}: not eligible"
    elif rule.rule_class is RuleClass.RELATIVE:
        reason = f"{rule.name}: needs clearance"
    elif rule.rule_class is RuleClass.TEMPORARY:
        if event is None:
            raise ScreeningInputError(f"{rule.code!r} needs the date it happened")
        days = rule.waiting_days or 0
        try:
            eligible_from = event + timedelta(days=days)
        except OverflowError:
            raise ScreeningInputError(f"{rule.code!r}: date out of range") from None
        unit = "day" if days == 1 else "days"
        reason = (
            f"{rule.name} on {event.isoformat()}: wait {days} {unit} "
            f"(eligible from {eligible_from.isoformat()})"
        )
        if rule.requires_clearance:
            reason += " and needs clearance"
    else:
        allowed = rule.zones or ZONE_CODES
        outside = sorted(set(chosen) - set(allowed))
        if outside:
            raise ScreeningInputError(
                f"{rule.code!r} cannot affect zones {outside}; allowed: {list(allowed)}"
            )
        zones = ordered(chosen or allowed)
        reason = f"{rule.name}: excluded zones: {format_zones(zones)}"
    clearance = rule.requires_clearance
    return Finding(rule.code, rule.rule_class, reason, eligible_from, zones, clearance)


def screen(
    answers: Iterable[Answer],
    date_of_birth: date,
    rules: Iterable[Rule],
    on: date,
    *,
    minimum_age: int = 18,
) -> ScreeningResult:
    """Screen ``answers`` against ``rules`` as of the day ``on``.

    Raises ``ScreeningInputError`` for: a date of birth after ``on``; a negative
    ``minimum_age``; duplicate or reserved rule codes; an answer to an unknown
    rule, or two answers to one rule; a "yes" that is not a bool, with an event
    date after ``on``, to a temporary rule without event date, with unknown zone
    codes, with zones on a non-local rule or zones the local rule cannot affect;
    dates that are datetimes or out of range.
    """
    on = _check_date(on, "screening date")
    date_of_birth = _check_date(date_of_birth, "date of birth")
    if date_of_birth > on:
        raise ScreeningInputError(
            f"date of birth ({date_of_birth.isoformat()}) is after the screening "
            f"date ({on.isoformat()})"
        )
    if isinstance(minimum_age, bool) or not isinstance(minimum_age, int):
        raise ScreeningInputError("minimum age must be an integer")
    if minimum_age < 0:
        raise ScreeningInputError("minimum age cannot be negative")
    catalogue = _index_rules(rules)

    findings: list[Finding] = []
    age = _age_finding(date_of_birth, on, minimum_age)
    if age is not None:
        findings.append(age)
    answered: set[str] = set()
    for answer in answers:
        rule = catalogue.get(answer.rule_code)
        if rule is None:
            raise ScreeningInputError(f"answer to unknown rule {answer.rule_code!r}")
        if answer.rule_code in answered:
            raise ScreeningInputError(f"two answers to rule {answer.rule_code!r}")
        answered.add(answer.rule_code)
        finding = _finding(rule, answer, on)
        if finding is not None:
            findings.append(finding)
    ordered_findings = tuple(
        sorted(findings, key=lambda f: (_CLASS_ORDER[f.rule_class], f.rule_code))
    )
    dates = [
        f.eligible_from
        for f in findings
        if f.rule_class is RuleClass.TEMPORARY and f.eligible_from is not None
    ]
    eligible_from = max(dates, default=None)
    outcome = _status(ordered_findings, eligible_from, on, cleared=False)
    return ScreeningResult(
        outcome=outcome,
        findings=ordered_findings,
        eligible_from=eligible_from,
        excluded_zones=ordered(z for f in findings for z in f.zones),
        not_eligible=outcome is Outcome.NOT_ELIGIBLE,
        needs_clearance=any(f.requires_clearance for f in findings),
    )


def rules_fingerprint(rules: Iterable[Rule], *, minimum_age: int | None = None) -> str:
    """SHA-256 (hex) of the rules' content, independent of their order.

    Any change to any field of any rule changes it; so does ``minimum_age``
    when given (the age limit belongs to a rules version). Never fails.
    """
    rows = [{**asdict(rule), "rule_class": rule.rule_class.value} for rule in rules]
    rows.sort(key=lambda row: (row["code"], json.dumps(row, sort_keys=True)))
    payload: dict[str, object] = {"version": 1, "rules": rows}
    if minimum_age is not None:
        payload["minimum_age"] = minimum_age
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
