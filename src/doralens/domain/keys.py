"""API and application keys: generation and hashing. Keys are stored only as SHA-256 hashes.

Keys are 128 or 160 random bits, so a fast hash is enough: there is nothing to brute-force.
Like Datadog's, API keys are 32 hex characters and application keys 40.
"""

from __future__ import annotations

import hashlib
import secrets

from doralens.store.base import KeyKind

KEY_HEX_LENGTH: dict[KeyKind, int] = {"api": 32, "app": 40}


def generate_key(kind: KeyKind) -> str:
    """A new random key of the given kind."""
    return secrets.token_hex(KEY_HEX_LENGTH[kind] // 2)


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.strip().encode()).hexdigest()


def last4(key: str) -> str:
    """The last four characters, shown in listings so people can tell keys apart."""
    return key.strip()[-4:]
