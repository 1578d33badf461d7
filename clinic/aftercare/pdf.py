"""Aftercare sheets as PDF: a pure builder from plain data to PDF bytes.

No Flask, no database and no clock: the caller turns durations into local
date-time texts and passes everything in. The same input always gives the
same bytes (reportlab's ``invariant`` mode fixes the creation date and the
document id), so the SHA-256 of a reprint matches the original print.

Layout: one Platypus document; every sheet starts on a new page and may flow
over several. Each page has a header (clinic name, address, phone) and a
footer with the client's name and "Page N of M", where M counts the pages of
*that* sheet, so a day's batch prints "Page 1 of 2", "Page 2 of 2",
"Page 1 of 1", ... per client. See ``clinic.pdfkit.NumberedCanvas``
for how.

Text: all user text is cleaned (control characters dropped, NFC) and escaped
for reportlab's paragraph mini-markup, so ``<b>`` or ``&`` in a note prints
literally. DejaVu Sans (bundled in ``fonts/`` with its licence) is embedded
as a subset, so Latin, Greek, Cyrillic and Vietnamese names print and stay
selectable and searchable.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from clinic import pdfkit
from clinic.pdfkit import (
    ACCENT,
    FONT,
    FONT_BOLD,
    INK,
    MUTED,
    RULE,
    TINT,
    ClinicInfo,
    block_markups,
    clean,
    esc,
    inline,
    para_markup,
)

__all__ = [
    "ClinicInfo",
    "Instruction",
    "NextSession",
    "Sheet",
    "build_pdf",
    "sha256_hex",
]

DRAFT_TEXT = "DRAFT \u2013 visit not signed"


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
    # Booked sessions after those listed. Prints stored before this field
    # existed read 0 and reprint as they were.
    more_sessions: int = 0


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- styles ----------------------------------------------------------------

DRAFT_BG = colors.HexColor("#fff1d6")
DRAFT_INK = pdfkit.FLAG_INK

BODY_SIZE = 11


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


# --- the sheet ---------------------------------------------------------------


def _zones_line(label: str, zones: tuple[str, ...], st) -> Paragraph:
    names = [inline(z) for z in zones]
    names = [n for n in names if n]
    text = esc(", ".join(names)) if names else "none"
    return Paragraph(f"<b>{label}:</b> {text}", st["body"])


def _details_table(sheet: Sheet, width: float, st) -> Table:
    def cell(label: str, value: Paragraph) -> list:
        return [Paragraph(label, st["label"]), value]

    data = [
        [
            cell("CLIENT", Paragraph(para_markup(sheet.client_name), st["client"])),
            cell("DATE", Paragraph(para_markup(sheet.visit_date), st["value"])),
        ],
        [
            cell(
                "ESTHETICIAN",
                Paragraph(para_markup(sheet.esthetician), st["value"]),
            ),
            cell("SERVICE", Paragraph(para_markup(sheet.service), st["value"])),
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
            Paragraph(para_markup(s.label), st["cell"]),
            Paragraph(para_markup(s.when), st["cell"]),
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
    text = " ".join(clean(contact_if).split())
    if not text:
        return ""
    if text.lower().startswith("contact us"):
        return esc(text)
    return f"<b>Contact us if</b> {esc(text)}"


def _sheet_story(
    sheet: Sheet, index: int, width: float, clinic: ClinicInfo, st
) -> list:
    client = inline(sheet.client_name)
    story: list = [
        pdfkit.PartStart(
            index, f"Aftercare \u00b7 {client}", DRAFT_TEXT if sheet.draft else ""
        )
    ]
    if sheet.draft:
        story.append(Paragraph(DRAFT_TEXT, st["draft"]))
    story.append(Paragraph("Aftercare", st["title"]))
    title = para_markup(sheet.title)
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
        text = para_markup(item.text)
        until = para_markup(item.until) if item.until is not None else ""
        if until:
            text = f"{text} until <b>{until}</b>" if text else f"Until <b>{until}</b>"
        if text:
            items.append(Paragraph(text, st["bullet"], bulletText="\u2022"))
    if items:
        story += _heading("After your session", st)
        story.extend(items)

    notes = block_markups(sheet.general_notes)
    if notes:
        story.append(Spacer(1, 4))
        story.extend(Paragraph(n, st["body"]) for n in notes)

    story += _heading("Your next sessions", st)
    if sheet.next_sessions:
        story.append(_sessions_table(tuple(sheet.next_sessions), width, st))
    else:
        story.append(Paragraph("No further sessions are booked yet.", st["body"]))
    more = int(sheet.more_sessions)
    if more > 0:
        story.append(Spacer(1, 4))
        story.append(
            Paragraph(
                f"{more} more session{' is' if more == 1 else 's are'} booked "
                "after these.",
                st["body"],
            )
        )
    if sheet.sessions_remaining is not None:
        story.append(Spacer(1, 6))
        story.append(
            Paragraph(
                f"<b>Sessions remaining:</b> {int(sheet.sessions_remaining)}",
                st["body"],
            )
        )

    note = block_markups(sheet.personal_note)
    if note:
        who = para_markup(sheet.esthetician)
        story += _heading(f"A note from {who}" if who else "A personal note", st)
        story.extend(Paragraph(n, st["note"]) for n in note)

    contact = _contact_markup(sheet.contact_if)
    if contact:
        phone = para_markup(clinic.phone).replace(" ", "\u00a0")  # keep it on one line
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
    buffer = io.BytesIO()
    doc = pdfkit.document(
        buffer,
        page_size,
        clinic,
        title=title,
        subject=subject,
        creator="Clinic aftercare sheets",
        invariant=True,
    )
    st = _styles()

    story: list = []
    for index, sheet in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story.extend(_sheet_story(sheet, index, doc.width, clinic, st))
    doc.build(story, canvasmaker=pdfkit.NumberedCanvas)
    return buffer.getvalue()
