"""clinic.auth.passwords: the password policy and argon2id hashing, no Flask."""

from __future__ import annotations

import argon2
import pytest

from clinic.auth.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)

TOO_SHORT = "Use at least 12 characters."
TOO_LONG = "Use at most 128 characters."
COMMON = "This password is too common; choose one that is hard to guess."
REPETITIVE = "This password repeats the same characters; choose another."
PERSONAL = "Do not use your email address or name as your password."


def problem(password: str, personal: tuple[str, ...] = ()) -> str | None:
    """The policy with the default settings (12 to 128 characters)."""
    return password_problem(password, min_length=12, max_length=128, personal=personal)


def of_length(n: int) -> str:
    """An unremarkable password of exactly ``n`` characters."""
    text = ("quiet orange bicycle mountain " * 10)[:n]
    assert len(text) == n
    return text


# --- length ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "expected"),
    [(11, TOO_SHORT), (12, None), (128, None), (129, TOO_LONG)],
)
def test_length_limits(length, expected):
    """11 refused, 12 accepted, 128 accepted, 129 refused."""
    assert problem(of_length(length)) == expected


def test_length_limits_are_parameters():
    """The limits come from the caller (the app's settings), not constants."""
    assert password_problem(of_length(15), min_length=16, max_length=64) == (
        "Use at least 16 characters."
    )
    assert password_problem(of_length(65), min_length=16, max_length=64) == (
        "Use at most 64 characters."
    )


def test_length_counts_characters_not_bytes():
    """Twelve non-ASCII characters are twelve characters."""
    assert problem("ñandú águila ö"[:12]) is None
    assert problem("ñandúáguiöla") is None


# --- common and repetitive passwords --------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "Password2024!",
        "!!Password2024!!",
        "PASSWORD12345",
        "iloveyou12345",
        "qwertyuiop123",
        "123456789012",
        "2024-12-31 !!",
    ],
)
def test_common_passwords_are_refused_even_decorated(password):
    """Known passwords, with digits or symbols around them, are still common."""
    assert problem(password) == COMMON


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abababababab", "............"])
def test_repeated_characters_are_refused(password):
    assert problem(password) == REPETITIVE


@pytest.mark.parametrize(
    "password",
    [
        "violet tulip harbour lantern",
        "correct horse battery staple in the rain",
        "my-cat-eats-green-olives",
        "Zq8!vR2#pL9$",
    ],
)
def test_long_passphrases_and_random_passwords_are_accepted(password):
    """No composition rules: a phrase of ordinary words is fine."""
    assert problem(password) is None


# --- personal information -----------------------------------------------------------


def test_the_email_is_refused():
    email = "maria.garcia@test.clinic"
    assert problem(email, personal=(email,)) == PERSONAL
    assert problem(email.upper(), personal=(email,)) == PERSONAL


def test_the_local_part_of_the_email_with_decoration_is_refused():
    assert problem("maria.garcia2024!", personal=("maria.garcia@test.clinic",)) == (
        PERSONAL
    )


def test_the_name_is_refused():
    assert problem("Maria Garcia Lopez", personal=("maria garcia lopez",)) == PERSONAL


def test_a_password_merely_containing_the_name_is_accepted():
    """Only a bare repeat is refused; a phrase that includes the name is fine."""
    assert problem("maria likes green olives", personal=("maria",)) is None


# --- hashing -------------------------------------------------------------------------


def test_hash_is_argon2id_and_verifies():
    stored = hash_password("violet tulip harbour lantern")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "violet tulip harbour lantern") is True
    assert verify_password(stored, "violet tulip harbour lanterns") is False


def test_each_hash_is_salted():
    assert hash_password("same password here") != hash_password("same password here")


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "garbage",
        "$argon2id$v=19$m=65536,t=3,p=4$bm90YmFzZTY0$",
        "$2b$12$abcdefghijklmnopqrstuuJ8uYJkVGc8xX5j6v8Ud3T9fXpM6uFe",
    ],
    ids=["none", "empty", "garbage", "truncated-argon2", "bcrypt"],
)
def test_verify_is_false_for_missing_or_malformed_hashes(stored):
    """No exception and no sign-in for a hash that is missing or unreadable."""
    assert verify_password(stored, "violet tulip harbour lantern") is False
    assert verify_password(stored, "") is False


def test_a_missing_hash_never_verifies_not_even_with_the_timing_dummy():
    """Unknown accounts are checked against a dummy hash only to take as long.

    Whatever password is typed, including the dummy's own, the answer is False.
    """
    from clinic.auth import passwords

    dummy_password = "no account has this password, it is only for timing"
    assert passwords._hasher.verify(passwords._DUMMY_HASH, dummy_password)
    assert verify_password(None, dummy_password) is False
    assert verify_password("", dummy_password) is False


def test_needs_rehash_for_other_parameters():
    """A weaker (or just different) hash needs rehashing; today's does not."""
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash("x" * 12)
    assert needs_rehash(weak) is True
    assert needs_rehash(hash_password("x" * 12)) is False


def test_needs_rehash_for_an_unreadable_hash():
    assert needs_rehash("garbage") is True
