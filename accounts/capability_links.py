"""What every re-showable capability link has in common (a booking link, a calendar feed).

The token is derived from a stored random salt and the server's secret
(``accounts.tokens.derive_token``), and only its digest is looked up: a database dump opens
nothing, yet the owner can be shown the same address, and its QR code, again.
"""

from __future__ import annotations

import segno

from .tokens import derive_token


class DerivedTokenLink:
    """For a model with ``token_salt`` and ``token_digest`` (None while off) fields and a
    ``TOKEN_PURPOSE`` that keeps its tokens apart from every other kind."""

    TOKEN_PURPOSE: str
    token_salt: str
    token_digest: str | None

    @property
    def is_on(self) -> bool:
        return self.token_digest is not None

    def current_token(self) -> str | None:
        """The token while the link is on (re-derived, never stored)."""
        if not self.is_on or not self.token_salt:
            return None
        return derive_token(self.TOKEN_PURPOSE, self.token_salt)


def qr_svg(text: str) -> str:
    """An inline SVG QR code of ``text`` (an address to scan with a phone)."""
    return segno.make(text, error="m").svg_inline(scale=4, dark="#1c2430", light="#fff")
