"""Time-based one-time codes, recovery codes, and sealing the TOTP secret.

Pure functions: no Flask, no database. Codes follow RFC 6238 (SHA-1, six
digits, 30-second steps: what every authenticator app expects). A code is
accepted one step either side of now, for phones whose clocks drift, and only
for a step later than the last one accepted, so that an overheard code cannot
be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import re
import secrets
from datetime import datetime

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/i/l: a code copied from paper is read back without doubt.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_RECOVERY_GROUPS, _RECOVERY_GROUP_LEN = 4, 4  # 16 symbols, about 79 bits
_SEAL_VERSION = "v1"


# --- TOTP ----------------------------------------------------------------------


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (the RFC 4226 recommendation)."""
    return pyotp.random_base32(32)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into a phone by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def normalise_code(text: str) -> str:
    return re.sub(r"[\s-]", "", text or "").casefold()


def looks_like_totp(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(
    secret: str, text: str, now: datetime, last_step: int | None
) -> int | None:
    """The time-step ``text`` is the code for, or None (wrong, stale or reused)."""
    if not looks_like_totp(text):
        return None
    code = normalise_code(text)
    current = time_step(now)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Every candidate is compared, so timing does not say which one matched.
        if hmac.compare_digest(code_at(secret, step), code) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def qr_svg(uri: str, title: str) -> str:
    """The URI as an SVG QR code, with no style attributes (the CSP forbids them).

    Black on a white quiet zone, whatever the page's colours.
    """
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        scale=5,
        border=4,
        dark="#000",
        light="#fff",
        svgclass="qr-code",
        lineclass=None,
        title=title,
    )
    return buffer.getvalue().decode()


# --- recovery codes ------------------------------------------------------------


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Codes like ``k7mq-2xrd-9hbf-w3tc``; shown once, stored only as hashes."""
    return [
        "-".join(
            "".join(
                secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LEN)
            )
            for _ in range(_RECOVERY_GROUPS)
        )
        for _ in range(count)
    ]


def hash_recovery_code(text: str) -> str:
    """SHA-256 of the code as typed, ignoring case, spaces and hyphens."""
    return hashlib.sha256(normalise_code(text).encode()).hexdigest()


def looks_like_recovery_code(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == _RECOVERY_GROUPS * _RECOVERY_GROUP_LEN and all(
        ch in _RECOVERY_ALPHABET for ch in code
    )


# --- sealing -------------------------------------------------------------------


class SealError(ValueError):
    """The sealed value was made with another key or altered."""


def derive_key(key_material: str) -> bytes:
    """A 256-bit AES key for two-factor secrets from a configured key string.

    HKDF with its own label: the same SECRET_KEY also signs cookies, and the
    two uses must not share a key.
    """
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"clinic two-factor secrets v1",
    ).derive(key_material.encode())


def seal(plaintext: str, key: bytes, context: str) -> str:
    """AES-GCM encrypt; ``context`` (e.g. "user:7") must match to unseal.

    Binding the context means a sealed secret copied onto another account's
    row does not open there.
    """
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{_SEAL_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(token: str, key: bytes, context: str) -> str:
    version, _, body = (token or "").partition(":")
    if version != _SEAL_VERSION:
        raise SealError("unknown sealed format")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise SealError("cannot unseal: wrong key or altered value") from exc
