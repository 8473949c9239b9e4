"""Django's own mail API, routed through the outbox backend."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from mail.models import OutboxMessage


@pytest.fixture
def outbox_backend(settings):
    settings.EMAIL_BACKEND = "mail.backends.OutboxBackend"


def test_send_mail_queues_instead_of_sending(db, outbox_backend):
    sent = mail.send_mail(
        "Reset your password",
        "text body",
        None,
        ["alice@acme.test"],
        html_message="<p>html body</p>",
    )

    assert sent == 1
    row = OutboxMessage.objects.get()
    assert row.recipients == ["alice@acme.test"]
    assert row.subject == "Reset your password"
    assert b"<p>html body</p>" in row.raw_bytes
    assert row.status == OutboxMessage.Status.PENDING


def test_bad_header_raises_unless_fail_silently(db, outbox_backend):
    with pytest.raises(ValidationError):
        mail.send_mail("a\r\nBcc: x@example.com", "b", None, ["alice@acme.test"])
    assert mail.send_mail("a\nb", "b", None, ["alice@acme.test"], fail_silently=True) == 0
    assert OutboxMessage.objects.count() == 0
