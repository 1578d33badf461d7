# ruff: noqa: RUF001  (look-alike characters are the point of this corpus)
"""Hostile input: what a careless paste, a broken client or an attacker sends.

Lone surrogates cannot travel in UTF-8, so the text alphabet is every other
code point (astral planes, right-to-left, combining marks, controls, NUL).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Default examples per fuzz test; FUZZ_EXAMPLES=500 for a long run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # Each test builds one clinic in its own database and shares it across the
    # examples on purpose: examples only add rows or get refused, and the
    # assertions hold whatever earlier examples stored.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    '" autofocus onfocus="alert(1)',
    "' onmouseover='alert(1)",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "{{7*7}}",
    "{% raw %}{{ config }}{% endraw %}",
    "${7*7}",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example>",
]
REPORTLAB = [
    "<b>bold</b>",
    '<font color="red" size="40">big</font>',
    "<para>para</para>",
    "Fish & chips",
    "&amp; &lt; &#x41; &bogus;",
    "<b>unclosed",
    "</para>",
    '<img src="/etc/passwd"/>',
    '<img src="http://evil.example/x.png" width="9999"/>',
    "<br/><br/><seq/>",
    '<link href="http://evil.example">x</link>',
]
SQL = [
    "'; DROP TABLE clients; --",
    "' OR '1'='1",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "%",
    "_",
    "\\",
    "%' ESCAPE '\\",
    "' UNION SELECT password_hash FROM users --",
]
WEIRD = [
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\u202eevil\u202c",  # right-to-left override
    "\u200b\u200d\ufeff",  # zero-width
    "Zoë Nguyễn",
    "e\u0301\u0301\u0301\u0301",  # stacked combining marks
    "𝕳𝖊𝖑𝖑𝖔 🧖‍♀️ 𓀀",  # astral
    "مرحبا שלום",
    "\r\n\r\n",
    "   ",
    "\t",
    "\ufffe\uffff",
]
CORPUS = XSS + REPORTLAB + SQL + WEIRD

any_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), min_size=0, max_size=60
)
huge_text = st.builds(
    lambda piece, n: (piece * n)[:100_000],
    st.sampled_from(["a", "é", "𝕳", "<b>", "\x00", "' OR 1=1 "]),
    st.integers(min_value=1_000, max_value=100_000),
)
# Just past the usual limits (form Length and column sizes): a form that allows
# more than its column holds fails only on PostgreSQL, and only at these sizes.
edge_length_text = st.builds(
    lambda piece, n: (piece * n)[:n],
    st.sampled_from(["a", "é", "𝕳", "<"]),
    st.sampled_from([61, 81, 101, 121, 201, 255, 256, 301, 501, 1001, 2001, 5001]),
)
text_values = st.one_of(
    st.sampled_from(CORPUS),
    any_text,
    st.builds(lambda a, b: a + b, st.sampled_from(CORPUS), any_text),
    edge_length_text,
    huge_text,
)
number_values = st.one_of(
    st.sampled_from(
        [
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "1e309",
            "-1",
            "0",
            "-0",
            "1e-400",
            "0x1F",
            "1_000",
            "١٢",
            "１２",
            " 12 ",
            "12abc",
            "9" * 400,
            "1.5",
            "1,5",
            "+",
            "-",
            ".",
            "e5",
        ]
    ),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
# Ids carried in hidden fields: tampered with, around and far beyond the
# integer columns (2^31 on PostgreSQL, 2^63 on SQLite).
id_values = st.one_of(
    st.sampled_from(
        [str(2**31 - 1), str(2**31), str(2**63 - 1), str(2**63), "0", "-1", "9" * 400]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    number_values,
)
date_values = st.one_of(
    st.sampled_from(
        [
            "0000-00-00",
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "2030-02-30",
            "2030-13-01",
            "-2030-01-01",
            "2030/03/05",
            "05/03/2030",
            "2030-3-5",
            "20300305",
            "2030-03-05T10:00",
            "today",
            "1899-12-31",
            "2030-03-05\x00",
            "٢٠٣٠-٠٣-٠٥",
        ]
    ),
    st.dates().map(lambda day: day.isoformat()),
)
time_values = st.sampled_from(
    [
        "25:00",
        "24:00",
        "23:59:60",
        "12:60",
        "-1:00",
        "12:00:00.5",
        "12",
        "noon",
        "9:5",
        "00:00",
        "23:59",
        "12:00\x00",
        "１２:００",
        "99999:00",
    ]
)
datetime_values = st.one_of(
    st.builds(lambda d, t: f"{d}T{t}", date_values, time_values),
    st.sampled_from(["2030-03-31T01:30", "2030-10-27T01:30", "T", "2030-03-05 "]),
    st.datetimes().map(lambda value: value.isoformat()),
)
choice_values = st.one_of(
    st.sampled_from(["", "0", "-1", "999999999999999999999", "any", "None", "1.5"]),
    text_values,
)

BY_KIND = {
    "text": text_values,
    "number": number_values,
    "id": id_values,
    "date": date_values,
    "time": time_values,
    "datetime": datetime_values,
    "choice": choice_values,
}


def value_for(kind: str):
    """Mostly values of the field's kind, sometimes anything at all."""
    return st.one_of(BY_KIND.get(kind, text_values), text_values)
