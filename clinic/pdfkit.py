"""Shared pieces of the clinic's PDF builders (aftercare sheets, client export).

Pure reportlab, no Flask: the bundled DejaVu fonts (registered once per
process), cleaning and escaping of user text for reportlab's paragraph
mini-markup, the clinic header drawn on every page, and a canvas that numbers
pages "Page N of M" per part of a document (an aftercare sheet in a day's
batch, or a whole export).

Text: all user text is cleaned (control characters dropped, NFC) and escaped,
so ``<b>`` or ``&`` in a note prints literally. DejaVu Sans is embedded as a
subset, so Latin, Greek, Cyrillic and Vietnamese names print and stay
selectable and searchable; a character the font lacks prints as U+FFFD.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    address: str
    phone: str


# --- fonts -----------------------------------------------------------------

FONT_DIR = Path(__file__).parent / "aftercare" / "fonts"
FONT = "ClinicDejaVuSans"
FONT_BOLD = "ClinicDejaVuSans-Bold"
_fonts_lock = threading.Lock()
_fonts_registered = False
_printable: frozenset[int] = frozenset()  # code points the text can use


def register_fonts() -> None:
    """Register the bundled TrueType fonts with reportlab, once per process."""
    global _fonts_registered, _printable
    if _fonts_registered:
        return
    with _fonts_lock:
        if _fonts_registered:
            return
        regular = TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf"))
        # Only the Basic Multilingual Plane: reportlab writes a broken
        # ToUnicode entry for code points above U+FFFF (the text would not
        # extract and pypdf warns), even for the few DejaVu has.
        _printable = frozenset(c for c in regular.face.charToGlyph if c <= 0xFFFF)
        pdfmetrics.registerFont(regular)
        pdfmetrics.registerFont(
            TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        )
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
        )
        _fonts_registered = True


# --- text cleaning ---------------------------------------------------------

# Line separators other than \n become \n; remaining C0/C1 controls, lone
# surrogates and non-characters are dropped (they cannot be printed, and
# surrogates cannot even be encoded). Then any character the font cannot
# show (emoji, private use, unassigned, rare scripts) becomes U+FFFD, the
# replacement character: visibly missing rather than an empty box that
# cannot be searched; invisible format characters the font lacks are dropped.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)


def clean(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", str(text)).replace("\t", " ")
    text = _UNPRINTABLE.sub("", text)
    if text.isascii():  # all printable ASCII is in the font
        return text
    register_fonts()  # _printable is known from here on
    text = unicodedata.normalize("NFC", text)
    return "".join(_printable_char(c) for c in text)


def _printable_char(char: str) -> str:
    if char == "\n" or ord(char) in _printable:
        return char
    if unicodedata.category(char) == "Cf":
        return ""
    return "\ufffd"


def inline(text: str) -> str:
    """A one-line field (name, date, label) as plain text."""
    return " ".join(clean(text).split())


def esc(text: str) -> str:
    """Escape plain text for reportlab's paragraph markup."""
    return escape(text, {'"': "&quot;", "'": "&#39;"})


def para_markup(text: str) -> str:
    """One-line field as escaped paragraph markup."""
    return esc(inline(text))


def block_markups(text: str) -> list[str]:
    """Free text: one escaped markup per paragraph (blank-line separated);
    single line breaks are kept as <br/>."""
    blocks = re.split(r"\n[ ]*\n", clean(text).strip())
    out = []
    for block in blocks:
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            out.append("<br/>".join(esc(line) for line in lines))
    return out


# --- colours and page geometry -------------------------------------------------

INK = colors.HexColor("#1f2d2e")
MUTED = colors.HexColor("#5d6b6c")
ACCENT = colors.HexColor("#2b6f6a")
RULE = colors.HexColor("#c9d6d4")
TINT = colors.HexColor("#eef4f3")
FLAG_INK = colors.HexColor("#8a4b00")

MARGIN_X = 20 * mm
HEADER_TOP = 14 * mm  # baseline of the clinic name from the top edge
MARGIN_TOP = 30 * mm  # frame top, below the header
MARGIN_BOTTOM = 22 * mm  # frame bottom, above the footer
FOOTER_Y = 10 * mm


