"""Busy sources: the other calendars an employee already keeps, read for busy time only.

A source is an iCalendar address (Google's and Outlook's "secret address", any .ics or
webcal link) or a CalDAV calendar. The worker reads it now and then and keeps its busy
blocks (start and end, nothing else: titles are never stored); its state says when it
was last read and why it could not be, so that a failing source is loud.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class BusySource(models.Model):
    class Kind(models.TextChoices):
        ICAL = "ical", "iCalendar address"
        CALDAV = "caldav", "CalDAV calendar"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="busy_sources"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    #: Encrypted (``sources.crypto``): a secret address is a credential by itself.
    url_secret = models.TextField()
    #: Shown back: scheme and host only, never the path of a secret address.
    url_hint = models.CharField(max_length=300)
    username = models.CharField(max_length=254, blank=True, default="")
    password_secret = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    # Conditional GET (iCalendar addresses).
    etag = models.CharField(max_length=300, blank=True, default="")
    last_modified = models.CharField(max_length=100, blank=True, default="")
    # State.
    next_fetch_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    #: When the owner was e-mailed about this run of failures (None: not yet, or it
    #: recovered since): one mail per run, not one per try.
    failure_mailed_at = models.DateTimeField(null=True, blank=True)
    block_count = models.PositiveIntegerField(default=0)
    #: The window the stored blocks cover (what a read was asked for).
    covered_from = models.DateTimeField(null=True, blank=True)
    covered_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url_hint})"


class BusyBlock(models.Model):
    """One busy interval from a source, as epoch microseconds like the stored series
    occurrences, so the database merges it with the person's own busy time.

    Never longer than an event may be (``events.validation.MAX_EVENT_LENGTH``): a
    longer one (a holiday) is stored in pieces, so that a window's index seek stays
    bounded the same way.
    """

    source = models.ForeignKey(BusySource, on_delete=models.CASCADE, related_name="blocks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.BigIntegerField()
    end = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["user", "start"], name="busyblock_user_start")]

    def __str__(self) -> str:
        return f"busy {self.start}-{self.end} from source {self.source_id}"


class BusyDay(models.Model):
    """A person's busy time from all their sources on one UTC day, merged: what the
    busy-time readers read (``events.busy_merge``), one row a day instead of a row a
    block, rebuilt from ``BusyBlock`` whenever a source's blocks change.

    ``spans`` is JSON ``[[start, end], ...]`` in epoch microseconds, sorted, merged and
    clipped to the day.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.BigIntegerField()  # the day's UTC midnight, epoch microseconds
    spans = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="busyday_user_day"),
        ]

    def __str__(self) -> str:
        return f"busy day {self.day} of {self.user_id}"
