"""Webhooks: addresses an account admin registers, and the outbox of what they are sent.

An ``Endpoint`` belongs to the account (not to the admin who added it); its signing
secret is stored encrypted (``sources.crypto``) and shown once. A ``Delivery`` is written
in the same transaction as the change it reports, so a rolled-back change sends nothing
and a committed one is never lost; the worker sends it, signed, in order per subject
(one booking's "created" before its "cancelled").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: The versioned payloads' types (``"type"`` in the JSON), and what each reports.
EVENT_TYPES = {
    "booking.created": _("A booking was made through a booking link"),
    "booking.rescheduled": _("A booker moved their booking to another time"),
    "booking.cancelled": _("A booker cancelled their booking"),
    "booking.declined": _("An employee declined a booking"),
    "guest.answered": _("A guest accepted, declined or answered maybe"),
    "event.changed": _("An event was changed or cancelled"),
}
PAYLOAD_VERSION = 1


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class Endpoint(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True, default="")
    #: The event types it receives (keys of ``EVENT_TYPES``).
    event_types = models.JSONField(default=list)
    secret_encrypted = models.TextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Delivery state: the receiver's, not one message's (a receiver that is down fails
    # every message; it is retried as a whole, oldest first).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    #: One worker at a time sends to an endpoint (in order); a lease, not a held lock.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    #: The ``webhook-id`` header: the same on every retry, so a receiver can drop repeats.
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    event_type = models.CharField(max_length=40)
    #: What the order is kept within, e.g. ``booking:12``.
    subject = models.CharField(max_length=80)
    #: The exact body sent (and signed).
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["endpoint", "status", "id"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id}"
