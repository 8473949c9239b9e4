"""The outbox: every outgoing e-mail is a row here before anything touches SMTP.

A row is written in the same database transaction as the change that caused the mail
(invariant 2), so a rolled-back change leaves no mail, and a committed one leaves a row
that a worker delivers, retries with back-off and finally marks sent or failed.

A row may be written before its message exists (``render_with`` names who renders it,
``render_args`` with what): an event with a thousand guests then costs its request a
thousand small inserts, and the worker renders each message once, stores the bytes and
sends those on every retry.
"""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        # Rendered later and found without a reason to go (the guest was removed, the
        # event cancelled since): nothing was sent, and nothing will be.
        OBSOLETE = "obsolete", _("no longer needed")

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
    # The complete MIME message with CRLF line ends, exactly the bytes sent in DATA; empty
    # until a row written with ``render_with`` has been rendered.
    raw = models.BinaryField(_("raw message"), blank=True, default=b"")
    # The registered renderer (``mail.rendering``) still to run, "" once ``raw`` is final.
    render_with = models.CharField(_("rendered by"), max_length=100, blank=True, default="")
    render_args = models.JSONField(_("render arguments"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Which delivery run holds the row now: its outcome is recorded only by that run.
    claim = models.CharField(max_length=32, blank=True, default="", editable=False)

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
    def needs_rendering(self) -> bool:
        return bool(self.render_with)

    @property
    def undelivered_recipients(self) -> list[str]:
        delivered = set(self.delivered_to)
        return [r for r in self.recipients if r not in delivered]


class SenderMailbox(models.Model):
    """An address invitations are sent From, proven to belong to the employee by a code.

    Unconfirmed mailboxes are never used. A ``shared`` mailbox, once confirmed, is usable
    by every employee of its account (never by another account).
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="sender_mailboxes"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sender_mailboxes"
    )
    name = models.CharField(_("display name"), max_length=200)
    email = models.EmailField(_("e-mail address"), max_length=254)
    shared = models.BooleanField(_("available to all employees"), default=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("sender mailbox")
        verbose_name_plural = _("sender mailboxes")
        ordering = ["name", "email", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "email"], name="sender_mailbox_unique_owner")
        ]
        indexes = [models.Index(fields=["account", "shared"], name="mail_sender_account_idx")]

    def __str__(self) -> str:
        return self.formatted

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def formatted(self) -> str:
        """``Name <address>`` for a From header (quoted where the name needs it)."""
        return formataddr((self.name, self.email), charset="utf-8") if self.name else self.email


class MailboxConfirmation(models.Model):
    """One 6-digit code sent to a mailbox; only its keyed hash is stored."""

    mailbox = models.ForeignKey(
        SenderMailbox, on_delete=models.CASCADE, related_name="confirmations"
    )
    code_digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"code for {self.mailbox_id} until {self.expires_at:%Y-%m-%d %H:%M}"
