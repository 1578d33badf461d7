"""Who may use which URL: declared next to each rule, enforced before any view.

Every blueprint registers its URL rules with ``route(bp, rule, view,
allow=...)`` in its ``__init__.py``, so a module's URLs and their access rules
are read in one place. An endpoint without a declared rule is refused (fail
closed), and a test walks ``app.url_map`` to prove none is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from clinic.extensions import login_manager
from clinic.roles import Role

PUBLIC = "public"  # anyone, signed in or not
STAFF = frozenset(Role)  # any signed-in staff member
ADMIN = frozenset({Role.ADMIN})
CLINICAL = frozenset({Role.ESTHETICIAN, Role.ADMIN})  # may read health answers

Rule = str | frozenset[Role]
_POLICY: dict[str, Rule] = {}
# Endpoints that read, change, print or export a client's health data
# (screening outcome, intake answers, treatment notes, aftercare sheets): each
# request to one must write an audit row naming the client (DESIGN.md,
# guarantee 4). tests/security/test_audit_coverage.py holds every route to it.
_HEALTH_DATA: set[str] = set()


def route(
    bp: Blueprint,
    rule: str,
    view: Callable,
    *,
    allow: str | Iterable[Role],
    methods: Iterable[str] = ("GET",),
    endpoint: str | None = None,
    health_data: bool = False,
) -> None:
    """Register a URL rule together with who may use it.

    ``health_data=True`` declares that the view reads, changes, prints or
    exports client health data, and so audits every request with the client.
    """
    endpoint = endpoint or view.__name__
    bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=list(methods))
    full_name = f"{bp.name}.{endpoint}"
    _POLICY[full_name] = PUBLIC if allow == PUBLIC else frozenset(allow)
    if health_data:
        _HEALTH_DATA.add(full_name)


def declare_public(endpoint: str) -> None:
    """Declare an endpoint registered elsewhere (static files) as public."""
    _POLICY[endpoint] = PUBLIC


def access_policy() -> dict[str, Rule]:
    """The declared table: endpoint -> PUBLIC or the roles allowed."""
    return dict(_POLICY)


def health_data_endpoints() -> frozenset[str]:
    """Endpoints declared with ``health_data=True`` (audited per request)."""
    return frozenset(_HEALTH_DATA)


def allowed(endpoint: str, role: Role | None) -> bool:
    """Would a user with ``role`` (None: anonymous) be let through?"""
    rule = _POLICY.get(endpoint)
    if rule is None:
        return False
    return rule == PUBLIC or (role is not None and role in rule)


def enforce_access():
    """``before_request``: redirect anonymous users to sign in, 403 the others."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404/405 handler answers
        return None
    rule = _POLICY.get(endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s has no access rule; refused", endpoint)
        abort(403)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in rule:
        abort(403)
    return None
