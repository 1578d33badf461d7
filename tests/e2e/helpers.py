"""What every journey needs: a browser page per person, a screenshot and an
axe-core scan at every step, sign-in, the menu, and PDF capture.

A journey collects accessibility violations (serious and critical), browser
errors and markup in page titles as it goes, and ``finish()`` fails the test
listing them all, so one run shows every problem instead of the first.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from pypdf import PdfReader

CLINIC_TIMEZONE = "Europe/London"
FAILING_IMPACTS = ("serious", "critical")
# Browser messages that are not problems of the page:
# - an HTTP error status the journey asked for (403, 409, 422);
# - Bootstrap's built-in data: SVG icons, refused by the CSP (img-src 'self').
#   app.css replaces each with a local file, but Playwright's polling can
#   force a style pass on a page whose app.css has not arrived yet; the
#   "data: icon" check below looks at the settled page instead.
_EXPECTED_CONSOLE = re.compile(
    r"Failed to load resource: the server responded"
    r"|Loading the image 'data:image/svg\+xml,.*Content Security Policy"
)

_axe = Axe()
# Checked on every step once the page has loaded: no sideways scrolling of
# the whole page (the tablet width), no button, menu link or badge whose
# label is cut off, and no data: image left in the styles (the CSP refuses
# them, so the icon would be missing).
_PAGE_CHECK = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    problems.push(`the page scrolls sideways (${root.scrollWidth}px wide)`);
  }
  for (const el of document.querySelectorAll(".btn, .nav-link, .badge")) {
    if (el.offsetParent && el.scrollWidth > el.clientWidth + 1) {
      const label = (el.innerText || el.value || "").trim().slice(0, 40);
      problems.push(`label cut off: "${label}"`);
    }
  }
  for (const el of document.querySelectorAll("body *")) {
    for (const pseudo of [null, "::before", "::after"]) {
      const style = getComputedStyle(el, pseudo);
      for (const value of [style.backgroundImage, style.maskImage]) {
        if (value && value.includes('url("data:')) {
          const cls = (el.getAttribute("class") || "").trim().split(/\\s+/);
          const where = [el.tagName.toLowerCase(), ...cls].join(".");
          problems.push(`data: icon refused by the CSP on ${where}${pseudo || ""}`);
        }
      }
    }
  }
  return [...new Set(problems)];
}"""


def clinic_today() -> date:
    return datetime.now(ZoneInfo(CLINIC_TIMEZONE)).date()


