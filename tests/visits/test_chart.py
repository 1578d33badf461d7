"""Trend charts: current and frequency by session as server-side SVG."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from clinic.visits.chart import TrendPoint, fmt, render_trend, trend_table

SVG = "{http://www.w3.org/2000/svg}"

SERIES = [
    TrendPoint(1, 100, 10),
    TrendPoint(2, 150, 10),
    TrendPoint(3, None, 0.5, adverse=True),
    TrendPoint(4, 250, 300),
    TrendPoint(5, 300, None),
    TrendPoint(6, 320, 1500, adverse=True),
    TrendPoint(8, 400, 2000),
]


def parse(markup: Markup | str) -> ET.Element:
    # Our own output, not untrusted input: the stdlib parser is fine here.
    return ET.fromstring(str(markup))  # noqa: S314


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def title_of(el: ET.Element) -> str:
    return el.find(f"{SVG}title").text


def point_y(el: ET.Element) -> float:
    if el.tag == f"{SVG}circle":
        return float(el.get("cy"))
    return float(el.get("y")) + float(el.get("height")) / 2


def path_points(d: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def render(points, **kwargs) -> ET.Element:
    kwargs.setdefault("title", "Cheek (left)")
    kwargs.setdefault("id_prefix", "trend-cheek_left")
    return parse(render_trend(points, **kwargs))


def test_chart_is_an_accessible_image_with_title_and_desc():
    root = render(SERIES)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Cheek (left)"
    assert desc.text.startswith("7 sessions recorded, from session 1 to 8.")
    assert "Current from 100 to 400 µA, recorded in 6 of 7 sessions" in desc.text
    assert "last 2000 Hz at session 8" in desc.text
    assert "Adverse sensation at sessions 3 and 6." in desc.text
    # The zone is drawn as a title too, not only in the <title> tooltip.
    assert [el.text for el in by_class(root, "chart-title")] == ["Cheek (left)"]
    _, _, width, height = (float(n) for n in root.get("viewBox").split())
    assert (width, height) == (560, 322)


def test_text_is_at_least_13_units_so_it_reads_at_the_natural_width():
    """app.css draws the chart at 560-640 px wherever there is room (one a row
    on a tablet), so 13-unit text is 13 px or more there."""
    root = render(SERIES)
    base = float(root.get("font-size"))
    sizes = [float(el.get("font-size") or base) for el in root.iter(f"{SVG}text")]
    assert min(sizes) >= 13
    assert float(by_class(root, "chart-title")[0].get("font-size")) > base


def test_axes_ticks_legend_and_session_labels():
    root = render(SERIES)
    assert len(by_class(root, "chart-axis-current")) == 1
    assert len(by_class(root, "chart-axis-frequency")) == 1
    current_ticks = [
        el.text
        for el in by_class(root, "chart-axis-current")[0].iter(f"{SVG}text")
        if el.get("class") == "chart-tick"
    ]
    assert current_ticks == ["0", "100", "200", "300", "400"]
    frequency_ticks = [
        el.text
        for el in by_class(root, "chart-axis-frequency")[0].iter(f"{SVG}text")
        if el.get("class") == "chart-tick"
    ]
    assert frequency_ticks == ["0.1", "1", "10", "100", "1k", "10k"]
    sessions = [
        el.text
        for el in by_class(root, "chart-sessions")[0].iter(f"{SVG}text")
        if el.get("class") == "chart-tick"
    ]
    assert sessions == [str(n) for n in range(1, 9)]
    axis_titles = [el.text for el in by_class(root, "chart-axis-title")]
    assert axis_titles == [
        "Current (µA)",
        "Frequency (Hz, log scale)",
        "Session number",
    ]
    legend = "".join(by_class(root, "chart-legend")[0].itertext())
    assert legend == "Adverse sensation"


def test_one_point_per_recorded_value_with_tooltips():
    root = render(SERIES)
    currents = by_class(root, "chart-current")
    frequencies = by_class(root, "chart-frequency")
    assert len(currents) == sum(p.current_ua is not None for p in SERIES) == 6
    assert len(frequencies) == sum(p.frequency_hz is not None for p in SERIES) == 6
    assert title_of(currents[0]) == "Session 1: 100 µA, 10 Hz"
    assert title_of(frequencies[2]) == (
        "Session 3: current not recorded, 0.5 Hz, adverse sensation"
    )
    assert title_of(currents[3]) == "Session 5: 300 µA, frequency not recorded"


def test_missing_values_and_missing_sessions_break_the_line():
    root = render(SERIES)
    current_runs = [
        len(path_points(el.get("d"))) for el in by_class(root, "chart-line-current")
    ]
    # 1-2, gap (None at 3), 4-5-6, gap (no session 7), 8 alone: no line.
    assert current_runs == [2, 3]
    frequency_runs = [
        len(path_points(el.get("d"))) for el in by_class(root, "chart-line-frequency")
    ]
    # 1-2-3-4, gap (None at 5), 6 alone, gap, 8 alone.
    assert frequency_runs == [4]


def test_adverse_sessions_get_one_red_marker_each():
    root = render(SERIES)
    markers = by_class(root, "chart-adverse")
    assert [title_of(m) for m in markers] == [
        "Session 3: adverse sensation",
        "Session 6: adverse sensation",
    ]
    assert {m.get("fill") for m in markers} == {"#c8102e"}
    assert len(by_class(root, "chart-adverse-band")) == 2 * 2  # one per panel
    # Each marker sits under its session's number.
    ticks = {
        el.text: float(el.get("x"))
        for el in by_class(root, "chart-sessions")[0].iter(f"{SVG}text")
        if el.get("class") == "chart-tick"
    }
    tips = [max(path_points(m.get("d")), key=lambda p: -p[1]) for m in markers]
    assert [x for x, _y in tips] == [ticks["3"], ticks["6"]]
    calm = render([TrendPoint(1, 10, 1)])
    assert not by_class(calm, "chart-adverse")
    assert not by_class(calm, "chart-legend")


def test_frequency_is_log_scaled_higher_hz_higher_on_screen():
    hz = [0.1, 1, 10, 100, 1000, 2000]
    root = render([TrendPoint(i + 1, 100, f) for i, f in enumerate(hz)])
    ys = [point_y(el) for el in by_class(root, "chart-frequency")]
    assert all(a > b for a, b in itertools.pairwise(ys))
    decade = ys[0] - ys[1]
    assert ys[1] - ys[2] == pytest.approx(decade, abs=0.02)
    assert ys[2] - ys[3] == pytest.approx(decade, abs=0.02)
    assert ys[4] - ys[5] == pytest.approx(decade * math.log10(2), abs=0.02)


def test_current_is_linear_from_zero():
    root = render([TrendPoint(1, 0, 1), TrendPoint(2, 100, 1), TrendPoint(3, 200, 1)])
    ys = [point_y(el) for el in by_class(root, "chart-current")]
    assert ys[0] > ys[1] > ys[2]
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.02)


def test_steady_frequency_sits_mid_panel():
    root = render([TrendPoint(1, 100, 10), TrendPoint(2, 100, 10)])
    ticks = [
        el.text
        for el in by_class(root, "chart-axis-frequency")[0].iter(f"{SVG}text")
        if el.get("class") == "chart-tick"
    ]
    assert ticks == ["1", "10", "100"]


def test_points_are_sorted_by_session():
    shuffled = [SERIES[3], SERIES[0], SERIES[6], SERIES[1]]
    root = render(shuffled)
    xs = [float(el.get("cx")) for el in by_class(root, "chart-current")]
    assert xs == sorted(xs)
    assert title_of(by_class(root, "chart-current")[0]).startswith("Session 1:")


def test_texts_are_escaped_and_there_is_no_style_or_script():
    nasty = '<script>alert(1)</script>&"'
    markup = render_trend(SERIES, title=nasty, id_prefix="t")
    assert "<script" not in markup
    assert "style=" not in markup
    root = parse(markup)
    assert root.find(f"{SVG}title").text == nasty
    for el in root.iter():
        assert not [name for name in el.attrib if name.startswith(("on", "style"))]


def test_ids_are_unique_when_two_charts_share_a_page():
    page = "<div>{}{}</div>".format(
        render_trend(SERIES, title="A", id_prefix="trend-neck"),
        render_trend(SERIES, title="B", id_prefix="trend-brow"),
    )
    ids = [el.get("id") for el in parse(page).iter() if el.get("id")]
    assert sorted(ids) == [
        "trend-brow-desc",
        "trend-brow-title",
        "trend-neck-desc",
        "trend-neck-title",
    ]
    with pytest.raises(ValueError, match="id_prefix"):
        render_trend(SERIES, title="x", id_prefix="1 bad")


def test_no_points_says_no_data_yet():
    root = render([], title="Neck", id_prefix="empty")
    assert root.get("role") == "img"
    assert "".join(root.itertext()).count("No data yet") >= 1
    assert by_class(root, "trend-empty")[0].text == "No data yet"
    assert not by_class(root, "chart-point")


def test_all_values_missing_draws_empty_axes():
    root = render([TrendPoint(1, None, None), TrendPoint(2, None, None, True)])
    assert not by_class(root, "chart-point")
    assert len(by_class(root, "chart-adverse")) == 1
    desc = root.find(f"{SVG}desc").text
    assert "Current not recorded." in desc
    assert "Adverse sensation at session 2." in desc


@pytest.mark.parametrize(
    "point",
    [
        TrendPoint(0, 10, 10),
        TrendPoint(1, -1, 10),
        TrendPoint(1, 10, 0),
        TrendPoint(1, math.nan, 10),
        TrendPoint(1, 10, math.inf),
        TrendPoint(True, 10, 10),  # type: ignore[arg-type]
    ],
)
def test_bad_points_are_refused(point):
    with pytest.raises(ValueError):
        render_trend([point], title="x", id_prefix="x")


def test_decimal_values_from_numeric_columns_are_accepted():
    points = [TrendPoint(1, Decimal("120.5"), Decimal("0.3"), adverse=True)]
    root = render(points)
    assert title_of(by_class(root, "chart-current")[0]) == (
        "Session 1: 120.5 µA, 0.3 Hz, adverse sensation"
    )
    assert trend_table(points)[0]["current_text"] == "120.5 µA"


def test_repeated_session_is_refused():
    with pytest.raises(ValueError, match="twice"):
        trend_table([TrendPoint(1, 10, 10), TrendPoint(1, 20, 10)])


def test_table_rows_for_the_accessible_alternative():
    rows = trend_table([SERIES[2], SERIES[0]])
    assert rows == [
        {
            "session": 1,
            "current_ua": 100,
            "frequency_hz": 10,
            "adverse": False,
            "current_text": "100 µA",
            "frequency_text": "10 Hz",
        },
        {
            "session": 3,
            "current_ua": None,
            "frequency_hz": 0.5,
            "adverse": True,
            "current_text": "not recorded",
            "frequency_text": "0.5 Hz",
        },
    ]
    assert trend_table([]) == []


def test_numbers_are_written_plainly():
    assert [fmt(v) for v in (200, 12.5, 0.1, 2000.0, 0, 0.0004)] == [
        "200",
        "12.5",
        "0.1",
        "2000",
        "0",
        "0.0004",
    ]


_NUMBER = r"-?\d+(?:\.\d+)?"


def _number(text: str) -> float:
    assert re.fullmatch(_NUMBER, text), text  # plain decimals, no exponent
    return float(text)


def _coordinates(el: ET.Element) -> list[tuple[str, float]]:
    """(axis, value) of every coordinate an element places on the canvas."""
    out: list[tuple[str, float]] = []
    for name in ("x", "x1", "x2", "cx"):
        if name in el.attrib:
            out.append(("x", _number(el.get(name))))
    for name in ("y", "y1", "y2", "cy"):
        if name in el.attrib:
            out.append(("y", _number(el.get(name))))
    if "width" in el.attrib and "x" in el.attrib:
        out.append(("x", _number(el.get("x")) + _number(el.get("width"))))
    if "height" in el.attrib and "y" in el.attrib:
        out.append(("y", _number(el.get("y")) + _number(el.get("height"))))
    if "d" in el.attrib:
        d = el.get("d")
        assert re.fullmatch(rf"(?:[MLZ]|{_NUMBER}|\s)+", d), d
        out += [p for x, y in path_points(d) for p in (("x", x), ("y", y))]
    if "transform" in el.attrib:
        _, cx, cy = re.fullmatch(
            rf"rotate\(({_NUMBER}) ({_NUMBER}) ({_NUMBER})\)", el.get("transform")
        ).groups()
        out += [("x", float(cx)), ("y", float(cy))]
    return out


points_strategy = st.lists(
    st.builds(
        TrendPoint,
        session=st.integers(1, 40),
        current_ua=st.none() | st.floats(1, 1000),
        frequency_hz=st.none() | st.floats(0.1, 2000),
        adverse=st.booleans(),
    ),
    min_size=1,
    max_size=20,
    unique_by=lambda point: point.session,
)


@settings(max_examples=150, deadline=None)
@given(points_strategy)
def test_any_series_renders_inside_the_view_box(points):
    markup = render_trend(points, title="Zone", id_prefix="p")
    root = parse(markup)
    _, _, width, height = (float(n) for n in root.get("viewBox").split())
    for el in root.iter():
        for axis, value in _coordinates(el):
            assert math.isfinite(value)
            assert 0 <= value <= (width if axis == "x" else height), (el.tag, value)
    drawn = by_class(root, "chart-point")
    recorded = sum(p.current_ua is not None for p in points) + sum(
        p.frequency_hz is not None for p in points
    )
    assert len(drawn) == recorded
    assert len(by_class(root, "chart-adverse")) == sum(p.adverse for p in points)
