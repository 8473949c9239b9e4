"""The one e-mail address validator of the project: employees, sender mailboxes, guests,
bookers, mail recipients.

The strictest form that real addresses pass: ``local@domain``, a dot-atom local part (no
quoted local parts, no comments, no display names), a domain of at least two labels, an
internationalised domain turned into its ASCII (IDNA) form. A quoted local part such as
``"ceo@bank.test"@client.test`` is valid by RFC 5322, but no person types it, and shown
as a From it misleads: three validators once disagreed about it.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 254
_LOCAL_PART = re.compile(r"[A-Za-z0-9!$&'*+/=^_`{|}~-]+(?:\.[A-Za-z0-9!$&'*+/=^_`{|}~-]+)*\Z")
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")


class InvalidAddress(ValueError):
    """Why a value is not an address we take (English, for logs and the iCalendar layer)."""


def normalize_address(value: object) -> str:
    """``value`` as ``local@ascii-domain``, or ``InvalidAddress`` saying why not."""
    if not isinstance(value, str):
        raise InvalidAddress("must be text")
    if not value:
        raise InvalidAddress("an e-mail address is required")
    if len(value) > MAX_LENGTH:
        raise InvalidAddress(f"longer than {MAX_LENGTH} characters")
    if value.count("@") != 1:
        raise InvalidAddress(f"{value!r} is not a single e-mail address")
    local, domain = value.split("@")
    if len(local) > 64 or not _LOCAL_PART.match(local):
        raise InvalidAddress(f"{value!r} is not a valid e-mail address")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidAddress(f"{value!r} has an invalid domain") from exc
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidAddress(f"{value!r} has an invalid domain")
    if labels[-1].isdigit():
        raise InvalidAddress(f"{value!r} has an invalid domain")
    return f"{local}@{domain}"


def validate_address(value: object) -> None:
    """``normalize_address`` as a Django validator (forms, services)."""
    try:
        normalize_address(value)
    except InvalidAddress:
        raise ValidationError(_("Enter a valid e-mail address."), code="invalid") from None
