"""Fixtures for reading every page and mail in each of the five languages.

The dates are fixed in the future (June 2031), so no test depends on today's date.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from html import unescape

import pytest

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
LANGUAGES = ["en", "it", "pl", "es", "de"]
OTHER_LANGUAGES = ["it", "pl", "es", "de"]
GUEST = {"email": "gina@client.example", "first_name": "Gina", "last_name": "Rossi"}

#: Words that only an English sentence has; user data in these tests avoids them.
ENGLISH_WORDS = {
    "the",
    "your",
    "you",
    "with",
    "this",
    "that",
    "from",
    "are",
    "and",
    "for",
    "will",
    "have",
    "here",
    "been",
    "which",
    "when",
    "what",
    "please",
    "save",
    "settings",
    "calendar",
    "event",
    "events",
    "guest",
    "guests",
    "week",
    "today",
    "booking",
    "meeting",
    "times",
    "busy",
    "free",
    "invitation",
    "answer",
    "sign",
    "out",
    "previous",
    "next",
    "show",
    "add",
    "edit",
    "delete",
    "cancel",
    "change",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "june",
    "july",
    "december",
    "every",
    "until",
    "more",
    "back",
    "send",
    "open",
    "only",
    "none",
    "nothing",
    "yet",
    "employees",
}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2031, 6, day, hour, minute, tzinfo=BERLIN)


def visible_text(html: str) -> str:
    html = re.sub(r"(?s)<(script|style|svg)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    # What a person reads also sits in some attributes.
    shown = " ".join(re.findall(r'(?:title|aria-label|placeholder|alt)="([^"]*)"', html))
    # Option lists of languages name each language in itself, so "English" is expected.
    html = re.sub(r"(?s)<select[^>]*name=\"(?:language|lang)\".*?</select>", " ", html)
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(f"{text} {shown}")


#: Product names stay as their makers write them in every language.
PRODUCT_NAMES = ("Google Calendar", "Apple Calendar", "GNOME Calendar")


def english_words(text: str) -> set[str]:
    for name in PRODUCT_NAMES:
        text = text.replace(name, " ")
    return {w for w in re.findall(r"[^\W\d_]+", text) if w.lower() in ENGLISH_WORDS}


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.BOOKING_SLOTS_RATE = (100_000, 60)
    settings.BOOKING_BOOKINGS_RATE = (100_000, 60)
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def mailbox(owner):
    from events.tests.guest_helpers import make_mailbox

    return make_mailbox(owner)


@pytest.fixture
def meeting(owner, colleague, mailbox):
    from events.services import event_create

    return event_create(
        owner,
        title="Kick-off",
        start=at(3, 10),
        end=at(3, 11),
        timezone="Europe/Berlin",
        location="Sala 4",
        attendee_ids=[colleague.pk],
        guests=[GUEST],
    )


@pytest.fixture
def series(owner):
    from events.services import event_create

    return event_create(
        owner,
        title="Stand-up",
        start=at(2, 9),
        end=at(2, 9, 15),
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=10",
    )


@pytest.fixture
def gina(meeting):
    from events.models import Attendee

    return Attendee.objects.select_related("guest").get(event=meeting, guest__email=GUEST["email"])


@pytest.fixture
def link_token(owner) -> str:
    from accounts.models import WEEKDAYS
    from booking.services import configure_link

    wide = {day: [["08:00", "20:00"]] for day in WEEKDAYS}
    _link, token = configure_link(owner, {"hours": wide, "min_notice_minutes": 0}, switch_on=True)
    return token
