"""The trend chart's layout and drawing pieces (see ``clinic.visits.chart``).

Pure module: markupsafe only. Every text goes through ``Markup.format``.
"""

from __future__ import annotations

import math

from markupsafe import Markup

# User units are CSS pixels when the chart is drawn at its natural width
# (app.css lets it grow to 640 px and shrink with its column): 13-unit text
# reads at 12-15 px in a tablet's single column and a desktop's two. The old
# 10-unit text in a half-width tablet column came out near 7 px.
WIDTH, HEIGHT = 560, 322
FONT_SIZE, TITLE_SIZE = 13, 16
LEFT, RIGHT = 52, 546
TITLE_Y = 19
# (label baseline, top, bottom) of the current panel, then the frequency one.
PANELS = ((45, 56, 136), (164, 175, 255))
TICK_Y = 274  # session numbers
MARKER_Y = 281  # top of an adverse marker, under its session number
AXIS_TITLE_Y = 313  # "Session number" and the adverse key

CURRENT_COLOUR = "#0072b2"
FREQUENCY_COLOUR = "#8a5a00"
ADVERSE_COLOUR = "#c8102e"


def num(value: float) -> str:
    """A coordinate, short and never in exponent form."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def svg_open(title: str, id_prefix: str, height: int, desc: str) -> Markup:
    """The root with its accessible name, and the title drawn as text too
    (a ``<title>`` alone shows only as a tooltip)."""
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{p}-title {p}-desc" '
        'font-family="system-ui, -apple-system, sans-serif" font-size="{fs}" '
        'fill="#212529"><title id="{p}-title">{title}</title>'
        '<desc id="{p}-desc">{desc}</desc>'
        '<text class="chart-title" x="0" y="{ty}" font-size="{ts}" '
        'font-weight="bold">{title}</text>'
    ).format(
        w=WIDTH,
        h=height,
        p=id_prefix,
        title=title,
        desc=desc,
        fs=FONT_SIZE,
        ts=TITLE_SIZE,
        ty=TITLE_Y,
    )


def data_point(kind: str, x: float, y: float, text: str) -> Markup:
    """A circle for current, a square for frequency: shape tells them apart."""
    if kind == "current":
        tag, colour = Markup("circle"), CURRENT_COLOUR
        geometry = Markup('cx="{}" cy="{}" r="4"').format(num(x), num(y))
    else:
        tag, colour = Markup("rect"), FREQUENCY_COLOUR
        geometry = Markup('x="{}" y="{}" width="8" height="8"').format(
            num(x - 4), num(y - 4)
        )
    return Markup(
        '<{tag} class="chart-point chart-{kind}" {geometry} fill="{colour}" '
        'stroke="#ffffff" stroke-width="1"><title>{text}</title></{tag}>'
    ).format(tag=tag, kind=kind, geometry=geometry, colour=colour, text=text)


def triangle(x: float, top: float) -> str:
    """An upward triangle 12 wide and 11 high from ``top``: points at its session."""
    return (
        f"M {num(x)} {num(top)} L {num(x + 6)} {num(top + 11)} "
        f"L {num(x - 6)} {num(top + 11)} Z"
    )


def panel(
    ticks: list[tuple[float, str]],
    label_y: int,
    top: int,
    bottom: int,
    kind: str,
    label: str,
) -> Markup:
    key = (
        Markup('<circle cx="6" cy="{}" r="4.5" fill="{}"/>').format(
            num(label_y - 4.5), CURRENT_COLOUR
        )
        if kind == "current"
        else Markup('<rect x="2" y="{}" width="9" height="9" fill="{}"/>').format(
            num(label_y - 9), FREQUENCY_COLOUR
        )
    )
    out = [
        Markup(
            '<g class="chart-axis chart-axis-{}">{}'
            '<text class="chart-axis-title" x="16" y="{}">{}</text>'
        ).format(kind, key, label_y, label)
    ]
    for y, tick in ticks:
        out.append(
            Markup(
                '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}" '
                'stroke="#dee2e6" stroke-width="1"/>'
                '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>'
            ).format(LEFT, num(y), RIGHT, num(y), LEFT - 6, num(y + 4.5), tick)
        )
    out.append(
        Markup(
            '<line class="chart-axis-line" x1="{l}" y1="{t}" x2="{l}" y2="{b}" '
            'stroke="#6c757d" stroke-width="1"/>'
            '<line class="chart-axis-line" x1="{l}" y1="{b}" x2="{r}" y2="{b}" '
            'stroke="#6c757d" stroke-width="1"/></g>'
        ).format(l=LEFT, t=top, b=bottom, r=RIGHT)
    )
    return Markup("").join(out)


def session_axis(first: int, last: int, x_of, adverse: bool) -> Markup:
    """Session numbers, the axis title and, when one is drawn, the adverse key."""
    count = last - first + 1
    # At most about 20 labels: every session, or every 2nd, 5th, 10th...
    every = next(
        (s for s in (1, 2, 5, 10, 20, 50, 100) if count / s <= 20),
        math.ceil(count / 20),
    )
    out = [Markup('<g class="chart-sessions">')]
    for session in range(first, last + 1):
        if session % every == 0 or every == 1:
            out.append(
                Markup(
                    '<text class="chart-tick" x="{}" y="{}" text-anchor="middle">'
                    "{}</text>"
                ).format(num(x_of(session)), TICK_Y, session)
            )
    out.append(
        Markup(
            '<text class="chart-axis-title" x="{}" y="{}" text-anchor="middle">'
            "Session number</text>"
        ).format(num((LEFT + RIGHT) / 2), AXIS_TITLE_Y)
    )
    if adverse:
        out.append(
            Markup(
                '<g class="chart-legend"><path d="{}" fill="{}"/>'
                '<text x="{}" y="{}" text-anchor="end">Adverse sensation</text></g>'
            ).format(
                triangle(RIGHT - 129, AXIS_TITLE_Y - 10),
                ADVERSE_COLOUR,
                RIGHT,
                AXIS_TITLE_Y,
            )
        )
    out.append(Markup("</g>"))
    return Markup("").join(out)
