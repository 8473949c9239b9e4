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


class AppPassword(models.Model):
    """A password for one device's calendar app (CalDAV), never the web password.

    Random (140 bits), so a SHA-256 digest is all that is stored and looked up; shown
    once, when made. Each device gets its own, named, so losing a phone means revoking
    one password, not changing the one everybody knows.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_passwords"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"app password {self.name!r} of {self.user}"


class SyncState(models.Model):
    """What one CalDAV sync-token stood for: every object's href and version then.

    RFC 6578 asks for "what changed since this token". Events change through many
    services (answers, series surgery, bookings, a colleague removed from a meeting), so
    rather than hook each of them, the token names this snapshot and a later sync
    compares it with the calendar as it is now: changed and new versions are sent, hrefs
    no longer there are reported gone. Only the newest snapshots per calendar are kept;
    an older token gets the "valid-sync-token" error and the client syncs afresh.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dav_sync_states"
    )
    #: Random, so a token cannot be guessed from another; part of the sync-token URI.
    key = models.CharField(max_length=32, unique=True)
    #: zlib-compressed JSON {href name: version}.
    snapshot = models.BinaryField()
    #: The same digest for the same snapshot: an unchanged calendar keeps its token.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "fingerprint"])]

    def __str__(self) -> str:
        return f"sync state {self.key} of {self.user}"


class ObjectName(models.Model):
    """The file name a calendar app gave an event it created, when it is not the UID.

    RFC 4791 lets the client choose the name it PUTs to and expects the object to stay
    there; our own events are named after their UID and need no row here.
    """

    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="dav_name")
    name = models.CharField(max_length=255, db_index=True)

    def __str__(self) -> str:
        return self.name


class RenderedObject(models.Model):
    """An object's iCalendar text as last rendered, for the version it was rendered at.

    A calendar app asks for the same objects again and again (every query, every new
    device); rendering thousands of them each time is most of such a request. The
    version (the object's ETag) says whether the text still holds, so nothing needs
    invalidating: a changed event has a new version and is rendered afresh.
    """

    event = models.OneToOneField(
        "events.Event", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.CharField(max_length=32)
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"rendered {self.event_id} at {self.version}"


class CalendarLook(models.Model):
    """How the person's calendar apps show the calendar: the name, colour and place in
    the list they set there (PROPPATCH), kept so every device shows the same."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_look"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    color = models.CharField(max_length=9, blank=True, default="")
    order = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar look of {self.user}"
