"""Turning an employee's subscription feed on and off; reading it by its token.

Every write is one transaction on the feed row. A dead token (unknown, revoked, malformed)
is ``accounts.dead_links.DeadLink``: the one 404 of every capability link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.dead_links import DeadLink
from accounts.models import User
from accounts.tokens import derive_token, digest, new_salt

from .models import FEED_TOKEN_PURPOSE, CalendarFeed

#: Tokens we mint are 52 characters; far longer is not worth hashing.
MAX_TOKEN_LENGTH = 100


@transaction.atomic
def turn_on(
    user: User, *, busy_only: bool | None = None, new_address: bool = False
) -> CalendarFeed:
    """Switch the feed on (a new address when it was off, or when ``new_address``: the old
    one dies at once); ``busy_only`` changes what it shows, keeping the address."""
    feed, _created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
    if busy_only is not None:
        feed.busy_only = bool(busy_only)
    if new_address or not feed.is_on:
        feed.token_salt = new_salt()
        feed.token_digest = digest(derive_token(FEED_TOKEN_PURPOSE, feed.token_salt))
    feed.save()
    return feed


@transaction.atomic
def turn_off(user: User) -> None:
    """Kill the address at once; subscribed clients get the dead-link 404 from now on."""
    CalendarFeed.objects.filter(user=user).update(token_digest=None, token_salt="")


def feed_for_token(token: object) -> CalendarFeed:
    """The switched-on feed of an active employee that this token opens."""
    if not isinstance(token, str) or not 20 <= len(token) <= MAX_TOKEN_LENGTH:
        raise DeadLink("No such feed.")
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_digest=digest(token), user__is_active=True)
        .first()
    )
    if feed is None:
        raise DeadLink("No such feed.")
    return feed


def feed_urls(feed: CalendarFeed) -> dict[str, str] | None:
    """The feed's address for calendar apps (``webcal://``) and the same over https; None
    while the feed is off."""
    token = feed.current_token()
    if token is None:
        return None
    https = settings.BASE_URL + reverse("dav:feed", args=[token])
    return {"url": https, "webcal_url": "webcal://" + https.split("://", 1)[1]}


def caldav_address() -> str:
    """The server address a calendar app is given (it finds the calendar from there)."""
    return settings.BASE_URL + reverse("dav:root")
