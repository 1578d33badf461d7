"""The face map: an inline SVG diagram of the treatment zones and their state.

Front view, as the esthetician sees the client: the client's LEFT side is on
the viewer's RIGHT (the caption says so). Every zone of ``clinic.zones`` has
one shape, a short visible label ("L cheek") and, for excluded and adverse
zones, a hatch or a marker (a cross, "!"), so state is never told by colour alone.

The SVG obeys the app's Content-Security-Policy: no ``style`` attribute, no
script; looks come from presentation attributes (so the map also reads without
the stylesheet, e.g. when printed) and classes that app.css refines (focus,
hover). Every text goes through ``Markup.format``, which escapes it.

Pure module: standard library and markupsafe only.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from markupsafe import Markup

from clinic.zones import ZONES, Zone, is_zone_code

WIDTH, HEIGHT = 320, 400


class ZoneState(enum.Enum):
    """What happened to a zone in a visit (or a summary of it)."""

    NOT_TREATED = "not_treated"
    TREATED = "treated"
    EXCLUDED = "excluded"
    ADVERSE = "adverse"


STATE_TEXT: dict[ZoneState, str] = {
    ZoneState.TREATED: "treated",
    ZoneState.ADVERSE: "treated, adverse sensation",
    ZoneState.EXCLUDED: "excluded (contraindicated)",
    ZoneState.NOT_TREATED: "not treated",
}

# Fill, stroke, stroke width, dash: colour-blind-safe hues that also differ in
# lightness; the dash and the markers carry the state without any colour.
_LOOK: dict[ZoneState, tuple[str, str, str, str | None]] = {
    ZoneState.NOT_TREATED: ("#f8f9fa", "#6c757d", "1.2", "4 3"),
    ZoneState.TREATED: ("#7cc8b4", "#1d6b58", "1.5", None),
    ZoneState.EXCLUDED: ("#d6d6d6", "#4a4a4a", "1.5", None),
    ZoneState.ADVERSE: ("#f5a3a3", "#b00020", "2.5", None),
}

_MARKER: dict[ZoneState, str] = {
    ZoneState.EXCLUDED: "\N{MULTIPLICATION SIGN}",
    ZoneState.ADVERSE: "!",
}

_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class _Place:
    """Where a zone is drawn: its shape, its label and its marker."""

    shape: Markup  # geometry attributes of a <path> or <ellipse>
    tag: Markup  # the element name, a literal
    label: tuple[float, float]
    marker: tuple[float, float]


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> Markup:
    return Markup('cx="{}" cy="{}" rx="{}" ry="{}"').format(cx, cy, rx, ry)


def _mirror_path(d: str) -> str:
    """The same path reflected about the face's midline (x = 160)."""
    tokens = re.findall(r"[A-Za-z]|-?\d+(?:\.\d+)?", d)
    out: list[str] = []
    axis = 0  # 0 for x, 1 for y; every command here takes absolute x,y pairs
    for token in tokens:
        if token.isalpha():
            out.append(token)
            axis = 0
            continue
        value = float(token)
        out.append(f"{WIDTH - value:g}" if axis == 0 else f"{value:g}")
        axis = 1 - axis
    return " ".join(out)


_ELLIPSE, _PATH = Markup("ellipse"), Markup("path")

# Client's right side is drawn on the viewer's left (x < 160).
_JAW_RIGHT = "M 70 206 C 74 236 96 270 134 290 L 139 276 C 108 258 92 232 88 204 Z"
_FOLD_RIGHT = (
    "M 141 198 C 131 212 126 228 128 248 L 137 248 C 136 231 140 215 147 203 Z"
)

