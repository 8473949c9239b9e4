"""Values read out of other people's calendars, leniently: addresses, SEQUENCE, instants.

Shared by the REPLY reader (``mail.inbound_parse``) and the readers of the other iTIP
methods (``mail.inbound_itip``). Nothing here raises for any input.
"""

from __future__ import annotations

import datetime as dt

from accounts.addresses import InvalidAddress
from accounts.addresses import normalize_address as normalize_address_strictly


def normalize_address(value: object) -> str | None:
    """A calendar address (``mailto:`` / ``MAILTO:`` / bare) as a lower-case address or None."""
    if value is None:
        return None
    text = str(value).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].strip()
    try:  # the project's one validator: an address it refuses can be no guest's
        return normalize_address_strictly(text).lower()
    except InvalidAddress:
        return None


def person_address(prop: object) -> str | None:
    """The address of an ORGANIZER/ATTENDEE: its value, else its EMAIL parameter."""
    if prop is None:
        return None
    address = normalize_address(prop)
    if address is None:
        params = getattr(prop, "params", {}) or {}
        address = normalize_address(params.get("EMAIL"))
    return address


def read_sequence(value: object, problems: list[str]) -> int:
    if value is None:
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        problems.append(f"unreadable SEQUENCE {str(value)[:40]!r}; taken as 0")
        return 0
    return max(number, 0)


def instant(prop: object, *, floating: bool = False) -> dt.datetime | None:
    """An aware UTC datetime from a DTSTAMP/RECURRENCE-ID property, or None.

    A floating time (no zone) is read as UTC, unless ``floating``: then it stays naive,
    for the event's own zone to place (a RECURRENCE-ID names a wall time of the series;
    read as UTC it named no occurrence and the answer was dropped). A date becomes its
    midnight UTC: a REPLY for one all-day occurrence must not lose which occurrence it is.
    """
    value = getattr(prop, "dt", None)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            if floating:
                return value.replace(tzinfo=None)
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), dt.UTC)
    return None


def delegate(params: dict) -> str:
    """The first address of a DELEGATED-TO parameter ("" when none is readable)."""
    value = params.get("DELEGATED-TO")
    values = value if isinstance(value, list) else [value] if value else []
    for item in values:
        address = normalize_address(str(item).strip().strip('"'))
        if address:
            return address
    return ""
