"""Capability and bearer tokens: ≥128 random bits out, only a SHA-256 digest kept."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    """32 random bytes (256 bits) in URL-safe text."""
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
