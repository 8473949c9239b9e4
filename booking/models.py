"""Booking links (an employee's shared free time) and the bookings made through them.

Capability tokens are never stored: a link keeps the SHA-256 digest of its current token
(``None`` while switched off) and a booking keeps the digest of the booker's manage token.
Minting a new token replaces the digest, so every older token stops matching at once.
The link's token is derived from a random salt and SECRET_KEY (accounts.tokens.derive_token),
so its owner can be shown the same link and QR code again without it being stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from accounts.capability_links import DerivedTokenLink

DURATION_CHOICES = (15, 30, 45, 60, 90, 120)
DEFAULT_DURATION = 60
DEFAULT_MIN_NOTICE_MINUTES = 120
DEFAULT_HORIZON_DAYS = 60
MAX_BUFFER_MINUTES = 240
MAX_MIN_NOTICE_MINUTES = 60 * 24 * 30
MAX_HORIZON_DAYS = 365
MAX_DAILY_LIMIT = 50
MAX_CHANGES_UNTIL_HOURS = 24 * 30
LINK_TOKEN_PURPOSE = "booking-link:"


class BookingLink(DerivedTokenLink, models.Model):
    """A meeting type: an employee has any number ("Intro call, 15 min", "Project review,
    60 min"), each with its own link, switched off and renewed on its own. The first one
    (oldest) is the one ``/booking-link`` and the ``/booking/`` page have always meant.
    Settings survive switching a link off and on again; a removed type is archived (its
    link dead, its bookings kept)."""

    TOKEN_PURPOSE = LINK_TOKEN_PURPOSE

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_links"
    )

    class Kind(models.TextChoices):
        ONE = "one", _("Just me")
        ALL = "all", _("All of us (a joint meeting)")
        ANY = "any", _("Any of us (round robin)")

    #: "" for the first type made before there were several: shown as "Meeting".
    name = models.CharField(_("name"), max_length=100, blank=True, default="")
    #: Who is booked: the owner; every member at once (the times all are free); or one
    #: free member, the one with the fewest bookings from this link.
    kind = models.CharField(max_length=3, choices=Kind.choices, default=Kind.ONE)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="LinkMember", related_name="member_of_links", blank=True
    )
    token_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_created_at = models.DateTimeField(null=True, blank=True)
    token_salt = models.CharField(max_length=32, blank=True, default="")
    duration_minutes = models.PositiveSmallIntegerField(
        _("meeting length"),
        choices=[(d, d) for d in DURATION_CHOICES],
        default=DEFAULT_DURATION,
    )
    #: Other lengths the booker may choose besides ``duration_minutes`` (the default).
    more_durations = models.JSONField(default=list, blank=True)
    #: Asked of the booker: [{"id", "label", "kind", "required", "choices"}] (see
    #: ``booking.questions``).
    questions = models.JSONField(default=list, blank=True)
    location = models.CharField(_("place"), max_length=500, blank=True, default="")
    #: A video room for each booked meeting (``BOOKING_VIDEO_URL_TEMPLATE``).
    video = models.BooleanField(default=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # None: follow the employee's working hours as they change.
    hours = models.JSONField(_("bookable hours"), null=True, blank=True)
    # "": the employee's own time zone.
    timezone = models.CharField(_("time zone of the hours"), max_length=64, blank=True, default="")
    buffer_before_minutes = models.PositiveSmallIntegerField(_("buffer before"), default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(_("buffer after"), default=0)
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice"), default=DEFAULT_MIN_NOTICE_MINUTES
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("how far ahead"), default=DEFAULT_HORIZON_DAYS
    )
    daily_limit = models.PositiveSmallIntegerField(
        _("at most bookings a day"), null=True, blank=True
    )
    #: E-mails before each booked meeting, in minutes (``reminders.schedule``): to the
    #: booker, and to the owner when they want reminders.
    reminders = models.JSONField(default=list, blank=True)
    #: Bookers may cancel or move a meeting until this many hours before it (0: until it
    #: starts); a new time the owner asked for may always be chosen.
    changes_until_hours = models.PositiveSmallIntegerField(
        _("no changes later than (hours before)"), default=0
    )
    #: What an outside calendar that could not be read for too long (sources/) means
    #: here: its person busy for the whole window (nothing is double-booked), or its last
    #: known busy time kept.
    stale_sources_busy = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"booking link {self.name or '-'} of {self.owner}"

    @property
    def offered_durations(self) -> list[int]:
        """Every length the booker may choose, shortest first."""
        return sorted({self.duration_minutes, *self.more_durations})

    @property
    def hours_timezone(self) -> str:
        return self.timezone or self.owner.timezone

    @property
    def effective_hours(self) -> dict:
        return self.hours if self.hours is not None else self.owner.working_hours


class LinkMember(models.Model):
    """A colleague on a joint or round-robin link (the owner counts without a row)."""

    link = models.ForeignKey(BookingLink, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="link_memberships"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "user"], name="link_member_once")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.link_id}"


class Booking(models.Model):
    """A meeting a visitor booked; the event in the owner's calendar is ``event``.

    ``start``/``end`` copy the event's (only its booker moves it, through
    ``booking.rescheduling``), so that the PostgreSQL exclusion constraint over confirmed
    bookings can back up the owner lock.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined by you")
        CANCELLED = "cancelled", _("Cancelled by the booker")

    link = models.ForeignKey(BookingLink, on_delete=models.CASCADE, related_name="bookings")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookings"
    )
    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="booking")
    start = models.DateTimeField()
    end = models.DateTimeField()
    name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"), max_length=254)
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    comment = models.TextField(_("comment"), blank=True, default="")
    #: The booker's answers to the link's questions as they were asked:
    #: [{"question": label, "kind", "answer"}], so a later edit of a question keeps them.
    answers = models.JSONField(default=list, blank=True)
    timezone = models.CharField(_("booker's time zone"), max_length=64)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    manage_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    ended_at = models.DateTimeField(null=True, blank=True)  # declined or cancelled at
    #: When the owner asked the booker to choose another time (until they do).
    new_time_requested_at = models.DateTimeField(null=True, blank=True)
    #: How often the meeting was moved (by its booker).
    moves = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["owner", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="booking_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED


class BookingSeat(models.Model):
    """One person's time taken by a confirmed booking: its owner's, and on a joint link
    every member's. On PostgreSQL an exclusion constraint keeps one person's active seats
    from overlapping across every link they are on (migration 0009)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["user", "start"])]
        constraints = [
            models.UniqueConstraint(fields=["booking", "user"], name="booking_seat_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.start:%Y-%m-%d %H:%M}"


class IdempotencyRecord(models.Model):
    """The first answer to a booking POST with an ``Idempotency-Key``, replayed on retries.

    Scoped to the link; the key is kept as a digest, the request as a hash of its parsed
    fields, so the same key with a different body can be told apart (422).
    """

    link = models.ForeignKey(BookingLink, on_delete=models.CASCADE, related_name="+")
    key_digest = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "key_digest"], name="booking_idem_unique_key")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.key_digest[:8]} → {self.status_code}"
