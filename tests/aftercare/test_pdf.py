"""The pure aftercare PDF builder: content, metadata, fonts, escaping, paging."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from clinic.aftercare.pdf import (
    ClinicInfo,
    Instruction,
    NextSession,
    Sheet,
    build_pdf,
    sha256_hex,
)

CLINIC = ClinicInfo(
    name="Lumen Microcurrent Studio",
    address="12 Harbour Street, Brighton BN1 2AB",
    phone="01273 555 019",
)
NAMES = ("Σοφία Παπαδοπούλου", "Олена Коваленко", "Nguyễn Thị Lan")
MARKUP = "<b>bold</b> & <font size=40>x</font>"


def make_sheet(**changes) -> Sheet:
    sheet = Sheet(
        client_name="Jane Doe",
        visit_date="Wednesday 26 November 2025",
        esthetician="Maya Okafor",
        service="Microcurrent facial (60 min)",
        title="Microcurrent facial: after your session",
        treated_zones=("Forehead", "Cheeks", "Jawline"),
        untreated_zones=("Neck",),
        instructions=(
            Instruction("Drink about 0.5 l (16 oz) of water today", None),
            Instruction("Wear SPF and avoid strong sun", "Friday 28 November, 14:00"),
            Instruction("Avoid exfoliants and retinol", "Saturday 29 November, 14:00"),
        ),
        general_notes="Brief tiredness or tingling is normal.",
        contact_if="redness or irritation lasts more than 24 hours.",
        next_sessions=(
            NextSession("Session 4 of 10", "Tuesday 2 December, 10:30"),
            NextSession("Session 5 of 10", "Tuesday 9 December, 10:30"),
        ),
        sessions_remaining=6,
        personal_note="Lovely session; see you on Tuesday.",
    )
    return dataclasses.replace(sheet, **changes)


def build(sheets, **kwargs) -> bytes:
    kwargs.setdefault("clinic", CLINIC)
    kwargs.setdefault("title", "Aftercare sheet")
    kwargs.setdefault("subject", "Aftercare after a microcurrent facial")
    return build_pdf(sheets, **kwargs)


def flat(text: str) -> str:
    return " ".join(text.split())


def page_texts(pdf: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def all_text(pdf: bytes) -> str:
    return " ".join(page_texts(pdf))


def long_note(words: int) -> str:
    return " ".join(f"note{i}" for i in range(words))


def test_sheet_shows_the_visit():
    texts = page_texts(build([make_sheet()]))
    assert len(texts) == 1
    text = texts[0]
    for expected in (
        "Lumen Microcurrent Studio",
        "12 Harbour Street, Brighton BN1 2AB",
        "01273 555 019",
        "Aftercare",
        "Microcurrent facial: after your session",
        "Jane Doe",
        "Wednesday 26 November 2025",
        "Maya Okafor",
        "Microcurrent facial (60 min)",
        "Zones treated today: Forehead, Cheeks, Jawline",
        "Zones not treated today: Neck",
        "Drink about 0.5 l (16 oz) of water today",
        "Wear SPF and avoid strong sun until Friday 28 November, 14:00",
        "Avoid exfoliants and retinol until Saturday 29 November, 14:00",
        "Brief tiredness or tingling is normal.",
        "Session 4 of 10",
        "Tuesday 2 December, 10:30",
        "Session 5 of 10",
        "Tuesday 9 December, 10:30",
        "Sessions remaining: 6",
        "Lovely session; see you on Tuesday.",
        "Contact us if redness or irritation lasts more than 24 hours.",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    assert "DRAFT" not in text


def test_optional_parts_are_left_out_or_said_plainly():
    text = all_text(
        build(
            [
                make_sheet(
                    untreated_zones=(),
                    next_sessions=(),
                    sessions_remaining=None,
                    personal_note="",
                    general_notes="",
                    contact_if="Contact us on any worry at all.",
                )
            ]
        )
    )
    assert "Zones not treated today: none" in text
    assert "No further sessions are booked yet." in text
    assert "Sessions remaining" not in text
    assert "A note from" not in text
    assert "Contact us on any worry at all." in text
    assert "Contact us if Contact" not in text


def test_metadata():
    title = "Aftercare \u2013 Jane Doe"
    pdf = build([make_sheet()], title=title, subject="Visit 26 Nov")
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta.title == title
    assert meta.author == "Lumen Microcurrent Studio"
    assert meta.subject == "Visit 26 Nov"


def test_pdf_parses_cleanly(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    pdf = build([make_sheet(), make_sheet(personal_note=long_note(400))])
    with caplog.at_level(logging.WARNING):
        reader = PdfReader(io.BytesIO(pdf), strict=True)
        for page in reader.pages:
            page.extract_text()
        _ = reader.metadata
    assert not caplog.records, [r.getMessage() for r in caplog.records]

    qpdf = shutil.which("qpdf") or "/usr/bin/qpdf"
    if not Path(qpdf).exists():
        pytest.fail("qpdf is not installed: apt-get install -y qpdf")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [qpdf, "--check", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


@pytest.mark.parametrize("name", NAMES)
def test_name_in_any_script_round_trips(name: str):
    pdf = build(
        [make_sheet(client_name=name, personal_note=f"Dear {name}, see you soon.")]
    )
    text = all_text(pdf)
    assert name in text
    assert f"Dear {name}, see you soon." in text


def test_three_scripts_in_one_batch_with_a_clinic_name_in_greek():
    clinic = ClinicInfo("Κλινική Ομορφιάς", "Οδός Ερμού 5, Αθήνα", "+30 210 000 0000")
    texts = page_texts(build([make_sheet(client_name=n) for n in NAMES], clinic=clinic))
    assert len(texts) == 3
    for name, text in zip(NAMES, texts, strict=True):
        assert name in text
        assert "Κλινική Ομορφιάς" in text
        assert "Page 1 of 1" in text


def test_markup_in_user_text_prints_literally():
    sheet = make_sheet(
        client_name=f"Ann {MARKUP}",
        personal_note=f"{MARKUP} <para>then</para> \"quoted\" 'single' &amp;",
        general_notes=f"General {MARKUP}",
        treated_zones=("Cheeks <i>", "Jaw & neck"),
        instructions=(Instruction(f"Item {MARKUP}", "<br/> & soon"),),
        next_sessions=(NextSession("<b>Session</b> 1 of 2", "x & y"),),
        contact_if="<font color=red>anything</font> & more",
    )
    clinic = ClinicInfo("A & B <b>Clinic</b>", "1 <Main> St", "0 & 1")
    text = all_text(build([sheet], clinic=clinic))
    for expected in (
        f"Ann {MARKUP}",
        f"{MARKUP} <para>then</para> \"quoted\" 'single' &amp;",
        f"General {MARKUP}",
        "Zones treated today: Cheeks <i>, Jaw & neck",
        f"Item {MARKUP} until <br/> & soon",
        "<b>Session</b> 1 of 2",
        "Contact us if <font color=red>anything</font> & more",
        "A & B <b>Clinic</b>",
        "1 <Main> St",
    ):
        assert expected in text, expected


def test_characters_the_font_lacks_print_as_replacement_marks(
    caplog: pytest.LogCaptureFixture,
):
    note = (
        "smile \U0001f600 private \ue000 zero\u200bwidth bom\ufeff math \U00010300 end"
    )
    with caplog.at_level(logging.WARNING):
        text = all_text(build([make_sheet(personal_note=note)]))
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    assert "smile \ufffd private \ufffd zero" in text
    assert "math \ufffd end" in text


def test_long_note_flows_onto_numbered_pages():
    note = long_note(3000)
    texts = page_texts(build([make_sheet(personal_note=note)]))
    total = len(texts)
    assert total >= 4
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text
        assert "Lumen Microcurrent Studio" in text  # the header on every page
        assert "Jane Doe" in text  # the footer names the client
    # all of the note is there, in order, nothing lost at page breaks
    joined = " ".join(texts)
    positions = [joined.index(f"note{i} ") for i in (0, 1500, 2998)]
    assert positions == sorted(positions)
    assert "note2999" in joined


def test_batch_numbers_pages_per_sheet():
    first = make_sheet(client_name="First Client", personal_note=long_note(200))
    second = make_sheet(client_name="Second Client")
    assert len(page_texts(build([first]))) == 2  # the premise of this test
    texts = page_texts(build([first, second]))
    assert len(texts) == 3
    assert "Page 1 of 2" in texts[0] and "First Client" in texts[0]
    assert "Page 2 of 2" in texts[1] and "First Client" in texts[1]
    assert "Page 1 of 1" in texts[2] and "Second Client" in texts[2]
    assert "Second Client" not in texts[0] + texts[1]


def test_fonts_are_embedded_dejavu_only():
    reader = PdfReader(io.BytesIO(build([make_sheet(client_name=NAMES[0])])))
    seen = set()
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            base = str(font["/BaseFont"])
            seen.add(base.split("+")[-1])
            assert font["/Subtype"] == "/TrueType", base
            descriptor = font["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, base
            assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000
            assert "/ToUnicode" in font, base  # so the text is searchable
    assert seen == {"DejaVuSans", "DejaVuSans-Bold"}  # no unembedded Helvetica


def test_draft_banner_only_on_drafts():
    draft_texts = page_texts(
        build([make_sheet(draft=True, personal_note=long_note(200))])
    )
    assert len(draft_texts) == 2
    assert all("DRAFT \u2013 visit not signed" in text for text in draft_texts)
    text = all_text(build([make_sheet(draft=False)]))
    assert "DRAFT" not in text
    assert "not signed" not in text


def test_no_sheets_is_an_error():
    with pytest.raises(ValueError):
        build([])


@pytest.mark.parametrize("size", ["A5", "a4", "Letter", ""])
def test_unknown_page_size_is_an_error(size: str):
    with pytest.raises(ValueError):
        build([make_sheet()], page_size=size)


@pytest.mark.parametrize(
    ("size", "box"),
    [("A4", (595.28, 841.89)), ("LETTER", (612.0, 792.0))],
)
def test_page_size(size: str, box: tuple[float, float]):
    pdf = build([make_sheet(personal_note=long_note(300))], page_size=size)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    for page in pages:
        assert float(page.mediabox.width) == pytest.approx(box[0], abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(box[1], abs=0.01)


def test_same_input_same_bytes_and_hash():
    one = build([make_sheet()])
    two = build([make_sheet()])
    assert one == two  # no clock, no random ids: reprints hash the same
    assert sha256_hex(one) == hashlib.sha256(one).hexdigest()
    assert len(sha256_hex(one)) == 64
    assert sha256_hex(build([make_sheet(client_name="Jane Roe")])) != sha256_hex(one)


def test_oversized_fields_do_not_break_the_layout():
    big = " ".join(["word"] * 3000)
    unbroken = "x" * 10000
    sheet = make_sheet(
        client_name=unbroken,
        service=big,
        treated_zones=(big,),
        instructions=(Instruction(unbroken, big),),
        next_sessions=(NextSession(big, unbroken),),
        contact_if=big,
    )
    pdf = build([sheet], clinic=ClinicInfo(big, unbroken, big), title=big, subject=big)
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1


# --- property: nothing a user can type breaks the build ----------------------

SNIPPETS = (
    "<b>",
    "</b>",
    "<para>",
    "</para>",
    "<font size=40>",
    "<br/>",
    "&",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&nosuch;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "<?xml?>",
    '"',
    "'",
    "\x00",
    "\r\n",
    "\u2028",
    "\x85",
    "\ufeff",
    "\U0001f600",
    "e\u0301",
    "\u202e",
)
CHARS = st.characters(exclude_categories=[])  # everything, controls included
FIELD = st.lists(
    st.one_of(st.text(CHARS, max_size=30), st.sampled_from(SNIPPETS)), max_size=5
).map("".join)
FIELDS = st.lists(FIELD, max_size=3).map(tuple)
SHEETS = st.builds(
    Sheet,
    client_name=FIELD,
    visit_date=FIELD,
    esthetician=FIELD,
    service=FIELD,
    title=FIELD,
    treated_zones=FIELDS,
    untreated_zones=FIELDS,
    instructions=st.lists(
        st.builds(Instruction, text=FIELD, until=st.none() | FIELD), max_size=3
    ).map(tuple),
    general_notes=FIELD,
    contact_if=FIELD,
    next_sessions=st.lists(
        st.builds(NextSession, label=FIELD, when=FIELD), max_size=3
    ).map(tuple),
    sessions_remaining=st.none() | st.integers(min_value=-(10**6), max_value=10**6),
    personal_note=FIELD,
    draft=st.booleans(),
    more_sessions=st.integers(min_value=-(10**6), max_value=10**6),
)


class _PypdfWarnings(logging.Handler):
    """Collects pypdf's logged warnings (caplog is per test, not per example)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def __enter__(self) -> list[str]:
        logging.getLogger("pypdf").addHandler(self)
        return self.messages

    def __exit__(self, *exc) -> None:
        logging.getLogger("pypdf").removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@settings(max_examples=30, deadline=None)
@given(
    sheets=st.lists(SHEETS, min_size=1, max_size=2),
    clinic=st.builds(ClinicInfo, name=FIELD, address=FIELD, phone=FIELD),
    page_size=st.sampled_from(["A4", "LETTER"]),
    title=FIELD,
    subject=FIELD,
)
def test_any_text_builds_a_valid_pdf(sheets, clinic, page_size, title, subject):
    pdf = build_pdf(
        sheets, clinic=clinic, page_size=page_size, title=title, subject=subject
    )
    assert pdf.startswith(b"%PDF-")
    with _PypdfWarnings() as warned:
        reader = PdfReader(io.BytesIO(pdf), strict=True)
        assert reader.metadata.author is not None
        texts = [page.extract_text() for page in reader.pages]
    assert not warned, warned
    # the footer is drawn last on each page: its "Page N of M" runs 1..M per sheet
    footers = [
        tuple(map(int, re.findall(r"Page (\d+) of (\d+)", text)[-1])) for text in texts
    ]
    runs = []
    for number, total in footers:
        if number == 1:
            runs.append([])
        runs[-1].append((number, total))
    assert len(runs) == len(sheets)
    for run in runs:
        assert run == [(n, len(run)) for n in range(1, len(run) + 1)]
