"""The client profile's trend charts name their zone and axes in visible text
and are laid out to be read on a tablet (issue 15, item 10: the zone was only
in a tooltip, and two charts a row put 10-unit text at about 7 px at 820 px).
The rendered size in a browser is checked by tests/e2e/test_trend_charts.py."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.visits.support import (
    book_series_of_six,
    browser,
    check_in,
    clinic_with_client,
    frozen_clock,
    save,
    sign,
    start_no_change,
    zone,
)

SVG = "{http://www.w3.org/2000/svg}"
# The chart's CSS width where its column allows (clinic/static/css/app.css).
CSS_MAX_WIDTH = 640
# A tablet in portrait: Bootstrap's 720 px container, less the card's padding.
TABLET_COLUMN = 720 - 2 * 12 - 2 * 16


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


def profile_with_trends(app) -> str:
    """The profile of a client with two signed sessions on two zones."""
    clinic, client_id = clinic_with_client(app)
    sessions = book_series_of_six(app, clinic, client_id)
    user = browser(app, clinic)
    for number in (1, 2):
        check_in(app, sessions[number - 1])
        visit_id = start_no_change(user, sessions[number - 1])
        treated = [zone("neck", current=str(200 + number)), zone("brow")]
        assert save(user, visit_id, *treated).status_code == 302
        assert sign(user, visit_id).status_code == 302
    page = user.get(f"/clients/{client_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def charts_of(body: str) -> list[tuple[str, ET.Element]]:
    """(the class of the column holding it, the parsed SVG) of each chart."""
    found = re.findall(
        r'<div class="([^"]*)">(<svg[^>]*class="trend-chart".*?</svg>)</div>',
        body,
        re.DOTALL,
    )
    # Our own markup, not untrusted input: the stdlib parser is fine here.
    return [(column, ET.fromstring(svg)) for column, svg in found]  # noqa: S314


def texts(svg: ET.Element, cls: str) -> list[str]:
    return [el.text for el in svg.iter(f"{SVG}text") if el.get("class") == cls]


def test_each_chart_shows_its_zone_and_its_axes_with_units(app):
    charts = charts_of(profile_with_trends(app))

    assert [texts(svg, "chart-title") for _column, svg in charts] == [
        ["Neck"],
        ["Brow and glabella"],
    ]
    for _column, svg in charts:
        assert texts(svg, "chart-axis-title") == [
            "Current (µA)",
            "Frequency (Hz, log scale)",
            "Session number",
        ]
        assert texts(svg, "chart-tick")[-2:] == ["1", "2"]  # session numbers


def test_text_stays_readable_at_a_tablets_width(app):
    charts = charts_of(profile_with_trends(app))

    assert charts
    for column, svg in charts:
        # One chart a row on a tablet: no column split below 1200 px.
        assert not re.search(r"\bcol-(sm|md|lg)-\d", column), column
        _, _, width, _ = (float(n) for n in svg.get("viewBox").split())
        drawn = min(CSS_MAX_WIDTH, TABLET_COLUMN)
        base = float(svg.get("font-size"))
        smallest = min(
            float(el.get("font-size") or base) for el in svg.iter(f"{SVG}text")
        )
        assert smallest * drawn / width >= 12, (smallest, width)
