"""Personal data at rest (DESIGN rule 4): AES-256-GCM encryption and keyed hashes (HMAC-SHA256) for
exact and suffix lookup, both derived from ``settings.DATA_KEY``.

Ciphertexts are ``v1:`` + base64(nonce ‖ ciphertext ‖ tag); the version prefix leaves room for key
rotation. A hash is hex, truncated (128 bits for exact lookup, 64 bits for a suffix); each kind of
value has its own domain label so that an ID hash never equals a phone hash.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from django.conf import settings

PREFIX = "v1:"


@functools.cache
def _keys(data_key: str) -> tuple[object, bytes]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    enc = hashlib.sha256(b"tongxin-enc-v1\0" + data_key.encode()).digest()
    mac = hashlib.sha256(b"tongxin-mac-v1\0" + data_key.encode()).digest()
    return AESGCM(enc), mac


def encrypt(plaintext: str) -> str:
    """Encrypt a value ('' stays '')."""
    if not plaintext:
        return ""
    aead, _mac = _keys(settings.DATA_KEY)
    nonce = os.urandom(12)
    return PREFIX + base64.b64encode(nonce + aead.encrypt(nonce, plaintext.encode(), None)).decode()


def decrypt(token: str) -> str:
    """Decrypt a value produced by :func:`encrypt` ('' stays ''). Raises ValueError for a foreign token."""
    if not token:
        return ""
    if not token.startswith(PREFIX):
        raise ValueError("not a Tongxin ciphertext")
    aead, _mac = _keys(settings.DATA_KEY)
    raw = base64.b64decode(token[len(PREFIX) :])
    try:
        return aead.decrypt(raw[:12], raw[12:], None).decode()
    except Exception as exc:  # cryptography.exceptions.InvalidTag: wrong key or tampered
        raise ValueError("cannot decrypt with the configured TONGXIN_DATA_KEY") from exc


@functools.lru_cache(maxsize=64)
def _domain(data_key: str, kind: str) -> hmac.HMAC:
    """An HMAC under the data key that has already taken in the domain ``kind`` (copied for each value:
    the key schedule and the domain prefix are computed once)."""
    _aead, mac = _keys(data_key)
    return hmac.new(mac, f"{kind}\0".encode(), hashlib.sha256)


def keyed_hash(kind: str, value: str, length: int = 32) -> str:
    """HMAC-SHA256 of ``value`` under the data key, in the domain ``kind`` ('' for blank)."""
    if not value:
        return ""
    return _mac(settings.DATA_KEY, kind, value, length)


def _mac(data_key: str, kind: str, value: str, length: int) -> str:
    """The first ``length`` hex digits of the HMAC of ``value`` in the domain ``kind``."""
    h = _domain(data_key, kind).copy()
    h.update(value.encode())
    return h.hexdigest()[:length]


def suffix_hash(kind: str, value: str, digits: int = 4) -> str:
    """Keyed hash of the last ``digits`` characters, for "last 4 digits" lookup ('' when too short)."""
    if digits < 1:  # value[-0:] would be the whole value
        raise ValueError(f"digits must be positive, not {digits}")
    if len(value or "") < digits:
        return ""
    return _suffix_hash(settings.DATA_KEY, kind, value[-digits:], digits)


@functools.lru_cache(maxsize=65536)
def _suffix_hash(data_key: str, kind: str, tail: str, digits: int) -> str:
    """Cached: a register's million ID numbers and phones end in at most some ten thousand tails each."""
    return _mac(data_key, f"{kind}-tail{digits}", tail, 16)
