"""Text normalisation for search and duplicate detection (clinic/text.py)."""

from __future__ import annotations

import string
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.text import clean_line, digits, fold, same_name, spreadsheet_safe

PROPERTY = settings(max_examples=500, deadline=None, database=None)


class TestFold:
    @pytest.mark.parametrize(
        ("text", "folded"),
        [
            ("Zoë Ångström", "zoe angstrom"),
            ("Nguyễn Thị Lan", "nguyen thi lan"),
            ("Đặng Văn Đức", "dang van duc"),
            ("Σοφία Παπαδοπούλου", "σοφια παπαδοπουλου"),
            ("ΣΟΦΊΑ", "σοφια"),
            ("Οδυσσέας", "οδυσσεασ"),  # final sigma folds like any sigma
            ("Олена Коваленко", "олена коваленко"),
            ("Ёлка", "елка"),
            ("Straße", "strasse"),
            ("Łukasz Søren", "lukasz soren"),
            ("François-René O'Brien", "francois-rene o'brien"),
            ("  Anna \t\n  Maria  ", "anna maria"),
            ("\uff21\uff2e\uff2e\uff21", "anna"),  # full-width "ANNA" from an IME
            ("ﬁona", "fiona"),
            ("anna@example.org", "anna@example.org"),
        ],
    )
    def test_examples(self, text, folded):
        assert fold(text) == folded

    @pytest.mark.parametrize("empty", [None, "", "   ", "\t\n"])
    def test_nothing_folds_to_empty(self, empty):
        assert fold(empty) == ""

    def test_precomposed_and_decomposed_forms_agree(self):
        assert fold("Zo\u00eb") == fold("Zoe\u0308") == "zoe"

    @pytest.mark.parametrize(
        "text",
        [
            "\u210d",  # double-struck capital H
            "\u210cello",  # black-letter capital H
            "\u3392",  # square MHz
            "\u1d2c\u1d2e",  # modifier capital A, B
            "\U0001f130",  # squared capital A
            "\u2168",  # roman numeral nine
            "\u0130stanbul",  # capital I with dot above
            "\u01c5",  # Dz with caron (title case)
        ],
    )
    def test_compatibility_characters_fold_all_the_way(self, text):
        """Decomposition can yield capitals (U+210D -> "H"): they are folded too."""
        folded = fold(text)
        assert folded == folded.casefold()
        assert fold(folded) == folded

    def test_every_single_character_folds_idempotently(self):
        bad = [
            hex(code)
            for code in range(sys.maxunicode + 1)
            if not 0xD800 <= code <= 0xDFFF and fold(fold(chr(code))) != fold(chr(code))
        ]
        assert bad == []

    @PROPERTY
    @given(st.text())
    def test_idempotent(self, text):
        assert fold(fold(text)) == fold(text)

    @PROPERTY
    @given(st.text(), st.text())
    def test_a_prefix_folds_into_the_whole(self, a, b):
        """What a fragment folds to is found in what the whole folds to."""
        assert fold(a) in fold(a + b)

    @PROPERTY
    @given(st.text(alphabet=string.printable))
    def test_ascii_case_does_not_matter(self, text):
        assert fold(text.upper()) == fold(text.lower())


class TestDigits:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("+44 (0)7700 900123", "4407700900123"),
            ("07700-900-123", "07700900123"),
            ("0161.496.0000", "01614960000"),
            ("call me", ""),
            ("", ""),
            (None, ""),
        ],
    )
    def test_keeps_only_digits(self, text, expected):
        assert digits(text) == expected

    @PROPERTY
    @given(st.text())
    def test_result_is_all_digits_and_stable(self, text):
        result = digits(text)
        assert all(ch.isdigit() for ch in result)
        assert digits(result) == result


class TestCleanLine:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("  Mary   Ann ", "Mary Ann"),
            ("a\tb\nc\r\nd", "a b c d"),
            ("Zoë\u00a0Ångström", "Zoë Ångström"),  # no-break space
            ("", ""),
            ("   ", ""),
            (None, ""),
        ],
    )
    def test_trims_and_collapses_whitespace(self, text, expected):
        assert clean_line(text) == expected

    def test_keeps_case_and_accents(self):
        assert clean_line(" Nguyễn  Thị ") == "Nguyễn Thị"

    @PROPERTY
    @given(st.text())
    def test_result_is_one_clean_line(self, text):
        result = clean_line(text)
        assert clean_line(result) == result
        assert result == result.strip()
        assert "  " not in result
        assert "\n" not in result


class TestSameName:
    """A typed signature against the registered name (issue 15, item 11)."""

    @pytest.mark.parametrize(
        "typed",
        [
            "Siobhán O'Reilly",
            "Siobhan O'Reilly",
            "siobhan o\u2019reilly",  # a tablet's typographic apostrophe
            "  SIOBHÁN \t O\u2018REILLY ",
        ],
    )
    def test_the_full_name_in_any_case_accents_spacing_or_apostrophe(self, typed):
        assert same_name(typed, "Siobhán O'Reilly")

    @pytest.mark.parametrize(
        "typed",
        [
            "S O'Reilly",
            "Siobhán",
            "O'Reilly",
            "Siobhán OReilly",
            "Siobhán O'Reilly Jr",
            "",
        ],
    )
    def test_part_of_the_name_or_another_is_not_the_name(self, typed):
        assert not same_name(typed, "Siobhán O'Reilly")

    def test_nothing_matches_an_empty_name(self):
        assert not same_name("", "")
        assert not same_name(None, None)

    @PROPERTY
    @given(st.text(min_size=1).filter(lambda t: fold(t)))
    def test_a_name_matches_itself_however_it_is_spaced(self, name):
        assert same_name(name, name)
        assert same_name("  " + "   ".join(name.split(" ")) + "\t ", name)


class TestSpreadsheetSafe:
    @pytest.mark.parametrize(
        ("value", "cell"),
        [
            ("=1+1", "'=1+1"),
            ("+44 7700 900123", "'+44 7700 900123"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Ada = Byron", "Ada = Byron"),
            ("", ""),
            (None, ""),
            (42, "42"),
        ],
    )
    def test_risky_starts_get_a_quote(self, value, cell):
        assert spreadsheet_safe(value) == cell

    @PROPERTY
    @given(st.text())
    def test_no_cell_starts_a_formula_and_nothing_is_lost(self, text):
        cell = spreadsheet_safe(text)
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert cell in (text, "'" + text)
