"""Aftercare sheets as PDF: a pure builder from plain data to PDF bytes.

No Flask, no database and no clock: the caller turns durations into local
date-time texts and passes everything in. The same input always gives the
same bytes (reportlab's ``invariant`` mode fixes the creation date and the
document id), so the SHA-256 of a reprint matches the original print.

Layout: one Platypus document; every sheet starts on a new page and may flow
over several. Each page has a header (clinic name, address, phone) and a
footer with the client's name and "Page N of M", where M counts the pages of
*that* sheet, so a day's batch prints "Page 1 of 2", "Page 2 of 2",
"Page 1 of 1", ... per client. See ``_SheetCanvas`` for how.

Text: all user text is cleaned (control characters dropped, NFC) and escaped
for reportlab's paragraph mini-markup, so ``<b>`` or ``&`` in a note prints
literally. DejaVu Sans (bundled in ``fonts/`` with its licence) is embedded
as a subset, so Latin, Greek, Cyrillic and Vietnamese names print and stay
selectable and searchable.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

__all__ = [
    "ClinicInfo",
    "Instruction",
    "NextSession",
    "Sheet",
    "build_pdf",
    "sha256_hex",
]

PAGE_SIZES = {"A4": A4, "LETTER": LETTER}
DRAFT_TEXT = "DRAFT \u2013 visit not signed"


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class Instruction:
    """One aftercare item; ``until`` is a ready local date-time text or None."""

    text: str
    until: str | None


@dataclass(frozen=True)
class NextSession:
    label: str  # "Session 4 of 10"
    when: str  # "Tuesday 2 December, 10:30"


@dataclass(frozen=True)
class Sheet:
    """Everything printed on one client's sheet, already formatted as text.

    ``contact_if`` is the condition that follows "Contact us if" ("redness or
    irritation lasts more than 24 hours."); a text that already starts with
    "Contact us" is printed as it is. Empty optional texts are left out.
    """

    client_name: str
    visit_date: str
    esthetician: str
    service: str
    title: str
    treated_zones: tuple[str, ...]
    untreated_zones: tuple[str, ...]
    instructions: tuple[Instruction, ...]
    general_notes: str
    contact_if: str
    next_sessions: tuple[NextSession, ...]
    sessions_remaining: int | None
    personal_note: str
    draft: bool = False


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- fonts -----------------------------------------------------------------

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "ClinicDejaVuSans"
FONT_BOLD = "ClinicDejaVuSans-Bold"
_fonts_lock = threading.Lock()
_fonts_registered = False
_printable: frozenset[int] = frozenset()  # code points the text can use


def _register_fonts() -> None:
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


def _clean(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", str(text)).replace("\t", " ")
    text = _UNPRINTABLE.sub("", text)
    if text.isascii():  # all printable ASCII is in the font
        return text
    _register_fonts()  # _printable is known from here on
    text = unicodedata.normalize("NFC", text)
    return "".join(_printable_char(c) for c in text)


def _printable_char(char: str) -> str:
    if char == "\n" or ord(char) in _printable:
        return char
    if unicodedata.category(char) == "Cf":
        return ""
    return "\ufffd"


def _inline(text: str) -> str:
    """A one-line field (name, date, label) as plain text."""
    return " ".join(_clean(text).split())


def _esc(text: str) -> str:
    """Escape plain text for reportlab's paragraph markup."""
    return escape(text, {'"': "&quot;", "'": "&#39;"})


def _para_markup(text: str) -> str:
    """One-line field as escaped paragraph markup."""
    return _esc(_inline(text))


def _block_markups(text: str) -> list[str]:
    """Free text: one escaped markup per paragraph (blank-line separated);
    single line breaks are kept as <br/>."""
    blocks = re.split(r"\n[ ]*\n", _clean(text).strip())
    out = []
    for block in blocks:
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            out.append("<br/>".join(_esc(line) for line in lines))
    return out


# --- styles ----------------------------------------------------------------

INK = colors.HexColor("#1f2d2e")
MUTED = colors.HexColor("#5d6b6c")
ACCENT = colors.HexColor("#2b6f6a")
RULE = colors.HexColor("#c9d6d4")
TINT = colors.HexColor("#eef4f3")
DRAFT_BG = colors.HexColor("#fff1d6")
DRAFT_INK = colors.HexColor("#8a4b00")

BODY_SIZE = 11
MARGIN_X = 20 * mm
HEADER_TOP = 14 * mm  # baseline of the clinic name from the top edge
MARGIN_TOP = 30 * mm  # frame top, below the header
MARGIN_BOTTOM = 22 * mm  # frame bottom, above the footer
FOOTER_Y = 10 * mm


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body",
        fontName=FONT,
        fontSize=BODY_SIZE,
        leading=15,
        textColor=INK,
        alignment=TA_LEFT,
        spaceAfter=4,
    )
    return {
        "body": body,
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=24,
            leading=28,
            textColor=ACCENT,
            spaceAfter=2,
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            parent=body,
            fontSize=13,
            leading=17,
            textColor=MUTED,
            spaceAfter=8,
        ),
        "label": ParagraphStyle(
            "label",
            parent=body,
            fontSize=8,
            leading=10,
            textColor=MUTED,
            spaceAfter=1,
        ),
        "value": ParagraphStyle("value", parent=body, spaceAfter=0),
        "client": ParagraphStyle(
            "client",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=13,
            leading=16,
            spaceAfter=0,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=12.5,
            leading=16,
            textColor=ACCENT,
            spaceBefore=9,
            spaceAfter=4,
        ),
        "bullet": ParagraphStyle(
            "bullet",
            parent=body,
            leftIndent=14,
            bulletIndent=3,
            bulletFontName=FONT,
            bulletFontSize=BODY_SIZE,
            spaceAfter=3,
        ),
        "note": ParagraphStyle("note", parent=body, spaceAfter=6),
        "cell": ParagraphStyle("cell", parent=body, spaceAfter=0),
        "cellhead": ParagraphStyle(
            "cellhead",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=9,
            leading=12,
            textColor=MUTED,
            spaceAfter=0,
        ),
        "contact": ParagraphStyle(
            "contact",
            parent=body,
            backColor=TINT,
            borderColor=RULE,
            borderWidth=0.6,
            borderPadding=(7, 8, 7, 8),
            borderRadius=3,
            spaceBefore=14,
            spaceAfter=4,
            leftIndent=8,
            rightIndent=8,
        ),
        "draft": ParagraphStyle(
            "draft",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=14,
            leading=18,
            textColor=DRAFT_INK,
            backColor=DRAFT_BG,
            borderColor=DRAFT_INK,
            borderWidth=1,
            borderPadding=(6, 8, 6, 8),
            borderRadius=3,
            spaceBefore=4,
            spaceAfter=14,
            leftIndent=8,
            rightIndent=8,
        ),
    }


