"""Per-zone trend charts: current and frequency by session, as server-side SVG.

Two panels stacked on one session axis rather than one chart with two y axes:
with a left µA axis and a right log Hz axis, the two lines would cross and
converge at points that mean nothing, and a reader must match each line to its
axis by colour. Stacked, each unit sits next to its own data, the frequency
panel can be logarithmic (0.1 to 2000 Hz spans over four decades) without
bending the current scale, and a session still lines up across both. The
frequency axis covers whole decades around the data, at least two, so a
steady 10 Hz sits mid-panel; the current axis runs from 0 to a round number.

Sessions with a missing value, and sessions absent from the data, break the
line instead of being bridged. Adverse sessions get a red marker under their
session number and a pale band across both panels. The zone's name is drawn
as the chart's title, each panel names its quantity and unit, and the session
axis is titled, so a chart reads on paper and in a screenshot too. The SVG
follows the app's CSP (no ``style`` attribute, no script) and escapes every
text via ``Markup.format``; its layout and pieces are in ``chart_svg``.

Pure module: standard library and markupsafe only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from clinic.visits.chart_svg import (
    ADVERSE_COLOUR,
    CURRENT_COLOUR,
    FREQUENCY_COLOUR,
    HEIGHT,
    LEFT,
    MARKER_Y,
    PANELS,
    RIGHT,
    data_point,
    num,
    panel,
    session_axis,
    svg_open,
    triangle,
)

NOT_RECORDED = "not recorded"

_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class TrendPoint:
    """One session of one zone: settings used (None if not recorded)."""

    session: int
    current_ua: float | None
    frequency_hz: float | None
    adverse: bool = False


def fmt(value: float) -> str:
    """A value as people write it: 200, 12.5, 0.1 (at most 3 decimals)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") or value == 0 else f"{value:g}"


def _hz_tick(value: float) -> str:
    return f"{fmt(value / 1000)}k" if value >= 1000 else fmt(value)


def _number(value: float | None) -> float | None:
    # Numeric columns arrive as Decimal, which does not mix with float maths.
    return None if value is None else float(value)


def _validate(points: Sequence[TrendPoint]) -> list[TrendPoint]:
    """The points sorted by session, with values as floats; ValueError if bad."""
    seen: set[int] = set()
    clean: list[TrendPoint] = []
    for point in points:
        if isinstance(point.session, bool) or not isinstance(point.session, int):
            raise ValueError(f"session must be an integer: {point.session!r}")
        if point.session < 1:
            raise ValueError(f"session numbers start at 1: {point.session}")
        if point.session in seen:
            raise ValueError(f"session {point.session} appears twice")
        seen.add(point.session)
        current, frequency = _number(point.current_ua), _number(point.frequency_hz)
        if current is not None and not (math.isfinite(current) and current >= 0):
            raise ValueError(f"current must be a finite number >= 0: {current!r}")
        if frequency is not None and not (math.isfinite(frequency) and frequency > 0):
            raise ValueError(f"frequency must be a finite number > 0: {frequency!r}")
        clean.append(TrendPoint(point.session, current, frequency, bool(point.adverse)))
    return sorted(clean, key=lambda point: point.session)


def _text(point: TrendPoint) -> str:
    """The tooltip: "Session 3: 200 µA, 10 Hz", plus ", adverse sensation"."""
    current = point.current_ua
    frequency = point.frequency_hz
    parts = [
        f"{fmt(current)} µA" if current is not None else f"current {NOT_RECORDED}",
        f"{fmt(frequency)} Hz"
        if frequency is not None
        else f"frequency {NOT_RECORDED}",
    ]
    if point.adverse:
        parts.append("adverse sensation")
    return f"Session {point.session}: {', '.join(parts)}"


def trend_table(points: Sequence[TrendPoint]) -> list[dict]:
    """Rows of the accessible table shown with (or instead of) the chart.

    Each row: ``session``, ``current_ua``, ``frequency_hz``, ``adverse`` as
    given, and ``current_text``, ``frequency_text`` ("200 µA" or "not
    recorded"), sorted by session. Raises ``ValueError`` like ``render_trend``.
    """
    return [
        {
            "session": point.session,
            "current_ua": point.current_ua,
            "frequency_hz": point.frequency_hz,
            "adverse": point.adverse,
            "current_text": (
                f"{fmt(point.current_ua)} µA"
                if point.current_ua is not None
                else NOT_RECORDED
            ),
            "frequency_text": (
                f"{fmt(point.frequency_hz)} Hz"
                if point.frequency_hz is not None
                else NOT_RECORDED
            ),
        }
        for point in _validate(points)
    ]


def _nice_top(largest: float) -> tuple[float, float]:
    """(top, step) of a linear axis from 0 with about four round steps."""
    if largest <= 0:
        return 10.0, 2.5
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(largest / step - 1e-9), step


def _decades(values: Sequence[float]) -> tuple[int, int]:
    """(low, high) powers of ten of a log axis holding the values.

    At least two decades, grown on the side with less room, so a steady
    10 Hz sits mid-panel (1 to 100 Hz) rather than on an edge.
    """
    smallest = math.log10(min(values, default=10))
    largest = math.log10(max(values, default=10))
    low, high = math.floor(smallest), math.ceil(largest)
    while high - low < 2:
        if largest - low > high - smallest:
            high += 1
        else:
            low -= 1
    return low, high


