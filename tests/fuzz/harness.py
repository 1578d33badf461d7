"""The fuzz loop shared by the form, login and tablet tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hypothesis import event, note
from hypothesis import strategies as st

from tests.fuzz.pages import PageForm, live_markup, post_forms
from tests.fuzz.strategies import text_values, value_for
from tests.fuzz.targets import Target
from tests.fuzz.world import World
from tests.helpers import _CSRF


@dataclass
class Tally:
    """Counts for the closing note (printed with ``-s``)."""

    examples: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int) -> None:
        self.examples += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


TALLY = Tally()


def token_of(html: str) -> str | None:
    match = _CSRF.search(html)
    return next(group for group in match.groups() if group) if match else None


def the_form(browser, target: Target, world: World) -> PageForm:
    """The form the target's page shows for its URL (empty for page-less rows)."""
    url = urlsplit(target.url(world)).path
    page = target.page_url(world)
    if page is None:
        return PageForm(url)
    response = browser.get(page)
    assert response.status_code == 200, (page, response.status_code)
    found = post_forms(response.get_data(as_text=True))
    here = urlsplit(page).path  # action="" posts back to the page itself
    matching = [form for form in found if form.posts_to(url, here)]
    assert matching, (
        f"{page} shows no POST form for {url} (forms: {[f.action for f in found]});"
        " fix the page of this row in tests/fuzz/targets.py"
    )
    # Several buttons may post to one URL (slot buttons): the first is enough.
    return matching[0]


def fresh_token(browser, target: Target, world: World) -> str:
    """A CSRF token of the browser's session, from a page that shows one."""
    for page in (target.page_url(world), "/login", "/dashboard"):
        if page is None:
            continue
        token = token_of(browser.get(page).get_data(as_text=True))
        if token:
            return token
    raise AssertionError("no page gave a CSRF token")


@st.composite
def submissions(draw, form: PageForm, base: dict) -> dict:
    """The browser's own submission with some fields replaced by hostile values."""
    data = {name: list(values) for name, values in form.defaults.items()}
    data.update({name: [value] for name, value in base.items()})
    names = sorted(set(form.fields) | set(base))
    if names:
        chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=4))
        for name in chosen:
            kind = form.fields[name].kind if name in form.fields else "text"
            data[name] = [draw(value_for(kind), label=name)]
    if not names or draw(st.booleans()):
        junk = draw(st.sampled_from(["x", "id", "csrf_token2", "items-99-text", "__"]))
        data[junk] = [draw(text_values, label="junk")]
    return data


_BIG = 2 * 1024 * 1024  # MAX_CONTENT_LENGTH


def send(browser, url: str, data: dict, token: str):
    response = browser.post(url, data={**data, "csrf_token": token})
    status = response.status_code
    TALLY.add(status)
    event(f"status {status}")
    note(f"POST {url} -> {status}")
    assert status < 500, f"POST {url} answered {status}"
    return response


def check_page(response, where: str) -> None:
    """An HTML answer carries no live markup from the input."""
    if response.mimetype != "text/html":
        return
    problems = live_markup(response.get_data(as_text=True))
    assert not problems, f"{where}: {problems}"


def follow(browser, response) -> None:
    """After a success, the page it leads to must be clean too."""
    if response.status_code in (301, 302, 303) and response.location:
        location = urlsplit(response.location)
        if location.netloc not in ("", "localhost"):
            raise AssertionError(f"redirect off site: {response.location}")
        query = f"?{location.query}" if location.query else ""
        page = browser.get(location.path + query)
        assert page.status_code < 500, (response.location, page.status_code)
        check_page(page, response.location)
