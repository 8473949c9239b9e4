"""Events in employees' calendars and the people attending them."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from scheduling.instants import EPOCH, as_instant, micros  # noqa: F401 (re-exported)
from scheduling.recurrence import UNBOUNDED, Series, parse_rule


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
    # Shared by a series and its changed occurrences (RFC 5545: one UID, told apart by
    # RECURRENCE-ID); unique among series and single events (constraint below).
    uid = models.CharField(max_length=255, default=new_uid, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    location = models.CharField(_("place"), max_length=500, blank=True, default="")
    video_url = models.URLField(_("video link"), max_length=500, blank=True, default="")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    all_day = models.BooleanField(_("all day"), default=False)
    # RRULE value (canonical, without "RRULE:"), set on a series only.
    recurrence = models.TextField(_("repeat"), null=True, blank=True)
    #: E-mails before the event (each occurrence of a series), in minutes: to its guests,
    #: and to employees taking part who want reminders (``reminders`` app).
    reminders = models.JSONField(default=list, blank=True)
    # Starts (UTC ISO 8601) of occurrences taken out of the series (EXDATE).
    exdates = models.JSONField(_("excluded dates"), default=list, blank=True)
    # End of the last occurrence (``end`` for a single event, UNBOUNDED for a series
    # without end). Kept by save(); window queries select on start < window end and
    # series_end > window start, so only events that can touch the window are read.
    series_end = models.DateTimeField(editable=False)
    # A changed occurrence: the series it belongs to and the original start it replaces.
    series = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="exceptions"
    )
    recurrence_id = models.DateTimeField(null=True, blank=True)
    # "This and following" made this series out of another; the quota counts them once.
    split_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    transparency = models.CharField(
        _("show as"), max_length=4, choices=Transparency.choices, default=Transparency.BUSY
    )
    sequence = models.PositiveIntegerField(default=0)
    guests_can_see_participants = models.BooleanField(
        _("guests can see the participant list"), default=False
    )
    notify_on_decision = models.BooleanField(_("notify me about decisions"), default=True)
    # Set once, when the event first gets an external guest; never cleared. The free plan's
    # quota counts these (cancelling does not give the slot back).
    guests_first_invited_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A series' stored occurrences (SeriesOccurrence) hold every start in
    # [occurrences_from, occurrences_until); NULL: none stored yet. ``occurrences_key``
    # fingerprints what they were computed from (events.occurrence_store).
    occurrences_from = models.DateTimeField(null=True, blank=True, editable=False)
    occurrences_until = models.DateTimeField(null=True, blank=True, editable=False)
    occurrences_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["organizer", "start"]),
            models.Index(fields=["account", "start"]),
            models.Index(fields=["start"], name="event_start_idx"),
            models.Index(
                fields=["series_end"],
                condition=models.Q(recurrence__isnull=False),
                name="event_series_end_idx",
            ),
            models.Index(
                fields=["account"],
                condition=models.Q(guests_first_invited_at__isnull=False),
                name="event_with_guests_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="event_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["uid"], condition=models.Q(series__isnull=True), name="event_unique_uid"
            ),
            models.UniqueConstraint(
                fields=["series", "recurrence_id"],
                condition=models.Q(series__isnull=False),
                name="event_unique_occurrence",
            ),
            models.CheckConstraint(
                condition=models.Q(series__isnull=True, recurrence_id__isnull=True)
                | models.Q(
                    series__isnull=False, recurrence_id__isnull=False, recurrence__isnull=True
                ),
                name="event_exception_has_recurrence_id",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.series_end = self.compute_series_end()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {
            "start",
            "end",
            "recurrence",
            "timezone",
            "all_day",
        } & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "series_end"}
        super().save(*args, **kwargs)

    def as_series(self) -> Series | None:
        """The engine's view of this event's recurrence; None for a single event."""
        if not self.recurrence:
            return None
        return Series(
            rule=parse_rule(self.recurrence),
            start=self.start,
            duration=self.end - self.start,
            tz=self.zone,
            all_day=self.all_day,
            exdates=frozenset(dt.datetime.fromisoformat(d) for d in self.exdates or ()),
        )

    def compute_series_end(self) -> dt.datetime:
        """What ``series_end`` must hold (also for rows written with bulk_create)."""
        series = self.as_series()
        if series is None:
            return self.end
        return series.last_end() or UNBOUNDED

    @property
    def is_series(self) -> bool:
        return bool(self.recurrence)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class SeriesOccurrence(models.Model):
    """One occurrence of a series as busy time: its start and end, nothing else.

    Written by ``events.occurrence_store`` for a rolling range around today, so that busy
    time (booking slots, free/busy, the planner) reads plain rows instead of expanding
    every series on every request. Excluded dates and occurrences a changed copy replaces
    are left out (the copy is an event of its own).
    """

    series = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="stored_occurrences")
    # Microseconds since 1970-01-01 UTC: read back as integers, thousands of rows cost
    # next to nothing, where datetime columns go through Django's (and, on SQLite, text)
    # conversion row by row. ``as_instant`` / ``micros`` convert.
    start = models.BigIntegerField()
    end = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["series", "start"], name="series_occurrence_start"),
            # For a team's window: the occurrences starting in it, whatever the history
            # (the database picks this one or the one above, by what it expects to read).
            models.Index(fields=["start", "series", "end"], name="series_occurrence_window"),
        ]

    def __str__(self) -> str:
        return f"{self.series_id}: {as_instant(self.start).isoformat()}"


class Guest(models.Model):
    """An external person the account invites by e-mail: a contact, never a user.

    One per address and account (stored lower-case, so the match is case-insensitive).
    Guests cannot sign in; each invitation gives them a capability link instead.
    """

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="guests")
    email = models.CharField(_("e-mail"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100, blank=True, default="")
    # The language every mail and page for this guest comes in. Empty until the first
    # invitation, which stores the organizer's; the guest's own choice on the guest page
    # replaces it for good.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], name="guest_unique_email"),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="guest_email_lower_case",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """ "First Last", or the address when no name was given."""
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email


#: The event fields an attendance keeps a copy of (events.attendance_window).
WINDOW_COPIES = {
    "event_start": "start",
    "event_end": "end",
    "event_reach": "series_end",
    "event_stored_from": "occurrences_from",
    "event_stored_until": "occurrences_until",
}


def event_window(event: Event) -> dict[str, object]:
    """The copies an attendance of ``event`` carries, by attendance field name."""
    values = {copy: getattr(event, field) for copy, field in WINDOW_COPIES.items()}
    values["event_repeats"] = bool(event.recurrence)
    values["event_busy"] = (
        event.transparency == Event.Transparency.BUSY and event.status != Event.Status.CANCELLED
    )
    return values


def copy_event_window(attendee: Attendee, event: Event) -> None:
    for name, value in event_window(event).items():
        setattr(attendee, name, value)


class AttendeeManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        """Fill the copied event window of rows that lack it (one query for their events)."""
        objs = list(objs)
        missing = [a for a in objs if a.event_start is None]
        unloaded = {a.event_id for a in missing if not Attendee.event.is_cached(a)}
        events = Event.objects.in_bulk(unloaded) if unloaded else {}
        for attendee in missing:
            event = events.get(attendee.event_id) or attendee.event
            copy_event_window(attendee, event)
        return super().bulk_create(objs, *args, **kwargs)


class BusyVersion(models.Model):
    """A token that changes whenever anything a person's busy time is read from changes
    (their attendances and the stored occurrences of series they attend), set by
    database triggers (migration 0013), so no write path can forget it. Cached busy time
    (``events.busy_cache``) is keyed by it. Random, not a counter: a database restored or
    recreated (as each test's is) can never meet an old cache entry with the same key."""

    #: Not a foreign key: the triggers write it while a person's rows are being deleted,
    #: and a token of someone gone harms nobody.
    user_id = models.BigIntegerField(primary_key=True)
    token = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.token}"


