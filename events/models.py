"""Events in employees' calendars and the people attending them."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


def new_uid() -> str:
    """Globally unique, stable across every iTIP message about the event (RFC 5545 UID)."""
    host = settings.BASE_URL.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    return f"{uuid.uuid4()}@{host}"


class Event(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        TENTATIVE = "tentative", _("Tentative")
        CANCELLED = "cancelled", _("Cancelled")

    class Transparency(models.TextChoices):
        BUSY = "busy", _("Busy")
        FREE = "free", _("Free")

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="events")
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organized_events"
    )
    uid = models.CharField(max_length=255, unique=True, default=new_uid, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    location = models.CharField(_("place"), max_length=500, blank=True, default="")
    video_url = models.URLField(_("video link"), max_length=500, blank=True, default="")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    all_day = models.BooleanField(_("all day"), default=False)
    recurrence = models.TextField(_("repeat"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    transparency = models.CharField(
        _("show as"), max_length=4, choices=Transparency.choices, default=Transparency.BUSY
    )
    sequence = models.PositiveIntegerField(default=0)
    guests_can_see_participants = models.BooleanField(
        _("guests can see the participant list"), default=False
    )
    notify_on_decision = models.BooleanField(_("notify me about decisions"), default=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["organizer", "start"]),
            models.Index(fields=["account", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="event_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Attendee(models.Model):
    """Someone invited to an event: a colleague (user) now, an external guest later."""

    class Status(models.TextChoices):
        NEEDS_ACTION = "needs-action", _("Not answered")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentative", _("Maybe")
        DECLINED = "declined", _("Declined")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attendances",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEEDS_ACTION)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="attendee_unique_user"),
        ]
        indexes = [models.Index(fields=["user", "event"])]

    def __str__(self) -> str:
        return str(self.user) if self.user else "?"

    @property
    def kind(self) -> str:
        return "employee" if self.user_id else "guest"
