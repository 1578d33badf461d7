"""Journey 8: an esthetician opens the trends of a client's series and can read
them: each chart names its zone, its quantities with units and the session
axis, in text of at least 12 CSS px (issue 15, item 10: about 5-7 px on a
tablet, the zone only in a tooltip). Checked at the journey's viewport and at
820 px, a tablet in portrait."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import find_client

ESTHETICIAN = "esthetician@demo.clinic"
CLIENT = "Chloé Martin"  # a series in progress with signed visits in the demo
SMALLEST_PX = 12

# Every text of every chart: its words and its size on screen, in CSS px.
_TEXTS = """() => [...document.querySelectorAll("svg.trend-chart")].map(svg => ({
  texts: [...svg.querySelectorAll("text")].map(t => {
    const m = t.getScreenCTM();
    const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    return {text: t.textContent, cls: t.getAttribute("class") || "", px};
  }),
}))"""


def test_trend_charts_are_titled_labelled_and_readable(journey):
    page = journey.sign_in(ESTHETICIAN)
    find_client(journey, page, "Chloé", CLIENT)
    for summary in page.get_by_text("Trends by zone").all():
        summary.click()
    charts = page.locator("svg.trend-chart")
    expect(charts.first).to_be_visible()
    journey.step(page, "trends")

    for size in (None, {"width": 820, "height": 1180}):
        if size:
            page.set_viewport_size(size)
            journey.step(page, f"trends-{size['width']}px")
        found = page.evaluate(_TEXTS)
        assert found, "no trend chart on the profile"
        for chart in found:
            words = [t["text"] for t in chart["texts"]]
            titles = [t["text"] for t in chart["texts"] if t["cls"] == "chart-title"]
            assert len(titles) == 1 and titles[0], words
            for label in ("Current (µA)", "Frequency (Hz", "Session number"):
                assert any(w.startswith(label) for w in words), (label, words)
            small = [t for t in chart["texts"] if t["px"] < SMALLEST_PX]
            assert not small, (titles[0], small[:3])
    expect(page.locator("svg.trend-chart .chart-title").first).to_be_visible()
    journey.finish()