class Attendee(models.Model):
    """Someone invited to an event: a colleague (``user``) or an external ``guest``.

    Exactly one of the two is set. A guest attendee carries the capability tokens of its
    invitation (see ``events.guests``): only their SHA-256 digests are stored, and the
    tokens are re-derived from ``token_salt`` for every update mail. Deleting the row
    (the guest is removed from the event) kills both links at once.
    """

    class Status(models.TextChoices):
        NEEDS_ACTION = "needs-action", _("Not answered")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentative", _("Maybe")
        DECLINED = "declined", _("Declined")
        # A guest passed the invitation on (iTIP DELEGATED): recorded with the delegate's
        # address, who is shown, never invited by us without the organizer.
        DELEGATED = "delegated", _("Delegated")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attendances",
    )
    guest = models.ForeignKey(
        Guest, on_delete=models.PROTECT, null=True, blank=True, related_name="attendances"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEEDS_ACTION)
    # Whom a guest delegated to (their client's DELEGATED-TO), while the status says so.
    delegated_to = models.CharField(max_length=254, blank=True, default="")
    # Guests only: random salt the link and reply tokens are derived from, and the digests
    # of those tokens (lookups go by digest; the tokens themselves are never stored).
    token_salt = models.CharField(max_length=32, blank=True, default="")
    rsvp_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    reply_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Ordering of answers (RFC 5546 §2.1.5): a reply older than the last applied one
    # (lower SEQUENCE, or same SEQUENCE and earlier DTSTAMP) changes nothing.
    answered_sequence = models.IntegerField(null=True, blank=True)
    answered_dtstamp = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    # Copies of the event's window (start, end, series_end, "is a series", "counts as
    # busy", its stored occurrence range), kept by the manager's bulk_create, save(), the
    # event's post_save and the occurrence store (events.attendance_window). A busy read
    # starts from a person's attendances; with these it seeks the window in an index and
    # needs no event row at all, instead of walking the person's whole history.
    event_start = models.DateTimeField(null=True, editable=False)
    event_end = models.DateTimeField(null=True, editable=False)
    event_reach = models.DateTimeField(null=True, editable=False)
    event_repeats = models.BooleanField(default=False, editable=False)
    event_busy = models.BooleanField(default=False, editable=False)
    event_stored_from = models.DateTimeField(null=True, editable=False)
    event_stored_until = models.DateTimeField(null=True, editable=False)

    objects = AttendeeManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="attendee_unique_user"),
            models.UniqueConstraint(fields=["event", "guest"], name="attendee_unique_guest"),
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, guest__isnull=True)
                    | models.Q(user__isnull=True, guest__isnull=False)
                ),
                name="attendee_user_xor_guest",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "event"]),
            models.Index(fields=["guest", "event"]),
            models.Index(fields=["user", "event_start"], name="attendee_user_start"),
            models.Index(
                fields=["user", "event_reach"],
                condition=models.Q(event_repeats=True),
                name="attendee_user_reach",
            ),
        ]

    def __str__(self) -> str:
        if self.user_id:
            return str(self.user)
        return str(self.guest) if self.guest_id else "?"

    def save(self, *args, **kwargs) -> None:
        if self.event_start is None and self.event_id:
            copy_event_window(self, self.event)
        super().save(*args, **kwargs)

    @property
    def is_guest(self) -> bool:
        return self.guest_id is not None

    @property
    def name(self) -> str:
        if self.user_id:
            return self.user.full_name or self.user.email
        return self.guest.name

    @property
    def email(self) -> str:
        return self.user.email if self.user_id else self.guest.email

    @property
    def kind(self) -> str:
        return "employee" if self.user_id else "guest"


