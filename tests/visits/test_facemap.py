"""The face map SVG: one shape per zone, states in text and shape, safe markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from clinic.visits.facemap import (
    STATE_TEXT,
    ZoneState,
    render_face_map,
    short_label,
    zone_legend,
)
from clinic.zones import ZONE_CODES, ZONES, zone_by_code

SVG = "{http://www.w3.org/2000/svg}"

MIXED = {
    "neck": ZoneState.TREATED,
    "cheek_left": ZoneState.EXCLUDED,
    "jaw_right": ZoneState.ADVERSE,
    "forehead": ZoneState.NOT_TREATED,
}


def parse(markup: Markup | str) -> ET.Element:
    # Our own output, not untrusted input: the stdlib parser is fine here.
    return ET.fromstring(str(markup))  # noqa: S314


def zone_items(root: ET.Element) -> dict[str, ET.Element]:
    items = [el for el in root.iter() if el.get("data-zone")]
    codes = [el.get("data-zone") for el in items]
    assert len(codes) == len(set(codes))
    return dict(zip(codes, items, strict=True))


def shape_of(item: ET.Element) -> ET.Element:
    shapes = [el for el in item if "zone" in (el.get("class") or "").split()]
    assert len(shapes) == 1
    assert shapes[0].tag in (f"{SVG}path", f"{SVG}ellipse")
    return shapes[0]


def test_renders_well_formed_svg_with_one_shape_per_zone():
    root = parse(render_face_map(MIXED, title="Visit map"))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 320 400"
    items = zone_items(root)
    assert list(items) == list(ZONE_CODES)
    shapes = [el for el in root.iter() if "zone" in (el.get("class") or "").split()]
    assert len(shapes) == len(ZONES)


@pytest.mark.parametrize("state", list(ZoneState))
def test_each_state_sets_the_class_and_the_title(state):
    root = parse(render_face_map({"cheek_left": state}, title="Map"))
    item = zone_items(root)["cheek_left"]
    assert shape_of(item).get("class") == f"zone zone-{state.value}"
    title = item.find(f"{SVG}title").text
    assert title == f"Cheek (left): {STATE_TEXT[state]}"


def test_missing_zones_are_not_treated_and_values_are_accepted():
    root = parse(render_face_map({"neck": "treated"}, title="Map"))
    items = zone_items(root)
    assert shape_of(items["neck"]).get("class") == "zone zone-treated"
    for code in ZONE_CODES[1:]:
        assert shape_of(items[code]).get("class") == "zone zone-not_treated"


def test_every_zone_has_a_visible_short_label():
    root = parse(render_face_map({}, title="Map"))
    for code, item in zone_items(root).items():
        labels = [el.text for el in item.iter(f"{SVG}text")]
        assert short_label(zone_by_code(code)) in labels
    assert short_label(zone_by_code("cheek_left")) == "L cheek"
    assert short_label(zone_by_code("jaw_right")) == "R jaw"
    assert short_label(zone_by_code("forehead")) == "Forehead"


def test_client_left_is_drawn_on_the_viewer_right():
    root = parse(render_face_map({}, title="Map"))
    items = zone_items(root)
    for region in ("jaw", "nasolabial", "cheek", "eye"):
        left = float(items[f"{region}_left"].find(f"{SVG}text").get("x"))
        right = float(items[f"{region}_right"].find(f"{SVG}text").get("x"))
        assert left > 160 > right
    caption = "".join(root.find(f"{SVG}text[@class='facemap-caption']").itertext())
    assert "client's LEFT is on your RIGHT" in caption


def test_zones_run_from_forehead_at_the_top_to_neck_at_the_bottom():
    root = parse(render_face_map({}, title="Map"))
    y = {
        code: float(item.find(f"{SVG}text").get("y"))
        for code, item in zone_items(root).items()
    }
    assert y["forehead"] < y["brow"] < y["eye_left"] < y["cheek_left"]
    assert y["cheek_left"] < y["perioral"] < y["neck"]
    assert y["nasolabial_left"] < y["perioral"] < y["jaw_left"] < y["neck"]


def test_excluded_and_adverse_carry_a_non_colour_marker():
    root = parse(render_face_map(MIXED, title="Map"))
    items = zone_items(root)

    def markers(code):
        return [
            "".join(g.itertext())
            for g in items[code].iter(f"{SVG}g")
            if "zone-marker" in (g.get("class") or "")
        ]

    assert markers("cheek_left") == ["\N{MULTIPLICATION SIGN}"]
    assert markers("jaw_right") == ["!"]
    assert markers("neck") == [] and markers("forehead") == []
    hatch = items["cheek_left"].find(f"{SVG}*[@class='zone-hatch']")
    assert hatch.get("fill") == "url(#facemap-hatch)"
    assert items["neck"].find(f"{SVG}*[@class='zone-hatch']") is None


def test_not_treated_is_dashed_so_it_differs_without_colour():
    root = parse(render_face_map(MIXED, title="Map"))
    items = zone_items(root)
    assert shape_of(items["forehead"]).get("stroke-dasharray")
    assert shape_of(items["neck"]).get("stroke-dasharray") is None


def test_links_make_each_zone_an_anchor_and_the_svg_a_group():
    root = parse(render_face_map(MIXED, link=lambda c: f"#zone-{c}", title="Edit"))
    assert root.get("role") == "group"
    title = root.find(f"{SVG}title")
    assert root.get("aria-labelledby") == title.get("id") == "facemap-title"
    assert title.text == "Edit"
    for code, item in zone_items(root).items():
        assert item.tag == f"{SVG}a"
        assert item.get("href") == f"#zone-{code}"
        assert item[0].tag == f"{SVG}title"  # names the link


def test_without_links_there_are_no_anchors_and_the_svg_is_an_image():
    root = parse(render_face_map(MIXED, title="Summary"))
    assert root.get("role") == "img"
    assert not list(root.iter(f"{SVG}a"))
    assert "href" not in str(render_face_map(MIXED, title="Summary"))
    desc = root.find(f"{SVG}desc")
    assert root.get("aria-describedby") == desc.get("id")
    assert "Treated: Neck." in desc.text
    assert "Excluded (contraindicated): Cheek (left)." in desc.text
    assert "Jawline and jowl (right)" in desc.text
    assert "client's left side is on the right" in desc.text


def test_ids_are_prefixed_and_unique_when_rendered_twice():
    page = (
        "<div>"
        + str(render_face_map(MIXED, title="A", id_prefix="visit-1"))
        + str(render_face_map(MIXED, link=lambda c: "#" + c, title="B", id_prefix="v2"))
        + "</div>"
    )
    root = parse(page)
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 6
    assert all(i.startswith(("visit-1-", "v2-")) for i in ids)
    references = re.findall(r'(?:url\(#|aria-\w+by=")([\w-]+)', page)
    assert references and set(references) <= set(ids)


def test_bad_id_prefix_is_refused():
    with pytest.raises(ValueError, match="id_prefix"):
        render_face_map({}, title="x", id_prefix='a" onload="x')


def test_texts_are_escaped():
    nasty = '<script>alert(1)</script>&"'
    markup = render_face_map({}, link=lambda c: f'/x?a=1&b="{c}"><script>', title=nasty)
    assert "<script" not in markup
    root = parse(markup)
    assert root.find(f"{SVG}title").text == nasty
    assert zone_items(root)["neck"].get("href") == '/x?a=1&b="neck"><script>'


def test_no_style_attribute_and_no_script_anywhere():
    for link in (None, lambda c: "#" + c):
        markup = str(render_face_map(MIXED, link=link, title="Map"))
        assert "style=" not in markup
        assert "<script" not in markup.lower()
        for el in parse(markup).iter():
            assert not [name for name in el.attrib if name.startswith(("on", "style"))]
            assert el.tag != f"{SVG}script"


def test_unknown_zone_code_raises():
    with pytest.raises(ValueError, match="unknown zone code: 'ear_left'"):
        render_face_map({"ear_left": ZoneState.TREATED}, title="Map")


def test_unknown_state_raises():
    with pytest.raises(ValueError):
        render_face_map({"neck": "sparkly"}, title="Map")


def test_legend_lists_every_state_once():
    legend = zone_legend()
    assert sorted(value for value, _ in legend) == sorted(s.value for s in ZoneState)
    assert dict(legend)["excluded"] == "excluded (contraindicated)"
    assert all(text for _, text in legend)


@given(
    st.dictionaries(
        st.sampled_from(ZONE_CODES), st.sampled_from(list(ZoneState)), max_size=12
    ),
    st.booleans(),
)
def test_any_states_render_one_shape_per_zone(states, linked):
    link = (lambda code: f"/zones/{code}") if linked else None
    root = parse(render_face_map(states, link=link, title="Map", id_prefix="p"))
    items = zone_items(root)
    assert list(items) == list(ZONE_CODES)
    for code, item in items.items():
        state = states.get(code, ZoneState.NOT_TREATED)
        assert shape_of(item).get("class") == f"zone zone-{state.value}"
        assert (item.tag == f"{SVG}a") is linked
    hatches = [el for el in root.iter() if el.get("class") == "zone-hatch"]
    assert len(hatches) == sum(s is ZoneState.EXCLUDED for s in states.values())