def _describe(points: list[TrendPoint]) -> str:
    """The words read after the title (aria-labelledby joins both)."""
    first, last = points[0].session, points[-1].session
    parts = [f"{len(points)} sessions recorded, from session {first} to {last}."]
    for name, unit, attr in (
        ("Current", "µA", "current_ua"),
        ("Frequency", "Hz", "frequency_hz"),
    ):
        known = [(p.session, getattr(p, attr)) for p in points]
        known = [(s, v) for s, v in known if v is not None]
        if not known:
            parts.append(f"{name} {NOT_RECORDED}.")
            continue
        values = [v for _, v in known]
        parts.append(
            f"{name} from {fmt(min(values))} to {fmt(max(values))} {unit}, "
            f"recorded in {len(known)} of {len(points)} sessions; "
            f"last {fmt(known[-1][1])} {unit} at session {known[-1][0]}."
        )
    adverse = [str(p.session) for p in points if p.adverse]
    if len(adverse) == 1:
        parts.append(f"Adverse sensation at session {adverse[0]}.")
    elif adverse:
        listed = f"{', '.join(adverse[:-1])} and {adverse[-1]}"
        parts.append(f"Adverse sensation at sessions {listed}.")
    return " ".join(parts)


def _segments(points: list[TrendPoint], attr: str) -> Iterator[list[tuple[int, float]]]:
    """Runs of consecutive sessions that all have a value."""
    run: list[tuple[int, float]] = []
    for point in points:
        value = getattr(point, attr)
        if value is None or (run and point.session != run[-1][0] + 1):
            if run:
                yield run
            run = []
        if value is not None:
            run.append((point.session, value))
    if run:
        yield run


def render_trend(points: Sequence[TrendPoint], *, title: str, id_prefix: str) -> Markup:
    """The trend chart of one zone over a series, as an inline ``<svg>``.

    No points gives a small SVG saying "No data yet". Raises ``ValueError``
    for a session number below 1 or repeated, a negative or non-finite
    current, a frequency that is not a finite number above zero, or an
    ``id_prefix`` that is not a plain identifier.
    """
    if not _PREFIX.match(id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier: {id_prefix!r}")
    ordered = _validate(points)
    if not ordered:
        return svg_open(title, id_prefix, 50, "No data yet.") + Markup(
            '<text class="trend-empty" x="0" y="43" fill="#495057">No data yet'
            "</text></svg>"
        )

    first, last = ordered[0].session, ordered[-1].session
    slot = (RIGHT - LEFT) / (last - first + 1)

    def x_of(session: int) -> float:
        return LEFT + (session - first + 0.5) * slot

    currents = [p.current_ua for p in ordered if p.current_ua is not None]
    top, step = _nice_top(max(currents, default=0))
    (c_label, c_top, c_bottom), (f_label, f_top, f_bottom) = PANELS

    def y_current(value: float) -> float:
        return c_bottom - value / top * (c_bottom - c_top)

    frequencies = [p.frequency_hz for p in ordered if p.frequency_hz is not None]
    low, high = _decades(frequencies)

    def y_frequency(value: float) -> float:
        share = (math.log10(value) - low) / (high - low)
        return f_bottom - share * (f_bottom - f_top)

    out = [svg_open(title, id_prefix, HEIGHT, _describe(ordered))]

    # Adverse sessions: a pale band across each panel and a marker under the
    # session number (above the panels it met the axis titles).
    band = min(slot * 0.7, 24)
    for point in ordered:
        if point.adverse:
            x = x_of(point.session)
            for top_y, bottom_y in ((c_top, c_bottom), (f_top, f_bottom)):
                out.append(
                    Markup(
                        '<rect class="chart-adverse-band" x="{}" y="{}" width="{}" '
                        'height="{}" fill="#fbe3e6"/>'
                    ).format(num(x - band / 2), top_y, num(band), bottom_y - top_y)
                )
            out.append(
                Markup(
                    '<path class="chart-adverse" d="{}" fill="{}">'
                    "<title>Session {}: adverse sensation</title></path>"
                ).format(triangle(x, MARKER_Y), ADVERSE_COLOUR, point.session)
            )

    # Each panel: its quantity and unit above it (with the point shape, so it
    # is the key too), gridlines with tick labels; then the session axis.
    ticks = [(y_current(i * step), fmt(i * step)) for i in range(round(top / step) + 1)]
    out.append(panel(ticks, c_label, c_top, c_bottom, "current", "Current (µA)"))
    ticks = [(y_frequency(10.0**e), _hz_tick(10.0**e)) for e in range(low, high + 1)]
    out.append(
        panel(ticks, f_label, f_top, f_bottom, "frequency", "Frequency (Hz, log scale)")
    )
    out.append(session_axis(first, last, x_of, any(p.adverse for p in ordered)))

    for attr, colour, y_of, kind in (
        ("current_ua", CURRENT_COLOUR, y_current, "current"),
        ("frequency_hz", FREQUENCY_COLOUR, y_frequency, "frequency"),
    ):
        for run in _segments(ordered, attr):
            if len(run) > 1:
                d = " ".join(
                    f"{'M' if i == 0 else 'L'} {num(x_of(s))} {num(y_of(v))}"
                    for i, (s, v) in enumerate(run)
                )
                out.append(
                    Markup(
                        '<path class="chart-line chart-line-{}" d="{}" fill="none" '
                        'stroke="{}" stroke-width="2" stroke-linejoin="round"/>'
                    ).format(kind, d, colour)
                )
        for point in ordered:
            value = getattr(point, attr)
            if value is not None:
                out.append(
                    data_point(kind, x_of(point.session), y_of(value), _text(point))
                )
    out.append(Markup("</svg>"))
    return Markup("").join(out)
