"""The client export as a readable PDF: a pure builder from the export dict.

No Flask and no database: ``build_pdf`` takes the dict of
``clinic.privacy.services.build_export`` and the clinic's timezone (UTC
times are shown as local times) and returns PDF bytes. Fonts, escaping, the
clinic header and "Page N of M" come from ``clinic.pdfkit``, as on the
aftercare sheets: every user text prints literally (``<b>`` stays ``<b>``)
and names in any script the bundled DejaVu font covers stay searchable.
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
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
    inline,
    para_markup,
)

FLAG = "Confidential"
NONE = "\u2014"  # em dash for an empty value


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body",
        fontName=FONT,
        fontSize=9.5,
        leading=12.5,
        textColor=INK,
        alignment=TA_LEFT,
        spaceAfter=3,
    )
    return {
        "body": body,
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=22,
            leading=26,
            textColor=ACCENT,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontSize=13, leading=17, spaceAfter=6
        ),
        "muted": ParagraphStyle("muted", parent=body, textColor=MUTED),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=13,
            leading=17,
            textColor=ACCENT,
            spaceBefore=12,
            spaceAfter=5,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "cell": ParagraphStyle(
            "cell", parent=body, fontSize=8.5, leading=11, spaceAfter=0
        ),
        "head": ParagraphStyle(
            "head",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=8,
            leading=10,
            textColor=MUTED,
            spaceAfter=0,
        ),
    }


# --- values as text -------------------------------------------------------------


class _Format:
    def __init__(self, tz: ZoneInfo):
        self.tz = tz

    def when(self, value: str | None) -> str:
        if not value:
            return NONE
        local = datetime.fromisoformat(value).astimezone(self.tz)
        return f"{local.day} {local:%b %Y, %H:%M}"

    @staticmethod
    def day(value: str | None) -> str:
        if not value:
            return NONE
        parsed = datetime.fromisoformat(value)
        return f"{parsed.day} {parsed:%b %Y}"

    @staticmethod
    def who(person: dict | None) -> str:
        return person["name"] if person else NONE

    @staticmethod
    def value(value) -> str:
        if value is None or value == "" or value == []:
            return NONE
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)


# --- building blocks -------------------------------------------------------------


def _cell(text, st, style: str = "cell") -> Paragraph:
    """A table cell: one-line text, or free text keeping its line breaks."""
    markups = block_markups(str(text)) if "\n" in str(text) else [para_markup(text)]
    return Paragraph("<br/><br/>".join(markups) or NONE, st[style])


def _table(header: list[str], rows: list[list], widths: list[float], width, st):
    data = [[_cell(h, st, "head") for h in header]] if header else []
    data += [
        [c if isinstance(c, Paragraph) else _cell(c, st) for c in row] for row in rows
    ]
    table = Table(
        data,
        colWidths=[width * w for w in widths],
        repeatRows=1 if header else 0,
        splitInRow=1,
    )
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),  # not Helvetica
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT))
    table.setStyle(TableStyle(commands))
    return table


def _pairs(pairs: list[tuple[str, object]], width, st) -> Table:
    """A two-column "label: value" table."""
    rows = [[_cell(label, st, "head"), _cell(value, st)] for label, value in pairs]
    table = _table([], rows, [0.3, 0.7], width, st)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), TINT)]))
    return table


def _heading(text: str, st, style: str = "h2") -> list:
    """A heading never ends a page: a new page when little room is left."""
    return [
        CondPageBreak(st[style].leading + 4 * st["body"].leading),
        Paragraph(para_markup(text), st[style]),
    ]


def _empty(text: str, st) -> Paragraph:
    return Paragraph(para_markup(text), st["muted"])


# --- sections ---------------------------------------------------------------------


def _contact(client: dict, f: _Format, width, st) -> list:
    pairs = [
        ("First name(s)", client["given_name"]),
        ("Last name", client["family_name"]),
        ("Date of birth", f.day(client["date_of_birth"])),
        ("Phone", f.value(client["phone"])),
        ("Email", f.value(client["email"])),
        ("Address", f.value(client["address"])),
        ("Emergency contact", f.value(client["emergency_contact_name"])),
        ("Emergency phone", f.value(client["emergency_contact_phone"])),
        ("Notes", f.value(client["notes"])),
        ("Registered", f.when(client["created_at"])),
        ("Archived", f.when(client["archived_at"])),
    ]
    if client["erased_at"]:
        pairs.append(("Erased (anonymised)", f.when(client["erased_at"])))
    return [*_heading("Contact details", st), _pairs(pairs, width, st)]


def _intakes(intakes: list[dict], f: _Format, width, st) -> list:
    story = _heading(f"Intakes and screening ({len(intakes)})", st)
    if not intakes:
        return [*story, _empty("No intake on record.", st)]
    for intake in intakes:
        screening = intake["screening"]
        consents = intake["consents"]
        story += _heading(
            f"Intake of {f.when(intake['submitted_at'])} (no. {intake['id']})",
            st,
            "h3",
        )
        pairs = [
            ("Entered", f"{intake['entered_via']}, by {f.who(intake['entered_by'])}"),
            ("Screening rules", f"version {intake['rules_version']}"),
            ("Outcome", screening["outcome"].replace("_", " ")),
            ("Eligible from", f.day(screening["eligible_from"])),
            ("Needs clearance", f.value(screening["needs_clearance"])),
            ("Excluded zones", f.value(screening["excluded_zones"])),
            (
                "Findings",
                "\n".join(item["reason"] for item in screening["findings"]) or NONE,
            ),
            (
                "Consents",
                "\n".join(
                    f"{c['title']} (version {c['version']})"
                    for c in consents.values()
                    if c
                ),
            ),
            ("Signed as", intake["signature"]["name"]),
        ]
        clearance = intake["clearance"]
        if clearance:
            pairs.append(
                (
                    "Clearance",
                    f"{f.day(clearance['cleared_on'])} by "
                    f"{f.who(clearance['cleared_by'])}: {clearance['reason']}"
                    + (
                        f" (ref. {clearance['physician_note_ref']})"
                        if clearance["physician_note_ref"]
                        else ""
                    ),
                )
            )
        story.append(_pairs(pairs, width, st))
        story.append(Spacer(1, 4))
        rows = [
            [
                a["question"],
                a["answer"],
                f.day(a["event_date"]) if a["event_date"] else NONE,
                f.value(a["zones"]),
                f.value(a["details"]),
            ]
            for a in intake["answers"]
        ]
        story.append(
            _table(
                ["Question", "Answer", "Date", "Zones", "Details"],
                rows,
                [0.4, 0.1, 0.14, 0.14, 0.22],
                width,
                st,
            )
        )
    return story


def _series(series: list[dict], f: _Format, width, st) -> list:
    story = _heading(f"Series ({len(series)})", st)
    if not series:
        return [*story, _empty("No series on record.", st)]
    rows = [
        [
            s["protocol"],
            s["service"],
            str(s["sessions_total"]),
            f"{s['min_gap_days']}\u2013{s['max_gap_days']} days",
            s["status"],
            f.when(s["created_at"]),
        ]
        for s in series
    ]
    return [
        *story,
        _table(
            ["Protocol", "Service", "Sessions", "Gaps", "Status", "Created"],
            rows,
            [0.22, 0.2, 0.1, 0.14, 0.12, 0.22],
            width,
            st,
        ),
    ]


def _appointments(appointments: list[dict], f: _Format, width, st) -> list:
    story = _heading(f"Appointments ({len(appointments)})", st)
    if not appointments:
        return [*story, _empty("No appointment on record.", st)]
    rows = []
    for a in appointments:
        history = "\n".join(
            f"{f.when(e['at'])} {e['event'].replace('_', ' ')}"
            f" ({f.who(e['by'])})" + (f": {e['details']}" if e["details"] else "")
            for e in a["status_history"]
        )
        status = a["status"].replace("_", " ")
        if a["cancel_reason"]:
            status += f": {a['cancel_reason']}"
        session = (
            f"series {a['series_id']}, session {a['session_number']}"
            if a["series_id"]
            else NONE
        )
        rows.append(
            [
                f.when(a["starts_at"]),
                f"{a['service']}\n{f.who(a['esthetician'])}, {a['room']}",
                session,
                status,
                history or NONE,
            ]
        )
    return [
        *story,
        _table(
            ["When", "Service, with", "Series", "Status", "History"],
            rows,
            [0.17, 0.22, 0.13, 0.16, 0.32],
            width,
            st,
        ),
    ]


def _visits(visits: list[dict], f: _Format, width, st) -> list:
    story = _heading(f"Visits ({len(visits)})", st)
    if not visits:
        return [*story, _empty("No visit on record.", st)]
    for visit in visits:
        story += _heading(
            f"Visit of {f.when(visit['started_at'])} (no. {visit['id']})", st, "h3"
        )
        signed = (
            f"signed {f.when(visit['signed_at'])} by {f.who(visit['signed_by'])}"
            if visit["signed_at"]
            else "draft, not signed"
        )
        pairs = [
            ("Esthetician", f.who(visit["esthetician"])),
            ("Status", signed),
            ("Device", f.value(visit["device"])),
            ("Conductive product", f.value(visit["conductive_product"])),
            ("Skin before", f.value(visit["skin_before"])),
            ("Products after", f.value(visit["products_after"])),
            ("Client feedback", f.value(visit["client_feedback"])),
            ("Adverse sensations", f.value(visit["adverse_kinds"])),
            ("Adverse details", f.value(visit["adverse_details"])),
            ("Notes", f.value(visit["general_notes"])),
            ("Aftercare note", f.value(visit["aftercare_note"])),
        ]
        story.append(_pairs(pairs, width, st))
        if visit["zone_notes"]:
            story.append(Spacer(1, 4))
            rows = [
                [
                    n["zone_label"],
                    f.value(n["current_ua"]),
                    f.value(n["frequency_hz"]),
                    " / ".join(
                        f.value(n[key])
                        for key in ("waveform", "polarity", "applicator")
                    ),
                    f.value(n["duration_seconds"] or n["holds"]),
                    f.value(n["sensation"]),
                    ("ADVERSE. " if n["adverse"] else "")
                    + " ".join(
                        part
                        for part in (n["observation"], n["override_reason"])
                        if part
                    ),
                ]
                for n in visit["zone_notes"]
            ]
            story.append(
                _table(
                    [
                        "Zone",
                        "\u00b5A",
                        "Hz",
                        "Wave / polarity / tool",
                        "s or holds",
                        "Sensation",
                        "Observation",
                    ],
                    rows,
                    [0.18, 0.07, 0.07, 0.24, 0.09, 0.12, 0.23],
                    width,
                    st,
                )
            )
        for amendment in visit["amendments"]:
            story.append(Spacer(1, 4))
            story.append(
                Paragraph(
                    f"<b>Amendment</b> {para_markup(f.when(amendment['created_at']))} "
                    f"by {para_markup(f.who(amendment['author']))}: "
                    + "<br/>".join(block_markups(amendment["text"])),
                    st["body"],
                )
            )
    return story


def _prints(prints: list[dict], f: _Format, width, st) -> list:
    story = _heading(f"Aftercare sheets printed ({len(prints)})", st)
    if not prints:
        return [*story, _empty("No aftercare sheet printed.", st)]
    rows = [
        [
            f.when(p["printed_at"]),
            f"visit {p['visit_id']}",
            f.who(p["printed_by"]),
            f"v{p['template_version']}, {p['page_size']}"
            + (", draft" if p["draft"] else ""),
            p["sha256"][:16] + "\u2026",
        ]
        for p in prints
    ]
    return [
        *story,
        _table(
            ["Printed", "Visit", "By", "Template", "SHA-256"],
            rows,
            [0.2, 0.12, 0.24, 0.18, 0.26],
            width,
            st,
        ),
    ]


def _access_log(events: list[dict], f: _Format, width, st) -> list:
    story = _heading(f"Who accessed or changed this record ({len(events)})", st)
    rows = [
        [
            f.when(e["at"]),
            f.who(e["by"]) if e["by"] else "system / command line",
            e["action"],
            " ".join(
                part
                for part in (
                    f"{e['entity_type']} {e['entity_id']}" if e["entity_type"] else "",
                    e["details"],
                )
                if part
            )
            or NONE,
        ]
        for e in events
    ]
    return [
        *story,
        _table(
            ["When", "Who", "What", "Details"],
            rows,
            [0.2, 0.22, 0.24, 0.34],
            width,
            st,
        ),
    ]


def build_pdf(data: dict, *, tz: ZoneInfo, page_size: str = "A4") -> bytes:
    """The export ``data`` as a PDF; raises ValueError for an unknown page size."""
    pdfkit.register_fonts()
    st = _styles()
    f = _Format(tz)
    client = data["client"]
    name = inline(client["full_name"])
    clinic = ClinicInfo(
        data["clinic"]["name"], data["clinic"]["address"], data["clinic"]["phone"]
    )

    buffer = io.BytesIO()
    doc = pdfkit.document(
        buffer,
        page_size,
        clinic,
        title=f"Client record \u00b7 {name}",
        subject="Export of a client's record (right of access)",
        creator="Clinic client export",
    )
    width = doc.width
    counts = data["counts"]
    story: list = [
        pdfkit.PartStart(0, f"Client record \u00b7 {name}", FLAG),
        Paragraph("Client record", st["title"]),
        Paragraph(para_markup(name), st["subtitle"]),
        Paragraph(
            para_markup(
                f"Everything {clinic.name} holds about this client, exported "
                f"{f.when(data['generated_at'])} by {f.who(data['generated_by'])}. "
                "It contains health information: keep it safe."
            ),
            st["muted"],
        ),
        Paragraph(
            para_markup(
                f"{counts['intakes']} intakes, {counts['series']} series, "
                f"{counts['appointments']} appointments, {counts['visits']} visits, "
                f"{counts['aftercare_prints']} aftercare prints, "
                f"{counts['access_log']} access log entries. "
                f"Times are local ({data['clinic']['timezone']})."
            ),
            st["muted"],
        ),
    ]
    story += _contact(client, f, width, st)
    story += _intakes(data["intakes"], f, width, st)
    story += _series(data["series"], f, width, st)
    story += _appointments(data["appointments"], f, width, st)
    story += _visits(data["visits"], f, width, st)
    story += _prints(data["aftercare_prints"], f, width, st)
    story += _access_log(data["access_log"], f, width, st)
    doc.build(story, canvasmaker=pdfkit.NumberedCanvas)
    return buffer.getvalue()
