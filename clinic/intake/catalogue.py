"""Admin changes to the screening rules and consent texts.

Nothing is edited in place: a change copies the current rules into the next
version (with the change applied), or adds the next version of a consent text,
so every past intake keeps exactly what it was screened and signed against.
"""

from __future__ import annotations

from sqlalchemy import func, select

from clinic import audit
from clinic.extensions import db
from clinic.intake import screening
from clinic.intake.models import ConsentDocument, ConsentKind, RuleSet, ScreeningRule
from clinic.intake.services import IntakeError, current_rule_set


def _fingerprint(rules: list[ScreeningRule], minimum_age: int) -> str:
    return screening.rules_fingerprint(
        [rule.to_engine() for rule in rules if rule.active], minimum_age=minimum_age
    )


def new_rules_version(
    *,
    changes: dict[str, dict],
    new_rule: dict | None = None,
    minimum_age: int | None = None,
    note: str,
    by_user_id: int,
) -> RuleSet:
    """Copy the current rules into the next version with ``changes`` applied.

    ``changes`` maps a rule code to the fields to change. Raises IntakeError for
    an unknown code, a duplicate new code, a rule the engine would refuse, or a
    version identical to the current one.
    """
    current = current_rule_set()
    rows = {rule.code: rule.content() for rule in current.rules}
    for code, fields in changes.items():
        if code not in rows:
            raise IntakeError(f"There is no rule {code!r}.")
        rows[code].update(fields)
    if new_rule is not None:
        if new_rule["code"] in rows or new_rule["code"] == screening.AGE_RULE_CODE:
            raise IntakeError("A rule with this code already exists.")
        position = max((row["position"] for row in rows.values()), default=0) + 1
        rows[new_rule["code"]] = {**new_rule, "position": position}
    rule_set = RuleSet(
        version=current.version + 1,
        minimum_age=current.minimum_age if minimum_age is None else minimum_age,
        note=note,
        created_by_id=by_user_id,
    )
    rule_set.rules = [ScreeningRule(**row) for row in rows.values()]
    try:
        rule_set.fingerprint = _fingerprint(rule_set.rules, rule_set.minimum_age)
    except ValueError as exc:
        raise IntakeError(f"These settings are not consistent: {exc}") from exc
    unchanged = (
        new_rule is None
        and rule_set.minimum_age == current.minimum_age
        and all(rows[rule.code] == rule.content() for rule in current.rules)
    )
    if unchanged:
        raise IntakeError("Nothing changed.")
    db.session.add(rule_set)
    db.session.flush()
    audit.record(
        "screening_rules.new_version",
        entity_type="screening_rule_set",
        entity_id=rule_set.id,
        details=f"v{rule_set.version}; rules: {', '.join(sorted(changes) or [])}"
        + (f"; added {new_rule['code']}" if new_rule else ""),
    )
    return rule_set


def rule_versions() -> list[RuleSet]:
    return list(db.session.scalars(select(RuleSet).order_by(RuleSet.version.desc())))


def new_consent_version(
    kind: ConsentKind, *, title: str, body: str, by_user_id: int
) -> ConsentDocument:
    latest = db.session.scalar(
        select(func.max(ConsentDocument.version)).where(ConsentDocument.kind == kind)
    )
    document = ConsentDocument(
        kind=kind,
        version=(latest or 0) + 1,
        title=title,
        body=body,
        created_by_id=by_user_id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        "consent.new_version",
        entity_type="consent_document",
        entity_id=document.id,
        details=f"{kind.value} v{document.version}",
    )
    return document


def consent_versions(kind: ConsentKind) -> list[ConsentDocument]:
    return list(
        db.session.scalars(
            select(ConsentDocument)
            .where(ConsentDocument.kind == kind)
            .order_by(ConsentDocument.version.desc())
        )
    )
