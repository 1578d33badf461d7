"""Prints how many hostile requests the fuzz tests sent, by status."""

from __future__ import annotations

from tests.fuzz.harness import TALLY


def pytest_terminal_summary(terminalreporter):
    if TALLY.examples:
        statuses = ", ".join(
            f"{status}: {count}" for status, count in sorted(TALLY.statuses.items())
        )
        terminalreporter.write_line(
            f"fuzz: {TALLY.examples} hostile requests ({statuses})"
        )