@dataclass
class Server:
    """The app under gunicorn, on its own database with the demo data."""

    base_url: str
    passwords: dict[str, str]  # email -> password printed by seed-demo
    viewport: dict[str, int]
    instance: Path

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass
class Journey:
    """One test's browser pages, screenshots and collected problems."""

    server: Server
    browser: Browser
    shots: Path
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    scanned: int = 0
    _count: int = 0

    # -- pages ---------------------------------------------------------------

    def new_page(self, who: str = "tablet") -> Page:
        """A page in a fresh browser context (no cookies shared with others)."""
        context = self.browser.new_context(
            viewport=self.server.viewport, accept_downloads=True, locale="en-GB"
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.problems.append(f"[{who}] JS: {exc}"))
        page.on("console", lambda msg: self._console(f"{who} {page.url}", msg))
        return page

    def _console(self, who: str, msg) -> None:
        if msg.type == "error" and not _EXPECTED_CONSOLE.search(msg.text):
            self.problems.append(f"[{who}] console: {msg.text}")

    def goto(self, page: Page, path: str, step: str, status: int = 200):
        response = page.goto(self.server.url(path))
        assert response is not None and response.status == status, (
            f"GET {path}: expected {status}, got {response and response.status}"
        )
        self.step(page, step)
        return response

    # -- every step ----------------------------------------------------------

    def step(self, page: Page, name: str, *, scan: bool = True) -> None:
        """Screenshot the page as ``<nn>-<name>.png`` and scan it with axe."""
        page.wait_for_load_state("load")
        self._count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        page.screenshot(
            path=self.shots / f"{self._count:02d}-{slug}.png", full_page=True
        )
        title = page.title()
        if "<" in title or ">" in title:
            self.problems.append(f"{name} ({page.url}): markup in <title>: {title!r}")
        for problem in page.evaluate(_PAGE_CHECK):
            self.problems.append(f"{name} ({page.url}): {problem}")
        if scan:
            self.scan(page, name)

    def scan(self, page: Page, name: str) -> None:
        self.scanned += 1
        results = _axe.run(page)
        for violation in results.response["violations"]:
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            targets = "; ".join(
                " ".join(node["target"]) for node in violation["nodes"][:6]
            )
            self.problems.append(
                f"{name} ({page.url}): axe {violation['id']} ({violation['impact']}):"
                f" {violation['help']} -> {targets}"
            )

    def finish(self) -> None:
        """Fail the test with everything collected along the way."""
        assert not self.problems, (
            f"{len(self.problems)} problem(s) on the pages of this journey:\n"
            + "\n".join(f"  - {p}" for p in self.problems)
        )

    def failure_screenshots(self) -> None:
        for c_index, context in enumerate(self.contexts):
            for p_index, page in enumerate(context.pages):
                if page.is_closed():
                    continue
                # Best effort: the test is failing already.
                with contextlib.suppress(Exception):
                    page.screenshot(
                        path=self.shots / f"99-failure-{c_index}-{p_index}.png",
                        full_page=True,
                        timeout=5_000,
                    )

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    # -- staff ---------------------------------------------------------------

    def sign_in(self, email: str) -> Page:
        """A new page signed in as ``email`` (a demo account), on the dashboard."""
        page = self.new_page(email.split("@")[0])
        self.goto(page, "/login", f"sign-in-{email.split('@')[0]}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(self.server.passwords[email])
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/dashboard$"))
        self.step(page, f"dashboard-{email.split('@')[0]}")
        return page


def open_menu(page: Page) -> None:
    """Show the main navigation (behind the toggler below 992 px)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        if toggler.get_attribute("aria-expanded") != "true":
            toggler.click()
        # Bootstrap animates the menu open ("collapsing"), then adds "show".
        expect(page.locator("#main-nav.collapse.show")).to_be_visible()
    expect(page.locator("#main-nav")).to_be_visible()


def nav_labels(page: Page) -> list[str]:
    open_menu(page)
    links = page.locator("#main-nav ul.navbar-nav").first.get_by_role("link")
    return [text.strip() for text in links.all_inner_texts()]


def click_nav(page: Page, label: str) -> None:
    open_menu(page)
    page.locator("#main-nav").get_by_role("link", name=label, exact=True).click()


def find_client(journey: Journey, page: Page, query: str, name: str) -> None:
    """Clients > search > open the profile of ``name``."""
    click_nav(page, "Clients")
    journey.step(page, "clients")
    page.get_by_label("Search clients").fill(query)
    page.get_by_role("button", name="Search", exact=True).click()
    journey.step(page, f"search-{query}")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    journey.step(page, "profile")


# -- PDFs --------------------------------------------------------------------


def capture_pdf(page: Page, click, *, timeout: float = 20.0) -> bytes:
    """Run ``click`` and return the PDF the browser receives as a result.

    The print buttons post to a new tab (``target=_blank``), where Chromium
    either shows or downloads the PDF; intercepting the document request in
    the context catches it either way, then hands it on unchanged.
    """
    context = page.context
    pdfs: list[bytes] = []
    seen: list[str] = []

    def handle(route: Route) -> None:
        request = route.request
        if request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        body = response.body()
        kind = response.headers.get("content-type", "")
        seen.append(f"{request.method} {request.url} -> {response.status} {kind}")
        if kind.startswith("application/pdf"):
            pdfs.append(body)
        route.fulfill(response=response, body=body)

    pages_before = set(context.pages)
    context.route("**/*", handle)
    try:
        click()
        deadline = time.monotonic() + timeout
        while not pdfs and time.monotonic() < deadline:
            page.wait_for_timeout(100)
    finally:
        context.unroute("**/*", handle)
        for extra in set(context.pages) - pages_before:
            extra.close()
    assert pdfs, "no PDF came back; documents requested:\n" + "\n".join(seen)
    return pdfs[0]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF"), f"not a PDF: {data[:40]!r}"
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
