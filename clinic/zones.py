"""The facial zones of a microcurrent treatment, as data.

Zones are listed in treatment order, from the neck upwards (DOMAIN.md). Left
and right are separate zones because asymmetry is tracked over a series; each
sided zone has a partner on the other side with the same ``region``.

Pure module: standard library only, safe to import anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Side = Literal["left", "right"]


@dataclass(frozen=True)
class Zone:
    """One treatable area: a stable ``code``, a display ``label``, the target muscle."""

    code: str
    label: str
    muscle: str
    side: Side | None
    region: str


def _sided(region: str, name: str, muscle: str) -> tuple[Zone, Zone]:
    return (
        Zone(f"{region}_left", f"{name} (left)", muscle, "left", region),
        Zone(f"{region}_right", f"{name} (right)", muscle, "right", region),
    )


ZONES: tuple[Zone, ...] = (
    Zone("neck", "Neck", "platysma", None, "neck"),
    *_sided("jaw", "Jawline and jowl", "masseter"),
    Zone(
        "perioral",
        "Mouth / perioral",
        "orbicularis oris, depressor anguli oris",
        None,
        "perioral",
    ),
    *_sided("nasolabial", "Nasolabial fold", "levator labii superioris"),
    *_sided("cheek", "Cheek", "zygomaticus"),
    *_sided("eye", "Eye / periorbital", "orbicularis oculi"),
    Zone("brow", "Brow and glabella", "corrugator", None, "brow"),
    Zone("forehead", "Forehead", "frontalis", None, "forehead"),
)
"""Every zone, in treatment order (neck upwards)."""

ZONE_CODES: tuple[str, ...] = tuple(zone.code for zone in ZONES)

_BY_CODE: dict[str, Zone] = {zone.code: zone for zone in ZONES}
_ORDER: dict[str, int] = {code: index for index, code in enumerate(ZONE_CODES)}

PAIRS: tuple[tuple[str, str], ...] = tuple(
    (f"{zone.region}_left", f"{zone.region}_right")
    for zone in ZONES
    if zone.side == "left"
)
"""(left, right) code pairs, in treatment order."""


def zone_by_code(code: str) -> Zone:
    """The zone with this code. Raises ``KeyError`` if the code is unknown."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown zone code: {code!r}") from None


def is_zone_code(code: object) -> bool:
    """True if ``code`` names a zone of the catalogue."""
    return isinstance(code, str) and code in _BY_CODE


def partner(code: str) -> Zone | None:
    """The same zone on the other side, or None for a midline zone.

    Raises ``KeyError`` if the code is unknown.
    """
    zone = zone_by_code(code)
    if zone.side is None:
        return None
    other = "right" if zone.side == "left" else "left"
    return _BY_CODE[f"{zone.region}_{other}"]


def ordered(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes deduplicated and in catalogue order.

    Raises ``KeyError`` if any code is unknown, ``TypeError`` if ``codes`` is a
    single string (a common slip that would otherwise iterate its letters).
    """
    if isinstance(codes, str):
        raise TypeError("codes must be an iterable of zone codes, not a string")
    unique = set(codes)
    for code in unique:
        zone_by_code(code)
    return tuple(sorted(unique, key=_ORDER.__getitem__))


def format_zones(codes: Iterable[str]) -> str:
    """Labels joined by ", " in catalogue order, e.g. "Cheek (left), Forehead".

    Duplicates are dropped; no codes gives "". Raises ``KeyError`` if any code
    is unknown.
    """
    return ", ".join(_BY_CODE[code].label for code in ordered(codes))
