"""Reading pages as a browser would: the forms on them, and whether any
markup that came from input turned into live HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

_TEXTISH = {"text", "email", "tel", "password", "search", "url", "hidden", ""}
_KINDS = {
    "number": "number",
    "date": "date",
    "time": "time",
    "datetime-local": "datetime",
    "checkbox": "choice",
    "radio": "choice",
}


@dataclass
class FormField:
    kind: str
    options: list[str] = field(default_factory=list)


@dataclass
class PageForm:
    action: str
    fields: dict[str, FormField] = field(default_factory=dict)
    # What a browser submits unchanged: values, ticked boxes, selected options.
    defaults: dict[str, list[str]] = field(default_factory=dict)
    # Other URLs its buttons post the same fields to (``formaction``).
    formactions: list[str] = field(default_factory=list)

    def posts_to(self, url: str, here: str) -> bool:
        return url in (self.action or here, *self.formactions)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._open = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._open = (attrs.get("method") or "get").lower() == "post"
            if self._open:
                self.forms.append(PageForm(urlsplit(attrs.get("action") or "").path))
            return
        if not self._open:
            return
        form = self.forms[-1]
        if tag in ("input", "button") and attrs.get("formaction"):
            form.formactions.append(urlsplit(attrs["formaction"]).path)
        name = attrs.get("name")
        if not name or name == "csrf_token":
            if tag == "option" and self._select:
                self._option(attrs)
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                form.fields.setdefault(name, FormField("choice"))
                return
            guessed = "text" if kind in _TEXTISH else _KINDS.get(kind, "text")
            if kind == "hidden" and (attrs.get("value") or "").isdigit():
                guessed = "id"  # a record's id the page carries along
            entry = form.fields.setdefault(name, FormField(guessed))
            ticks = kind in ("checkbox", "radio")
            value = attrs.get("value") or ("on" if ticks else "")
            if ticks:
                entry.options.append(value)
                if "checked" in attrs:
                    form.defaults.setdefault(name, []).append(value)
            else:
                form.defaults[name] = [value]
        elif tag == "select":
            form.fields.setdefault(name, FormField("choice"))
            self._select, self._select_first = name, None
        elif tag == "textarea":
            form.fields.setdefault(name, FormField("text"))
            form.defaults[name] = [""]
            self._textarea = name

    def _option(self, attrs):
        form = self.forms[-1]
        value = attrs.get("value") or ""
        form.fields[self._select].options.append(value)
        if self._select_first is None:
            self._select_first = value
        if "selected" in attrs:
            form.defaults[self._select] = [value]

    def handle_data(self, data):
        if self._textarea and self._open:
            self.forms[-1].defaults[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = False
        elif tag == "select" and self._select:
            form = self.forms[-1]
            if self._select not in form.defaults and self._select_first is not None:
                form.defaults[self._select] = [self._select_first]
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = self.forms[-1].defaults[self._textarea][0]
            self.forms[-1].defaults[self._textarea] = [text.removeprefix("\n")]
            self._textarea = None


def post_forms(html: str) -> list[PageForm]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


# --- live markup ---------------------------------------------------------------

_ALLOWED_SCRIPT = re.compile(r"^/(bootstrap/)?static/[\w./-]+$")
_FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "meta"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data"}


class _LiveMarkup(HTMLParser):
    """Collects what only injected input could have produced on our pages."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        if tag == "head":
            self._in_head = True
        if tag in _FORBIDDEN_TAGS and not (tag == "meta" and self._in_head):
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name in _URL_ATTRS and value:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                if squeezed.startswith(("javascript:", "vbscript:", "data:text")):
                    self.problems.append(f"<{tag} {name}={value!r}> script URL")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not _ALLOWED_SCRIPT.match(src):
                self.problems.append(f"<script src={src!r}> not a local asset")
        if tag == "img" and (dict(attrs).get("src") or "") in ("x", "/etc/passwd"):
            self.problems.append("injected <img>")

    def handle_endtag(self, tag):
        if tag == "head":
            self._in_head = False

    def handle_data(self, data):
        if self.lasttag == "script" and data.strip():
            self.problems.append(f"inline script {data[:40]!r}")


def live_markup(html: str) -> list[str]:
    """Injected elements, handlers or script URLs found in ``html`` ([] if none)."""
    parser = _LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.problems
