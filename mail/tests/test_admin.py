"""The outbox in the admin: failures are visible, retryable, and only to staff."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mail.models import OutboxMessage
from mail.services import queue_email

CHANGELIST = "admin:mail_outboxmessage_changelist"


def failed_row(subject: str = "Broken", error: str = "550 5.1.1 No such user") -> OutboxMessage:
    row = queue_email(to=["guest@example.com"], subject=subject, text="t")
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxMessage.Status.FAILED, attempts=10, last_error=error
    )
    row.refresh_from_db()
    return row


def test_changelist_shows_failures(admin_client):
    failed_row(error="550 5.1.1 <b>No such user</b>")

    response = admin_client.get(reverse(CHANGELIST) + "?status__exact=failed")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Broken" in body
    assert "failed" in body
    assert "550 5.1.1 &lt;b&gt;No such user&lt;/b&gt;" in body  # shown, and escaped


def test_retry_now_requeues_failed_rows_only(admin_client):
    failed = failed_row()
    sent = queue_email(to=["guest@example.com"], subject="Fine", text="t")
    OutboxMessage.objects.filter(pk=sent.pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now()
    )
    tasks_before = DBTaskResult.objects.count()

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "1 message queued for another try." in body
    assert "1 message skipped" in body
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status == OutboxMessage.Status.PENDING
    assert failed.attempts == 0
    assert failed.next_attempt_at <= timezone.now()
    assert sent.status == OutboxMessage.Status.SENT
    assert DBTaskResult.objects.count() == tasks_before + 1
    newest = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert newest.args_kwargs["args"] == [failed.pk]


def test_raw_message_preview_is_escaped(admin_client):
    row = queue_email(
        to=["guest@example.com"], subject="s", text="t", html="<script>alert(1)</script>"
    )

    response = admin_client.get(reverse("admin:mail_outboxmessage_change", args=[row.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)</script>" not in body


def test_no_adding_mail_by_hand(admin_client):
    response = admin_client.get(reverse("admin:mail_outboxmessage_add"))
    assert response.status_code == 403


def test_employees_without_staff_rights_cannot_see_the_outbox(client, owner):
    failed_row()
    client.force_login(owner)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_row_the_worker_has_not_written_yet_says_so(admin_client):
    from mail import renderers
    from mail.services import queue_later

    renderers.register("tests.admin", lambda args, memo: None)
    try:
        (row,) = queue_later("tests.admin", [({}, ["guest@example.com"])])
        response = admin_client.get(reverse("admin:mail_outboxmessage_change", args=[row.pk]))
    finally:
        renderers._RENDERERS.pop("tests.admin", None)

    assert response.status_code == 200
    assert "the worker writes it just before the first attempt" in response.content.decode()
