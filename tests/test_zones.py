"""The facial zone catalogue."""

from __future__ import annotations

import dataclasses

import pytest

from clinic.zones import (
    PAIRS,
    ZONE_CODES,
    ZONES,
    Zone,
    format_zones,
    is_zone_code,
    ordered,
    partner,
    zone_by_code,
)

TREATMENT_ORDER = (
    "neck",
    "jaw_left",
    "jaw_right",
    "perioral",
    "nasolabial_left",
    "nasolabial_right",
    "cheek_left",
    "cheek_right",
    "eye_left",
    "eye_right",
    "brow",
    "forehead",
)


def test_twelve_zones_in_treatment_order_from_the_neck_up():
    assert len(ZONES) == 12
    assert ZONE_CODES == TREATMENT_ORDER
    assert len(set(ZONE_CODES)) == 12


def test_labels_name_the_side():
    assert zone_by_code("jaw_left").label == "Jawline and jowl (left)"
    assert zone_by_code("eye_right").label == "Eye / periorbital (right)"
    assert zone_by_code("cheek_left").label == "Cheek (left)"
    assert zone_by_code("forehead").label == "Forehead"
    assert len({zone.label for zone in ZONES}) == 12


def test_zone_data():
    neck = zone_by_code("neck")
    assert neck == Zone("neck", "Neck", "platysma", None, "neck")
    assert zone_by_code("cheek_right").muscle == "zygomaticus"
    assert zone_by_code("eye_left").muscle == "orbicularis oculi"
    assert zone_by_code("brow").muscle == "corrugator"
    assert zone_by_code("forehead").muscle == "frontalis"
    assert zone_by_code("jaw_right").side == "right"
    assert all(zone.side in (None, "left", "right") for zone in ZONES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        neck.label = "Throat"  # type: ignore[misc]


def test_sides_and_pairs():
    assert PAIRS == (
        ("jaw_left", "jaw_right"),
        ("nasolabial_left", "nasolabial_right"),
        ("cheek_left", "cheek_right"),
        ("eye_left", "eye_right"),
    )
    for left, right in PAIRS:
        assert partner(left) == zone_by_code(right)
        assert partner(right) == zone_by_code(left)
        assert zone_by_code(left).region == zone_by_code(right).region
    for code in ("neck", "perioral", "brow", "forehead"):
        assert zone_by_code(code).side is None
        assert partner(code) is None


def test_format_zones_uses_catalogue_order_and_drops_duplicates():
    assert format_zones(["forehead", "cheek_left"]) == "Cheek (left), Forehead"
    assert format_zones(("forehead", "cheek_left", "forehead")) == (
        "Cheek (left), Forehead"
    )
    assert format_zones([]) == ""
    assert format_zones(reversed(ZONE_CODES)).startswith("Neck, Jawline and jowl")
    assert ordered(["eye_right", "neck", "eye_right"]) == ("neck", "eye_right")


def test_unknown_codes():
    with pytest.raises(KeyError, match="chin"):
        zone_by_code("chin")
    with pytest.raises(KeyError):
        partner("chin")
    with pytest.raises(KeyError):
        format_zones(["neck", "chin"])
    with pytest.raises(TypeError):
        format_zones("neck")
    assert is_zone_code("neck")
    assert not is_zone_code("chin")
    assert not is_zone_code(None)
