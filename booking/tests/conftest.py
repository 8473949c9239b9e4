"""Fixtures for the booking tests: a switched-on link with wide hours, a free slot, mail."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import zoneinfo

import pytest
from django.utils import timezone

from accounts.models import WEEKDAYS

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
#: Every day 08:00-20:00 (owner's zone, Berlin), so tests never depend on the weekday.
WIDE_HOURS = {day: [["08:00", "20:00"]] for day in WEEKDAYS}


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """Tests that are not about rate limits must not hit them."""
    settings.BOOKING_SLOTS_RATE = (100_000, 60)
    settings.BOOKING_BOOKINGS_RATE = (100_000, 60)
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def link_token(owner) -> str:
    from booking.services import configure_link

    _link, token = configure_link(
        owner, {"hours": WIDE_HOURS, "min_notice_minutes": 0}, switch_on=True
    )
    return token


def berlin_day(days_ahead: int = 3) -> dt.date:
    return timezone.now().astimezone(BERLIN).date() + dt.timedelta(days=days_ahead)


def berlin_at(hour: int, minute: int = 0, days_ahead: int = 3) -> dt.datetime:
    day = berlin_day(days_ahead)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def slot_start() -> dt.datetime:
    """10:00 Berlin three days from now: a slot of the link above."""
    return berlin_at(10)


def visitor(start, **overrides):
    from booking.services import BookingRequest

    fields = {
        "start": start,
        "name": "Maria Rossi",
        "email": "maria@example.org",
        "phone": "+39 06 1234567",
        "comment": "About the offer",
        "timezone": "Europe/Rome",
    }
    fields.update(overrides)
    return BookingRequest(**fields)


def api_body(start: dt.datetime, **overrides) -> dict:
    body = {
        "start": start.isoformat(),
        "name": "Maria Rossi",
        "email": "maria@example.org",
        "phone": "+39 06 1234567",
        "comment": "About the offer",
        "timezone": "Europe/Rome",
    }
    body.update(overrides)
    return body


def outbox_to(address: str):
    """Parsed messages queued for ``address``, oldest first (rendered first, as the
    worker would; those found with no reason left to go are not in the list)."""
    from mail.delivery import render_pending
    from mail.models import OutboxMessage

    render_pending()
    rows = OutboxMessage.objects.order_by("created_at", "id")
    return [
        email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
        for row in rows
        if address in row.recipients and row.status != OutboxMessage.Status.OBSOLETE
    ]


def calendar_part(message):
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None
