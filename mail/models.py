"""The outbox: every outgoing e-mail is a row here before anything touches SMTP.

A row is written in the same database transaction as the change that caused the mail
(invariant 2), so a rolled-back change leaves no mail, and a committed one leaves a row
that a worker delivers, retries with back-off and finally marks sent or failed.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # Generated once at queue time and baked into ``raw``: every retry sends the same
    # Message-ID, so a receiving server (or a person) can recognise a duplicate.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, editable=False)
    # The envelope sender (MAIL FROM), a bare address; the From header lives in ``raw``.
    from_email = models.CharField(_("envelope sender"), max_length=320)
    # Envelope recipients (To + Cc + Bcc), bare ASCII addresses.
    recipients = models.JSONField(_("recipients"), default=list)
    # Recipients that the relay has already accepted: a retry after a partial temporary
    # refusal goes only to the others, so nobody receives the mail twice.
    delivered_to = models.JSONField(_("delivered to"), default=list, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    # The complete MIME message with CRLF line ends, exactly the bytes sent in DATA.
    raw = models.BinaryField(_("raw message"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="mail_outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.recipients)} ({self.status})"

    @property
    def raw_bytes(self) -> bytes:
        """The stored message as ``bytes`` (PostgreSQL hands back a ``memoryview``)."""
        return bytes(self.raw)

    @property
    def undelivered_recipients(self) -> list[str]:
        delivered = set(self.delivered_to)
        return [r for r in self.recipients if r not in delivered]