# --- page furniture ----------------------------------------------------------


class _SheetStart(Flowable):
    """Zero-size marker at the top of each sheet's first page.

    When drawn it tells the canvas which sheet the following pages belong
    to (and the footer label and draft flag of that sheet).
    """

    def __init__(self, index: int, footer_label: str, draft: bool):
        super().__init__()
        self.index = index
        self.footer_label = footer_label
        self.draft = draft
        self.width = self.height = 0

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        self.canv._sheet = (self.index, self.footer_label, self.draft)


class _SheetCanvas(rl_canvas.Canvas):
    """A canvas that holds back every page until the end to number them.

    ``showPage`` stores the finished page's state (its content stream and
    the sheet it belongs to, set by ``_SheetStart``) instead of writing it;
    ``save`` then knows how many pages each sheet has, adds the footer
    "Page N of M" to each held page and writes it out. This is the well-known
    ReportLab "NumberedCanvas" (page x of y) recipe, counting per sheet
    instead of per document. Chosen over a two-pass build because the story
    is laid out once, so it costs nothing extra; the held pages are only a
    few kilobytes of content stream each.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sheet = (0, "", False)
        self._held_pages: list[dict] = []

    def showPage(self):
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        held = self._held_pages
        per_sheet = Counter(state["_sheet"][0] for state in held)
        seen: Counter[int] = Counter()
        for state in held:
            self.__dict__.update(state)
            index, label, draft = self._sheet
            seen[index] += 1
            self._draw_footer(label, draft, seen[index], per_sheet[index])
            super().showPage()
        super().save()

    def _draw_footer(self, label: str, draft: bool, page: int, pages: int) -> None:
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
        if draft:
            self.setFont(FONT_BOLD, 8.5)
            self.setFillColor(DRAFT_INK)
            self.drawString(MARGIN_X, FOOTER_Y, DRAFT_TEXT)
            used = pdfmetrics.stringWidth(DRAFT_TEXT + "   ", FONT_BOLD, 8.5)
            self.setFont(FONT, 8.5)
            self.setFillColor(MUTED)
            self.drawString(
                MARGIN_X + used, FOOTER_Y, _fit(label, FONT, 8.5, room - used)
            )
        else:
            self.drawString(MARGIN_X, FOOTER_Y, _fit(label, FONT, 8.5, room))
        self.restoreState()


def _fit(text: str, font: str, size: float, width: float) -> str:
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


def _header_drawer(clinic: ClinicInfo):
    name = _inline(clinic.name)
    contact = "  \u00b7  ".join(
        part for part in (_inline(clinic.address), _inline(clinic.phone)) if part
    )

    def draw(canv, doc):
        width, height = doc.pagesize
        room = width - 2 * MARGIN_X
        canv.saveState()
        canv.setFillColor(ACCENT)
        canv.setFont(FONT_BOLD, 15)
        canv.drawString(
            MARGIN_X, height - HEADER_TOP - 4, _fit(name, FONT_BOLD, 15, room)
        )
        canv.setFillColor(MUTED)
        canv.setFont(FONT, 9)
        canv.drawString(
            MARGIN_X, height - HEADER_TOP - 18, _fit(contact, FONT, 9, room)
        )
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.8)
        y = height - HEADER_TOP - 26
        canv.line(MARGIN_X, y, width - MARGIN_X, y)
        canv.restoreState()

    return draw


# --- the sheet ---------------------------------------------------------------


def _zones_line(label: str, zones: tuple[str, ...], st) -> Paragraph:
    names = [_inline(z) for z in zones]
    names = [n for n in names if n]
    text = _esc(", ".join(names)) if names else "none"
    return Paragraph(f"<b>{label}:</b> {text}", st["body"])


def _details_table(sheet: Sheet, width: float, st) -> Table:
    def cell(label: str, value: Paragraph) -> list:
        return [Paragraph(label, st["label"]), value]

    data = [
        [
            cell("CLIENT", Paragraph(_para_markup(sheet.client_name), st["client"])),
            cell("DATE", Paragraph(_para_markup(sheet.visit_date), st["value"])),
        ],
        [
            cell(
                "ESTHETICIAN", Paragraph(_para_markup(sheet.esthetician), st["value"])
            ),
            cell("SERVICE", Paragraph(_para_markup(sheet.service), st["value"])),
        ],
    ]
    table = Table(data, colWidths=[width * 0.5, width * 0.5], splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), TINT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), FONT, BODY_SIZE),  # not Helvetica
                ("LEFTPADDING", (0, 0), (-1, -1), 9),
                ("RIGHTPADDING", (0, 0), (-1, -1), 9),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.white),
            ]
        )
    )
    return table


def _sessions_table(sessions: tuple[NextSession, ...], width: float, st) -> Table:
    data = [
        [
            Paragraph("Session", st["cellhead"]),
            Paragraph("Date and time", st["cellhead"]),
        ]
    ]
    data += [
        [
            Paragraph(_para_markup(s.label), st["cell"]),
            Paragraph(_para_markup(s.when), st["cell"]),
        ]
        for s in sessions
    ]
    table = Table(
        data, colWidths=[width * 0.4, width * 0.6], repeatRows=1, splitInRow=1
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), FONT, BODY_SIZE),  # not Helvetica
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
            ]
        )
    )
    return table


def _heading(markup: str, st) -> list:
    """A section heading that never ends a page: start a new page when less
    than the heading and about three lines of text are left. (Not
    keepWithNext: that would push a long note whole onto the next page.)"""
    return [
        CondPageBreak(st["h2"].leading + 4 * st["body"].leading),
        Paragraph(markup, st["h2"]),
    ]


def _contact_markup(contact_if: str) -> str:
    text = " ".join(_clean(contact_if).split())
    if not text:
        return ""
    if text.lower().startswith("contact us"):
        return _esc(text)
    return f"<b>Contact us if</b> {_esc(text)}"


def _sheet_story(
    sheet: Sheet, index: int, width: float, clinic: ClinicInfo, st
) -> list:
    client = _inline(sheet.client_name)
    story: list = [_SheetStart(index, f"Aftercare \u00b7 {client}", bool(sheet.draft))]
    if sheet.draft:
        story.append(Paragraph(DRAFT_TEXT, st["draft"]))
    story.append(Paragraph("Aftercare", st["title"]))
    title = _para_markup(sheet.title)
    if title:
        story.append(Paragraph(title, st["subtitle"]))
    else:
        story.append(Spacer(1, 8))
    story.append(_details_table(sheet, width, st))
    story.append(Spacer(1, 10))
    story.append(_zones_line("Zones treated today", sheet.treated_zones, st))
    story.append(_zones_line("Zones not treated today", sheet.untreated_zones, st))

    items = []
    for item in sheet.instructions:
        text = _para_markup(item.text)
        until = _para_markup(item.until) if item.until is not None else ""
        if until:
            text = f"{text} until <b>{until}</b>" if text else f"Until <b>{until}</b>"
        if text:
            items.append(Paragraph(text, st["bullet"], bulletText="\u2022"))
    if items:
        story += _heading("After your session", st)
        story.extend(items)

    notes = _block_markups(sheet.general_notes)
    if notes:
        story.append(Spacer(1, 4))
        story.extend(Paragraph(n, st["body"]) for n in notes)

    story += _heading("Your next sessions", st)
    if sheet.next_sessions:
        story.append(_sessions_table(tuple(sheet.next_sessions), width, st))
    else:
        story.append(Paragraph("No further sessions are booked yet.", st["body"]))
    if sheet.sessions_remaining is not None:
        story.append(Spacer(1, 6))
        story.append(
            Paragraph(
                f"<b>Sessions remaining:</b> {int(sheet.sessions_remaining)}",
                st["body"],
            )
        )

    note = _block_markups(sheet.personal_note)
    if note:
        who = _para_markup(sheet.esthetician)
        story += _heading(f"A note from {who}" if who else "A personal note", st)
        story.extend(Paragraph(n, st["note"]) for n in note)

    contact = _contact_markup(sheet.contact_if)
    if contact:
        phone = _para_markup(clinic.phone).replace(" ", "\u00a0")  # keep it on one line
        if phone:
            contact += f" Call us on <b>{phone}</b>."
        story.append(Paragraph(contact, st["contact"]))
    return story


def build_pdf(
    sheets: Sequence[Sheet],
    *,
    clinic: ClinicInfo,
    page_size: str = "A4",
    title: str,
    subject: str,
) -> bytes:
    """Build one PDF with a sheet per client, each starting on a new page.

    ``page_size`` is "A4" or "LETTER". Raises ValueError for no sheets (the
    caller shows a message instead of an empty PDF) or another page size.
    """
    if not sheets:
        raise ValueError("no aftercare sheets to print")
    size = PAGE_SIZES.get(page_size)
    if size is None:
        raise ValueError(f"page size must be A4 or LETTER, not {page_size!r}")
    _register_fonts()
    st = _styles()

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=_inline(title),
        author=_inline(clinic.name),
        subject=_inline(subject),
        creator="Clinic aftercare sheets",
        lang="en",
        invariant=1,
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
    doc.addPageTemplates(
        [PageTemplate("sheet", [frame], onPage=_header_drawer(clinic))]
    )

    story: list = []
    for index, sheet in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story.extend(_sheet_story(sheet, index, doc.width, clinic, st))
    doc.build(story, canvasmaker=_SheetCanvas)
    return buffer.getvalue()
