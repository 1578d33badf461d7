"""Text normalisation shared by search, duplicate detection and typed
signatures (pure)."""

from __future__ import annotations

import re
import unicodedata

_NON_DIGITS = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")
# Typographic apostrophes (U+2019 and kin) that phones and tablets type for "'".
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc\u2032", "'"))


def fold(text: str | None) -> str:
    """Case- and accent-insensitive form: "Zoë Nguyễn" -> "zoe nguyen".

    Letters without a decomposition (Greek, Cyrillic) stay, case-folded;
    Greek tonos and dialytika are combining marks and are dropped too.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Compatibility decomposition can yield capitals (U+210D double-struck H ->
    # "H", U+3392 -> "MHz"), so fold case once more (Unicode's compatibility
    # caseless match, D146); without it fold() is not idempotent.
    decomposed = unicodedata.normalize("NFKD", decomposed.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("ł", "l").replace("ø", "o")
    return _SPACES.sub(" ", stripped).strip()


def digits(text: str | None) -> str:
    """Only the digits of a phone number: "+44 (0)7700 900123" -> "4407700900123"."""
    return _NON_DIGITS.sub("", text or "")


def clean_line(text: str | None) -> str:
    """Trim and collapse internal whitespace of a one-line field."""
    return _SPACES.sub(" ", text or "").strip()


def same_name(typed: str | None, registered: str | None) -> bool:
    """Whether a typed name is the registered one, ignoring case, accents,
    extra spaces and the kind of apostrophe ("siobhan  o\u2019reilly" is
    "Siobhán O'Reilly"); an empty name matches nothing."""
    key = fold((typed or "").translate(_APOSTROPHES))
    return bool(key) and key == fold((registered or "").translate(_APOSTROPHES))


# A spreadsheet reads a cell starting with one of these as a formula (or, for
# tab and carriage return, strips them and reads what follows): "=HYPERLINK(...)"
# typed as a name would run on the machine of whoever opens an export.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: a quote before a risky start.

    None becomes an empty cell; numbers are written as text like the rest.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