_PLACES: dict[str, _Place] = {
    "forehead": _Place(_ellipse(160, 68, 74, 30), _ELLIPSE, (160, 72), (222, 52)),
    "brow": _Place(_ellipse(160, 124, 15, 17), _ELLIPSE, (160, 127), (176, 108)),
    "eye_right": _Place(_ellipse(116, 141, 29, 18), _ELLIPSE, (116, 154), (90, 127)),
    "eye_left": _Place(_ellipse(204, 141, 29, 18), _ELLIPSE, (204, 154), (230, 127)),
    "cheek_right": _Place(_ellipse(98, 186, 27, 19), _ELLIPSE, (98, 190), (78, 171)),
    "cheek_left": _Place(_ellipse(222, 186, 27, 19), _ELLIPSE, (222, 190), (242, 171)),
    "nasolabial_right": _Place(
        Markup('d="{}"').format(_FOLD_RIGHT), _PATH, (110, 226), (122, 204)
    ),
    "nasolabial_left": _Place(
        Markup('d="{}"').format(_mirror_path(_FOLD_RIGHT)),
        _PATH,
        (210, 226),
        (198, 204),
    ),
    "perioral": _Place(_ellipse(160, 248, 22, 20), _ELLIPSE, (160, 262), (160, 279)),
    "jaw_right": _Place(
        Markup('d="{}"').format(_JAW_RIGHT), _PATH, (84, 290), (78, 232)
    ),
    "jaw_left": _Place(
        Markup('d="{}"').format(_mirror_path(_JAW_RIGHT)),
        _PATH,
        (236, 290),
        (242, 232),
    ),
    "neck": _Place(_ellipse(160, 326, 36, 17), _ELLIPSE, (160, 330), (194, 312)),
}

_SHORT: dict[str, str] = {
    "neck": "Neck",
    "jaw": "jaw",
    "perioral": "Mouth",
    "nasolabial": "fold",
    "cheek": "cheek",
    "eye": "eye",
    "brow": "Brow",
    "forehead": "Forehead",
}

# Head, ears, neck and shoulders, under the zones.
_FACE = Markup(
    '<g class="facemap-face" aria-hidden="true">'
    '<path class="facemap-skin" fill="#fbf3ec" stroke="#8c7b70" stroke-width="2" '
    'd="M 122 282 L 120 344 C 90 352 50 360 26 384 L 294 384 '
    'C 270 360 230 352 200 344 L 198 282 Z"/>'
    '<path class="facemap-skin" fill="#fbf3ec" stroke="#8c7b70" stroke-width="2" '
    'd="M 60 150 C 44 142 40 176 52 196 C 56 204 62 206 66 204 Z '
    'M 260 150 C 276 142 280 176 268 196 C 264 204 258 206 254 204 Z"/>'
    '<path class="facemap-skin" fill="#fbf3ec" stroke="#8c7b70" stroke-width="2" '
    'd="M 160 22 C 226 22 262 62 262 136 C 262 190 252 228 230 258 '
    "C 210 284 188 300 160 302 C 132 300 110 284 90 258 "
    'C 68 228 58 190 58 136 C 58 62 94 22 160 22 Z"/>'
    "</g>"
)


# Brows, eyes, nose and mouth, over the zones (so a coloured zone does not
# hide them) and transparent to the pointer.
_FEATURES = Markup(
    '<g class="facemap-features" aria-hidden="true" pointer-events="none" '
    'fill="none" stroke="#a8978c" stroke-width="1.5" stroke-linecap="round">'
    '<path d="M 92 116 C 104 106 124 106 140 112 M 228 116 C 216 106 196 106 180 112"/>'
    '<path d="M 100 140 C 108 133 124 133 132 140 C 124 146 108 146 100 140 Z '
    'M 220 140 C 212 133 196 133 188 140 C 196 146 212 146 220 140 Z"/>'
    '<path d="M 154 148 C 152 170 148 186 146 196 C 150 204 170 204 174 196 '
    'C 172 186 168 170 166 148"/>'
    '<path d="M 144 244 C 152 240 168 240 176 244 C 168 250 152 250 144 244 Z"/>'
    "</g>"
)


def zone_legend() -> list[tuple[str, str]]:
    """(state value, human text) for each state, in the order a key shows them."""
    return [(state.value, text) for state, text in STATE_TEXT.items()]


def short_label(zone: Zone) -> str:
    """The label drawn on the map: "L cheek", "Forehead"."""
    short = _SHORT.get(zone.region, zone.region)
    if zone.side is None:
        return short
    return f"{'L' if zone.side == 'left' else 'R'} {short}"


def _coerce(states: Mapping[str, ZoneState | str]) -> dict[str, ZoneState]:
    for code in states:
        if not is_zone_code(code):
            raise ValueError(f"unknown zone code: {code!r}")
    # ZoneState(...) accepts a member or its value; anything else is ValueError.
    return {
        zone.code: ZoneState(states.get(zone.code, ZoneState.NOT_TREATED))
        for zone in ZONES
    }


