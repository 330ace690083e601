"""Encryption at rest (Fernet, with key rotation) and message signatures (Ed25519).

Keys come from ``settings.MESSAGING_KEYS``: a list of Fernet keys, the first one encrypts,
every one decrypts (``MultiFernet``). To rotate: put a new key first, keep the old ones, run
``parcours rotate-keys`` (re-encrypts everything with the first key), then drop the old keys.

Blind search tokens: a keyed hash (HMAC-SHA256, ``settings.MESSAGING_SEARCH_KEY``) of each
folded word, so mail can be searched by whole words without storing its text in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.conf import settings

from .text import strip_accents

__all__ = [
    "InvalidToken",
    "decrypt",
    "encrypt",
    "rotate",
    "search_tokens",
    "sign",
    "verify",
    "new_signing_key",
    "derive_key",
]


def derive_key(secret: str, purpose: str) -> str:
    """A Fernet key derived from a secret (development default only)."""
    digest = hashlib.sha256(f"parcours:{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.MESSAGING_KEYS))


def encrypt(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return _current().encrypt(data).decode()


def decrypt(token: str | bytes) -> bytes:
    """Raises InvalidToken when no key opens it (altered, or encrypted with a dropped key)."""
    if isinstance(token, str):
        token = token.encode()
    return _current().decrypt(token)


def rotate(token: str | bytes) -> str:
    """The same plaintext re-encrypted with the first key (keeps the original timestamp)."""
    if isinstance(token, str):
        token = token.encode()
    return _current().rotate(token).decode()


def primary_key_id() -> str:
    """A short fingerprint of the encrypting key (never the key)."""
    return hashlib.sha256(settings.MESSAGING_KEYS[0].encode()).hexdigest()[:12]


# --- signatures ---------------------------------------------------------------------------------


def new_signing_key() -> tuple[bytes, bytes]:
    """A fresh Ed25519 pair: (private key raw 32 bytes, public key raw 32 bytes)."""
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw_private, raw_public


def sign(private_raw: bytes, data: bytes) -> str:
    return base64.b64encode(Ed25519PrivateKey.from_private_bytes(private_raw).sign(data)).decode()


def verify(public_raw: bytes, data: bytes, signature_b64: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(base64.b64decode(signature_b64), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# --- blind search tokens -----------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]{2,}")


def search_tokens(*texts: str) -> list[str]:
    """Keyed hashes of the distinct folded words (2+ characters) of the texts, 12 hex each."""
    key = settings.MESSAGING_SEARCH_KEY.encode()
    words = set()
    for text in texts:
        words.update(_WORD.findall(strip_accents(text or "").lower()))
    return sorted(hmac.new(key, w.encode(), hashlib.sha256).hexdigest()[:12] for w in words)
