"""An employee's private subscription feed: one capability link per person.

The token is derived from a random salt and the server's secret (``accounts.tokens``), so
only its digest is stored and looked up, yet the owner can be shown the same address (and
its QR code) again; a new salt kills the old address at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.capability_links import DerivedTokenLink

FEED_TOKEN_PURPOSE = "calendar-feed:"


class CalendarFeed(DerivedTokenLink, models.Model):
    TOKEN_PURPOSE = FEED_TOKEN_PURPOSE

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_salt = models.CharField(max_length=64, blank=True)
    token_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    #: Times only (no titles, places or people): a feed to share outside the company.
    busy_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"