def _summary(states: dict[str, ZoneState]) -> str:
    parts = ["Front view: the client's left side is on the right of the picture."]
    for state, text in STATE_TEXT.items():
        labels = [zone.label for zone in ZONES if states[zone.code] is state]
        if labels:
            parts.append(f"{text.capitalize()}: {', '.join(labels)}.")
    return " ".join(parts)


def _zone(zone: Zone, state: ZoneState, href: str | None, hatch_id: str) -> Markup:
    place = _PLACES[zone.code]
    fill, stroke, width, dash = _LOOK[state]
    shape = Markup(
        '<{} class="zone zone-{}" {} fill="{}" stroke="{}" stroke-width="{}"'
    ).format(place.tag, state.value, place.shape, fill, stroke, width)
    if dash:
        shape += Markup(' stroke-dasharray="{}"').format(dash)
    shape += Markup("/>")
    if state is ZoneState.EXCLUDED:
        # A second copy of the geometry carries the hatch, so the class-driven
        # fill of the shape underneath stays free for the stylesheet.
        shape += Markup('<{} class="zone-hatch" {} fill="url(#{})"/>').format(
            place.tag, place.shape, hatch_id
        )
    label_x, label_y = place.label
    body = shape + Markup(
        '<text class="zone-label" x="{}" y="{}" text-anchor="middle" '
        'fill="#1a1a1a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" '
        'paint-order="stroke">'
        "{}</text>"
    ).format(label_x, label_y, short_label(zone))
    marker = _MARKER.get(state)
    if marker:
        mx, my = place.marker
        body += Markup(
            '<g class="zone-marker zone-marker-{}">'
            '<circle cx="{}" cy="{}" r="7" fill="#ffffff" stroke="{}" '
            'stroke-width="1.5"/>'
            '<text x="{}" y="{}" text-anchor="middle" fill="{}" font-weight="bold">'
            "{}</text></g>"
        ).format(state.value, mx, my, stroke, mx, my + 3.5, stroke, marker)
    title = Markup("<title>{}: {}</title>").format(zone.label, STATE_TEXT[state])
    if href is None:
        return Markup('<g class="zone-item" data-zone="{}">{}{}</g>').format(
            zone.code, title, body
        )
    return Markup(
        '<a class="zone-item zone-link" data-zone="{}" href="{}">{}{}</a>'
    ).format(zone.code, href, title, body)


def render_face_map(
    states: Mapping[str, ZoneState | str],
    *,
    link: Callable[[str], str] | None = None,
    title: str,
    id_prefix: str = "facemap",
) -> Markup:
    """The face map as an inline ``<svg>`` element.

    ``states`` maps zone codes to their state (a ``ZoneState`` or its value);
    zones left out are NOT_TREATED. With ``link``, each zone is an ``<a>``
    whose href is ``link(code)`` (keyboard operable, named by its title) and
    the SVG is a ``group``; without, it is one ``img`` described in words.
    ``id_prefix`` starts every id, so a page can hold several maps.

    Raises ``ValueError`` for an unknown zone code, a value that is not a
    state, or an ``id_prefix`` that is not a plain identifier.
    """
    if not _PREFIX.match(id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier: {id_prefix!r}")
    resolved = _coerce(states)
    title_id, desc_id, hatch_id = (
        f"{id_prefix}-{n}" for n in ("title", "desc", "hatch")
    )
    role = "group" if link is not None else "img"
    zones = Markup("").join(
        _zone(
            zone,
            resolved[zone.code],
            link(zone.code) if link is not None else None,
            hatch_id,
        )
        for zone in ZONES
    )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="facemap" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" role="{role}" aria-labelledby="{tid}" '
        'aria-describedby="{did}" font-family="system-ui, -apple-system, sans-serif" '
        'font-size="10">'
        '<title id="{tid}">{title}</title><desc id="{did}">{desc}</desc>'
        '<defs><pattern id="{hid}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#4a4a4a" stroke-width="1.5"/>'
        "</pattern></defs>"
        "{face}"
        '<g class="facemap-zones">{zones}</g>{features}'
        '<text class="facemap-caption" x="160" y="396" text-anchor="middle" '
        'font-size="10.5">Facing the client: client\'s LEFT is on your RIGHT</text>'
        "</svg>"
    ).format(
        w=WIDTH,
        h=HEIGHT,
        role=role,
        tid=title_id,
        did=desc_id,
        hid=hatch_id,
        title=title,
        desc=_summary(resolved),
        face=_FACE,
        zones=zones,
        features=_FEATURES,
    )
