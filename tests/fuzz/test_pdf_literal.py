"""Markup typed into a form comes out of the aftercare sheet as typed:
reportlab's paragraph markup (<b>, <font>, <para>, &, <img>) is never
interpreted, whatever was accepted by the client and visit forms."""

from __future__ import annotations

from hypothesis import given, note
from hypothesis import strategies as st

from tests.aftercare.support import flat, pdf_text
from tests.fuzz.harness import TALLY, check_page
from tests.fuzz.strategies import FUZZ_SETTINGS, REPORTLAB, SQL, XSS
from tests.fuzz.world import build_world
from tests.helpers import submit
from tests.visits.support import frozen_clock, save

# Printable ASCII and Latin letters the sheet's font has, so text extraction
# gives back exactly what was typed (other scripts are the PDF builder's own
# property tests' business).
_PLAIN = st.text(
    alphabet=st.sampled_from(
        [chr(c) for c in range(0x20, 0x7F)] + list("éèüßøæœçñÅÖ€£")
    ),
    max_size=20,
)
_MARKUP = st.sampled_from(REPORTLAB + XSS + SQL)
_HOSTILE = (
    st.lists(st.one_of(_MARKUP, _PLAIN), min_size=1, max_size=4)
    .map(lambda parts: flat(" ".join(parts)))
    .filter(bool)
)


def _squeeze(text: str) -> str:
    return "".join(text.split())


def test_names_and_notes_print_literally(app, make_user):
    with frozen_clock():
        world = build_world(app, make_user)
        desk = world.browser(app, "front_desk")
        esthetician = world.browser(app, "esthetician")
        visit = world.draft_visit_id

        @FUZZ_SETTINGS
        @given(name=_HOSTILE, note_text=_HOSTILE)
        def fuzz(name, note_text):
            edit = f"/clients/{world.client_id}/edit"
            fields = {
                "given_name": name,
                "family_name": "Client",
                "date_of_birth": "1985-06-15",
            }
            edited = submit(desk, edit, fields)
            TALLY.add(edited.status_code)
            assert edited.status_code < 500
            check_page(edited, edit)
            saved = save(esthetician, visit, aftercare_note=note_text)
            TALLY.add(saved.status_code)
            assert saved.status_code < 500
            check_page(saved, "visit save")
            printed = submit(
                esthetician, f"/visits/{visit}/aftercare", page="/dashboard"
            )
            TALLY.add(printed.status_code)
            assert printed.status_code == 200
            assert printed.mimetype == "application/pdf"
            # Lines wrap anywhere (even inside "http://"), and extraction puts
            # a space at each wrap: compare without whitespace. Interpreted
            # markup would lose its tags, so this still sees it.
            text = _squeeze(pdf_text(printed.data))
            note(text)
            if edited.status_code == 302:
                assert _squeeze(name) in text
            if saved.status_code == 302:
                assert _squeeze(note_text) in text

        fuzz()