def fit(text: str, font: str, size: float, width: float) -> str:
    """Cut a one-line text with an ellipsis so it fits ``width`` points."""
    if width <= 0:
        return ""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if pdfmetrics.stringWidth(text[:mid] + "\u2026", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "\u2026" if lo else ""


def header_drawer(clinic: ClinicInfo):
    """``onPage`` callback drawing the clinic's name, address and phone."""
    name = inline(clinic.name)
    contact = "  \u00b7  ".join(
        part for part in (inline(clinic.address), inline(clinic.phone)) if part
    )

    def draw(canv, doc):
        width, height = doc.pagesize
        room = width - 2 * MARGIN_X
        canv.saveState()
        canv.setFillColor(ACCENT)
        canv.setFont(FONT_BOLD, 15)
        canv.drawString(
            MARGIN_X, height - HEADER_TOP - 4, fit(name, FONT_BOLD, 15, room)
        )
        canv.setFillColor(MUTED)
        canv.setFont(FONT, 9)
        canv.drawString(MARGIN_X, height - HEADER_TOP - 18, fit(contact, FONT, 9, room))
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.8)
        y = height - HEADER_TOP - 26
        canv.line(MARGIN_X, y, width - MARGIN_X, y)
        canv.restoreState()

    return draw


# --- page numbers per part -------------------------------------------------------


class PartStart(Flowable):
    """Zero-size marker at the top of each part's first page.

    When drawn it tells the canvas which part the following pages belong to,
    the footer label of that part, and an optional flag printed in bold before
    the label ("DRAFT ...", "Confidential").
    """

    def __init__(self, index: int, footer_label: str, flag: str = ""):
        super().__init__()
        self.index = index
        self.footer_label = footer_label
        self.flag = flag
        self.width = self.height = 0

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        self.canv._part = (self.index, self.footer_label, self.flag)


class NumberedCanvas(rl_canvas.Canvas):
    """A canvas that holds back every page until the end to number them.

    ``showPage`` stores the finished page's state (its content stream and
    the part it belongs to, set by ``PartStart``) instead of writing it;
    ``save`` then knows how many pages each part has, adds the footer
    "Page N of M" to each held page and writes it out. This is the well-known
    ReportLab "NumberedCanvas" (page x of y) recipe, counting per part
    instead of per document. Chosen over a two-pass build because the story
    is laid out once, so it costs nothing extra; the held pages are only a
    few kilobytes of content stream each.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._part = (0, "", "")
        self._held_pages: list[dict] = []

    def showPage(self):
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        held = self._held_pages
        per_part = Counter(state["_part"][0] for state in held)
        seen: Counter[int] = Counter()
        for state in held:
            self.__dict__.update(state)
            index, label, flag = self._part
            seen[index] += 1
            self._draw_footer(label, flag, seen[index], per_part[index])
            super().showPage()
        super().save()

    def _draw_footer(self, label: str, flag: str, page: int, pages: int) -> None:
        width, _ = self._pagesize
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, FOOTER_Y + 9, width - MARGIN_X, FOOTER_Y + 9)
        self.setFont(FONT, 8.5)
        self.setFillColor(MUTED)
        right = f"Page {page} of {pages}"
        self.drawRightString(width - MARGIN_X, FOOTER_Y, right)
        room = width - 2 * MARGIN_X - pdfmetrics.stringWidth(right, FONT, 8.5) - 12
        if flag:
            self.setFont(FONT_BOLD, 8.5)
            self.setFillColor(FLAG_INK)
            self.drawString(MARGIN_X, FOOTER_Y, flag)
            used = pdfmetrics.stringWidth(flag + "   ", FONT_BOLD, 8.5)
            self.setFont(FONT, 8.5)
            self.setFillColor(MUTED)
            self.drawString(
                MARGIN_X + used, FOOTER_Y, fit(label, FONT, 8.5, room - used)
            )
        else:
            self.drawString(MARGIN_X, FOOTER_Y, fit(label, FONT, 8.5, room))
        self.restoreState()


PAGE_SIZES = {"A4": A4, "LETTER": LETTER}


def document(
    out,
    page_size: str,
    clinic: ClinicInfo,
    *,
    title: str,
    subject: str,
    creator: str,
    invariant: bool = False,
) -> BaseDocTemplate:
    """A document of one full-width frame under the clinic's header, with the
    fonts registered; raises ValueError for a page size other than A4/LETTER.
    ``invariant`` leaves out the creation time, so equal content builds equal
    bytes. Build it with ``canvasmaker=NumberedCanvas``."""
    size = PAGE_SIZES.get(page_size)
    if size is None:
        raise ValueError(f"page size must be A4 or LETTER, not {page_size!r}")
    register_fonts()
    doc = BaseDocTemplate(
        out,
        pagesize=size,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=inline(title),
        author=inline(clinic.name),
        subject=inline(subject),
        creator=creator,
        lang="en",
        invariant=int(invariant),
        initialFontName=FONT,
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates([PageTemplate("body", [frame], onPage=header_drawer(clinic))])
    return doc
