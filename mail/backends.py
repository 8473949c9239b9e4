"""A Django e-mail backend that puts messages into the outbox instead of sending them.

With ``EMAIL_BACKEND = "mail.backends.OutboxBackend"`` everything that uses Django's own
mail API (``send_mail``, ``mail_admins``, ``PasswordResetForm.send_mail``) obeys invariant
2 as well: a row in the caller's transaction, delivered and retried by the worker.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from mail.services import queue_message


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                queue_message(message)
            except ValidationError:
                if not self.fail_silently:
                    raise
            else:
                queued += 1
        return queued
