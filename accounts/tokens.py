"""Capability and bearer tokens: ≥128 random bits out, only a SHA-256 digest kept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings


def new_token(prefix: str = "") -> str:
    """32 random bytes (256 bits) in URL-safe text."""
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_salt() -> str:
    """128 random bits that, with SECRET_KEY, reproduce a capability token (derive_token)."""
    return secrets.token_hex(16)


def derive_token(purpose: str, salt: str) -> str:
    """A capability token re-computable from a stored random salt and the server's secret.

    Only the token's digest is stored and looked up, so a database dump opens nothing, yet
    the owner can be shown the same link again (a QR code next week, an update mail to a
    guest). 256 bits, lower-case base32 without padding (52 characters). Rotating
    SECRET_KEY changes every derived token, i.e. kills every such link.
    """
    mac = hmac.new(settings.SECRET_KEY.encode(), (purpose + salt).encode(), hashlib.sha256)
    return base64.b32encode(mac.digest()).decode("ascii").rstrip("=").lower()