class GuestReplyReceipt(models.Model):
    """One iMIP REPLY that reached a guest's invitation, whatever became of it.

    ``fingerprint`` (SHA-256 of the Message-ID and the reply's UID, RECURRENCE-ID and
    attendee) is unique per attendee, so a second delivery of the same mail is recognised
    and changes nothing.
    """

    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="receipts")
    fingerprint = models.CharField(max_length=64)
    message_id = models.CharField(max_length=255, blank=True, default="")
    partstat = models.CharField(max_length=20)
    sequence = models.IntegerField(default=0)
    dtstamp = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20)
    received_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attendee", "fingerprint"], name="guest_reply_unique_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partstat} ({self.outcome})"


class GuestMessage(models.Model):
    """What a guest wrote to their reply address beyond an answer: a mail without a
    calendar ("I'll be 10 minutes late"), or the note sent with an answer (COMMENT).

    Kept so that the event page shows it beside the guest's answer; the organizer also
    gets it by e-mail (``events.guest_messages``).
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", _("message")
        COMMENT = "comment", _("comment with the answer")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="guest_messages")
    attendee = models.ForeignKey(
        Attendee, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True, default="")
    received_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject[:60]}"


class Proposal(models.Model):
    """A guest's "propose another time": from their calendar (iTIP COUNTER) or their page.

    The organizer accepts (the event, or that one date, moves and everyone is told) or
    declines (the guest's calendar gets a DECLINECOUNTER); nothing moves by itself.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="proposals")
    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="proposals")
    # The original start of the one date proposed for, or null for the whole event.
    occurrence = models.DateTimeField(null=True, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    comment = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    message_id = models.CharField(max_length=255, blank=True, default="")
    received_at = models.DateTimeField(default=now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} ({self.status})"


def attachment_storage_name(instance: Attachment, filename: str) -> str:
    """A random storage name: the uploader's file name never reaches the file system."""
    return f"attachments/{secrets.token_hex(16)}"


class Attachment(models.Model):
    """A file attached to an event; guests download it through their own link.

    The file lives in the default storage (``DATA_DIR/uploads``) under a random name; the
    original name, cleaned, is kept only for the download's Content-Disposition.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_storage_name, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename
