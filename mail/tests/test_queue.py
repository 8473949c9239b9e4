"""Queueing: the row, the task, the MIME bytes, and refusal of bad input."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from mail.models import OutboxMessage
from mail.services import queue_email, queue_message

TASK_PATH = "mail.tasks.deliver_outbox_message_task"


def parse(row: OutboxMessage) -> email.message.EmailMessage:
    return email.message_from_bytes(row.raw_bytes, policy=email.policy.default)


def test_queue_email_writes_row_and_task(db):
    row = queue_email(
        to=["Guest Person <guest@example.com>"],
        subject="Meeting on Tuesday",
        text="See you there.",
        reply_to=["alice@acme.test"],
        headers={"X-Rendezvous-Event": "42"},
    )

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.PENDING
    assert row.attempts == 0
    assert row.recipients == ["guest@example.com"]
    assert row.from_email == "noreply@testserver"
    assert row.subject == "Meeting on Tuesday"
    assert row.message_id.startswith("<") and row.message_id.endswith("@testserver>")

    tasks = list(DBTaskResult.objects.filter(task_path=TASK_PATH))
    assert len(tasks) == 1
    assert tasks[0].args_kwargs == {"args": [row.pk], "kwargs": {}}

    msg = parse(row)
    assert msg["Message-ID"] == row.message_id
    assert msg["Subject"] == "Meeting on Tuesday"
    assert msg["To"] == "Guest Person <guest@example.com>"
    assert msg["Reply-To"] == "alice@acme.test"
    assert msg["X-Rendezvous-Event"] == "42"
    assert msg["Date"]
    assert msg.get_content().strip() == "See you there."
    assert b"\r\n" in row.raw_bytes and b"\n" not in row.raw_bytes.replace(b"\r\n", b"")


def test_message_ids_are_unique(db):
    a = queue_email(to=["a@example.com"], subject="a", text="a")
    b = queue_email(to=["a@example.com"], subject="a", text="a")
    assert a.message_id != b.message_id


def test_html_text_and_attachments(db):
    row = queue_email(
        to=["guest@example.com"],
        subject="Réunion — ünïcode",
        text="Plain body ü",
        html="<p>HTML body <b>ü</b></p>",
        attachments=[("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")],
        from_email="Alice Owner <alice@acme.test>",
    )
    msg = parse(row)
    assert msg["Subject"] == "Réunion — ünïcode"
    assert msg["From"] == "Alice Owner <alice@acme.test>"
    assert row.from_email == "alice@acme.test"
    assert msg.get_body(("plain",)).get_content().strip() == "Plain body ü"
    assert msg.get_body(("html",)).get_content().strip() == "<p>HTML body <b>ü</b></p>"
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert "BEGIN:VCALENDAR" in attachment.get_content()


def test_idn_domain_is_punycoded_in_the_envelope(db):
    row = queue_email(to=["Bob <bob@exämple.com>"], subject="s", text="t")
    assert row.recipients == ["bob@xn--exmple-cua.com"]


def test_queue_message_envelope_includes_cc_and_bcc_but_header_has_no_bcc(db):
    message = EmailMessage(
        subject="Invitation",
        body="body",
        from_email="alice@acme.test",
        to=["a@example.com"],
        cc=["b@example.com"],
        bcc=["hidden@example.com", "a@example.com"],
    )
    row = queue_message(message)
    assert row.recipients == ["a@example.com", "b@example.com", "hidden@example.com"]
    assert b"hidden@example.com" not in row.raw_bytes
    assert "Message-ID" not in message.extra_headers  # the caller's object is untouched


def test_queue_message_keeps_a_given_message_id_and_refuses_reuse(db):
    message = EmailMessage(
        subject="s", body="b", to=["a@example.com"], headers={"Message-ID": "<fixed-1@acme.test>"}
    )
    row = queue_message(message)
    assert row.message_id == "<fixed-1@acme.test>"
    assert parse(row)["Message-ID"] == "<fixed-1@acme.test>"

    with pytest.raises(ValidationError) as exc:
        queue_message(message)
    assert "headers" in exc.value.message_dict
    assert OutboxMessage.objects.count() == 1


def test_lower_case_message_id_header_gives_one_message_id(db):
    message = EmailMessage(
        subject="s", body="b", to=["a@example.com"], headers={"message-id": "<lower-1@acme.test>"}
    )
    row = queue_message(message)
    assert row.message_id == "<lower-1@acme.test>"
    assert parse(row).get_all("Message-ID") == ["<lower-1@acme.test>"]


INJECTIONS = [
    ({"subject": "Hello\r\nBcc: victim@example.com"}, "subject"),
    ({"subject": "Hello\nX-Evil: 1"}, "subject"),
    ({"subject": "Hello\rX-Evil: 1"}, "subject"),
    ({"to": ["guest@example.com\r\nBcc: victim@example.com"]}, "to"),
    ({"to": ["Guest\n <guest@example.com>"]}, "to"),
    ({"from_email": "alice@acme.test\r\nBcc: victim@example.com"}, "from_email"),
    ({"reply_to": ["x@example.com\nBcc: victim@example.com"]}, "reply_to"),
    ({"headers": {"X-Tag": "a\r\nBcc: victim@example.com"}}, "headers"),
    ({"headers": {"X-Tag\r\nBcc": "victim@example.com"}}, "headers"),
    ({"headers": {"Bad Name": "v"}}, "headers"),
    ({"attachments": [("a.txt\r\nX-Evil: 1", b"x", "text/plain")]}, "attachments"),
    ({"attachments": [("a.txt", b"x", "text/plain\r\nX-Evil: 1")]}, "attachments"),
]


@pytest.mark.parametrize(("override", "field"), INJECTIONS)
def test_line_breaks_in_headers_are_refused_naming_the_field(db, override, field):
    kwargs = {"to": ["guest@example.com"], "subject": "Hello", "text": "body"} | override

    with pytest.raises(ValidationError) as exc:
        queue_email(**kwargs)

    assert field in exc.value.message_dict
    assert OutboxMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_header_injection_through_prebuilt_message_is_refused(db):
    message = EmailMessage(subject="Hi\r\nBcc: victim@example.com", body="b", to=["a@example.com"])
    with pytest.raises(ValidationError) as exc:
        queue_message(message)
    assert "subject" in exc.value.message_dict
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"to": []}, "to"),
        ({"to": "guest@example.com"}, "to"),  # a string, not a list
        ({"to": ["not-an-address"]}, "to"),
        ({"to": ["a@example.com, b@example.com"]}, "to"),  # two addresses in one entry
        ({"to": ["a@example.com"], "reply_to": ["nope"]}, "reply_to"),
        ({"from_email": "nobody"}, "from_email"),
        ({"attachments": [("a.pdf", b"x")]}, "attachments"),
        ({"attachments": [("a.pdf", 42, "application/pdf")]}, "attachments"),
        ({"attachments": [("a.pdf", b"x", "pdf")]}, "attachments"),
        ({"headers": {"Message-ID": "not-a-message-id"}}, "headers"),
    ],
)
def test_bad_input_is_refused_naming_the_field(db, override, field):
    kwargs = {"to": ["guest@example.com"], "subject": "Hello", "text": "body"} | override
    with pytest.raises(ValidationError) as exc:
        queue_email(**kwargs)
    assert field in exc.value.message_dict
    assert OutboxMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_rolled_back_caller_leaves_neither_row_nor_task(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email(to=["guest@example.com"], subject="s", text="t")
        assert OutboxMessage.objects.count() == 1
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError("the change that caused the mail failed")

    assert OutboxMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_every_message_says_it_is_machine_mail(db):
    """Out-of-office responders (RFC 3834, and Exchange's own header) leave it alone."""
    row = queue_email(to=["gina@example.org"], subject="Hi", text="b")
    mail = parse(row)
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert mail["Subject"] == "Hi"


def test_a_caller_may_say_otherwise(db):
    row = queue_email(
        to=["gina@example.org"], subject="Hi", text="b", headers={"Auto-Submitted": "no"}
    )
    assert parse(row).get_all("Auto-Submitted") == ["no"]
