"""Password hashing (argon2id) and the password policy.

The policy follows NIST SP 800-63B: a minimum length, a generous maximum, no
composition rules, and a refusal of passwords that are known to be common
(the 30,000-entry list shipped with zxcvbn) or that merely repeat the user's
own email or name. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current parameters
_DUMMY_TEXT = "no account has this password, it is only for timing"
# A valid hash of a random password, verified against when the account is
# unknown so that "no such user" takes as long as "wrong password".
_DUMMY_HASH = _hasher.hash(_DUMMY_TEXT)


def configure(time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Use these argon2id parameters from now on (set from the app's config).

    Hashes made with other parameters are upgraded at the next sign-in.
    """
    global _hasher, _DUMMY_HASH
    if (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism) == (
        time_cost,
        memory_cost,
        parallelism,
    ):
        return
    _hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    )
    _DUMMY_HASH = _hasher.hash(_DUMMY_TEXT)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-effort check; False for a missing or malformed hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(
            stored_hash
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


_TRAILING_NOISE = re.compile(r"[\d\W_]+$")
_LEADING_NOISE = re.compile(r"^[\d\W_]+")


def password_problem(
    password: str,
    *,
    min_length: int,
    max_length: int,
    personal: tuple[str, ...] = (),
) -> str | None:
    """Why ``password`` is not acceptable, or None if it is."""
    if len(password) < min_length:
        return f"Use at least {min_length} characters."
    if len(password) > max_length:
        return f"Use at most {max_length} characters."
    lowered = password.casefold()
    if len(set(lowered)) <= 2:
        return "This password repeats the same characters; choose another."
    common = _common_passwords()
    # "Password2024!" is "password" with decoration: still common.
    core = _LEADING_NOISE.sub("", _TRAILING_NOISE.sub("", lowered))
    if lowered in common or (len(core) >= 4 and core in common) or core == "":
        return "This password is too common; choose one that is hard to guess."
    for word in personal:
        word = word.casefold().strip()
        local = word.split("@")[0]
        if word and (lowered == word or (len(local) >= 4 and core == local)):
            return "Do not use your email address or name as your password."
    return None
