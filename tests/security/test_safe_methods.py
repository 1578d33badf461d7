"""No GET (nor HEAD, nor OPTIONS) changes state; pages rely on no inline script.

Every role crawls every GET route of the app with real ids (the world fixture)
and the database is fingerprinted (every row of every table) before and after
each route. Two writes are allowed, and only these (tests/security/
fingerprint.py):

- audit rows whose action records a read of health data (``client.viewed``,
  ``intake.answers_viewed``, ``intake.compared``, ``visit.viewed``,
  ``screening.viewed``, ``aftercare.reprinted``): the design requires every
  read of health data to be audited, and a GET is how it is read; likewise
  ``audit.viewed`` and ``audit.exported``, reads of the audit log itself. Any
  other audit row written by a GET fails the test.
- ``staff_session.last_seen_at``: the idle timeout needs the time of the
  user's last request, so any signed-in request may move it.

The audit chain must still verify after the crawl.
"""

from __future__ import annotations

import re

import pytest

from clinic.audit import verify_chain
from clinic.extensions import db
from tests.security.conftest import ROLES
from tests.security.crawl import send
from tests.security.fingerprint import differences, fingerprint
from tests.security.world import routes, url_for_rule

SAFE = ("GET", "HEAD", "OPTIONS")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")
INLINE_HANDLER = re.compile(r"\son[a-z]+=")


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_no_get_changes_the_database(app, world, browser_as, role):
    browser = browser_as(role)
    changed, inline = [], []
    before = fingerprint(app)
    for rule in routes(app):
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(app, world, rule)
        for method in SAFE:
            response = send(browser, method, url)
            if method == "GET" and response.mimetype == "text/html":
                html = response.get_data(as_text=True)
                if INLINE_SCRIPT.search(html) or INLINE_HANDLER.search(html):
                    inline.append(url)
        after = fingerprint(app)
        changed += [f"{url}: {diff}" for diff in differences(before, after)]
        before = after
    assert changed == []
    assert inline == [], "the CSP forbids inline scripts and handlers"
    with app.app_context():
        assert verify_chain().ok
        db.session.rollback()
