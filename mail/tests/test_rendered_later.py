"""Rows written before their message exists (``queue_later``), and batched delivery.

The renderer here is a real one registered under a test name: it builds its message from
its arguments and counts its calls, so that "rendered once" can be seen.
"""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage
from django_tasks_db.models import DBTaskResult

from mail import renderers
from mail.delivery import Outcome, deliver_batch, deliver_outbox_message, render_pending
from mail.models import OutboxMessage
from mail.services import queue_later

RENDERER = "tests.note"


@pytest.fixture
def note_renderer():
    """Renders ``{"to": ..., "text": ...}``; ``{"gone": true}`` has no reason to be sent."""
    calls: list[dict] = []

    def render(args: dict, memo: dict) -> EmailMessage | None:
        calls.append(args)
        memo["calls"] = memo.get("calls", 0) + 1
        if args.get("gone"):
            return None
        if args.get("broken"):
            raise ValueError("the template is broken")
        return EmailMessage(
            subject=f"Note {args['n']}", body=args["text"], to=[args["to"]], from_email="a@b.test"
        )

    renderers.register(RENDERER, render)
    yield calls
    renderers._RENDERERS.pop(RENDERER, None)


def notes(count: int, **extra) -> list[tuple[dict, list[str]]]:
    return [
        (
            {"n": n, "to": f"guest{n}@example.com", "text": f"Hello {n}", **extra},
            [f"guest{n}@example.com"],
        )
        for n in range(count)
    ]


def test_queue_later_writes_rows_and_one_task_and_renders_nothing(db, note_renderer):
    rows = queue_later(RENDERER, notes(5))

    assert note_renderer == []
    stored = list(OutboxMessage.objects.order_by("pk"))
    assert [r.pk for r in stored] == [r.pk for r in rows]
    assert all(r.raw_bytes == b"" and r.render_with == RENDERER for r in stored)
    assert all(r.message_id.startswith("<") for r in stored)
    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [[r.pk for r in rows]]


def test_an_unknown_renderer_is_refused_and_nothing_is_written(db):
    with pytest.raises(LookupError, match=r"tests\.nobody"):
        queue_later("tests.nobody", notes(1))
    assert not OutboxMessage.objects.exists() and not DBTaskResult.objects.exists()


def test_the_worker_renders_once_and_a_retry_sends_the_same_bytes(
    transactional_db, smtp_settings, note_renderer, settings
):
    settings.OUTBOX_BACKOFF_SECONDS = 0
    (row,) = queue_later(RENDERER, notes(1))
    smtp_settings.refuse_data("451 4.3.0 Try again later", times=1)

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    row.refresh_from_db()
    first_bytes = row.raw_bytes
    assert first_bytes and row.render_with == "" and row.subject == "Note 0"
    assert row.recipients == ["guest0@example.com"] and row.from_email == "a@b.test"

    assert deliver_outbox_message(row.pk) == Outcome.SENT
    assert len(note_renderer) == 1  # not rendered again for the retry
    (received,) = smtp_settings.messages
    assert received.raw.rstrip(b"\r\n") == first_bytes.rstrip(b"\r\n")
    assert received["Message-ID"] == row.message_id


def test_a_message_without_a_reason_left_is_obsolete_and_not_sent(
    transactional_db, smtp_settings, note_renderer
):
    (row,) = queue_later(RENDERER, notes(1, gone=True))

    assert deliver_outbox_message(row.pk) == Outcome.OBSOLETE
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.OBSOLETE
    assert smtp_settings.messages == []
    assert deliver_outbox_message(row.pk) == Outcome.SKIPPED


def test_a_renderer_that_fails_fails_its_row_with_the_reason(
    transactional_db, smtp_settings, note_renderer
):
    broken, fine = queue_later(RENDERER, [*notes(1, broken=True), *notes(2)[1:]])

    counts = deliver_batch([broken.pk, fine.pk])

    assert counts["failed"] == 1 and counts["sent"] == 1
    broken.refresh_from_db()
    assert broken.status == OutboxMessage.Status.FAILED
    assert "the template is broken" in broken.last_error
    assert [m["Subject"] for m in smtp_settings.messages] == ["Note 1"]


def test_a_bad_rendered_message_fails_naming_the_field(
    transactional_db, smtp_settings, note_renderer
):
    (row,) = queue_later(RENDERER, [({"n": 0, "to": "not an address", "text": "x"}, ["x@y.test"])])

    assert deliver_outbox_message(row.pk) == Outcome.FAILED
    row.refresh_from_db()
    assert "not an address" in row.last_error
    assert smtp_settings.messages == []


def test_render_pending_renders_without_sending(db, note_renderer):
    rows = queue_later(RENDERER, notes(3))

    assert render_pending() == 3
    assert render_pending() == 0
    for row in rows:
        row.refresh_from_db()
        assert row.status == OutboxMessage.Status.PENDING and row.raw_bytes


# ------------------------------------------------------------------------------- batches


def test_a_batch_goes_over_one_connection(
    transactional_db, smtp_settings, note_renderer, run_worker
):
    queue_later(RENDERER, notes(30))

    run_worker()

    assert len(smtp_settings.messages) == 30
    assert len({m.client for m in smtp_settings.messages}) == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert len(note_renderer) == 30


def test_one_refused_message_does_not_fail_the_batch(
    transactional_db, smtp_settings, note_renderer
):
    rows = queue_later(RENDERER, notes(5))
    smtp_settings.refuse_rcpt("550 5.1.1 No such user", addresses=["guest1@example.com"])
    smtp_settings.refuse_rcpt("452 4.2.2 Mailbox full", addresses=["guest3@example.com"])

    counts = deliver_batch([r.pk for r in rows])

    assert counts == {"sent": 3, "retry": 1, "failed": 1, "skipped": 0, "obsolete": 0}
    statuses = [(row.recipients, row.status) for row in OutboxMessage.objects.order_by("pk")]
    assert statuses == [
        (["guest0@example.com"], "sent"),
        (["guest1@example.com"], "failed"),
        (["guest2@example.com"], "sent"),
        (["guest3@example.com"], "pending"),
        (["guest4@example.com"], "sent"),
    ]
    assert len({m.client for m in smtp_settings.messages}) == 1


def test_a_connection_closed_mid_batch_is_opened_again(
    transactional_db, smtp_settings, note_renderer
):
    rows = queue_later(RENDERER, notes(4))
    # A relay shutting down answers 421 and closes: the second message meets it.
    smtp_settings.refuse_rcpt("421 4.3.2 Closing connection", addresses=["guest1@example.com"])

    counts = deliver_batch([r.pk for r in rows])

    assert counts["sent"] == 3 and counts["retry"] == 1
    first, *others = smtp_settings.messages
    assert first.rcpt_tos == ["guest0@example.com"]
    assert {m.client for m in others} != {first.client}  # the others over a new connection
    assert len({m.client for m in others}) == 1


def test_retries_of_a_batch_refused_together_share_one_task(
    transactional_db, down_smtp_server, note_renderer
):
    rows = queue_later(RENDERER, notes(10))
    DBTaskResult.objects.all().delete()

    counts = deliver_batch([r.pk for r in rows])

    assert counts["retry"] == 10
    # the watchdog of the claim and one retry task for the ten rows
    assert DBTaskResult.objects.count() == 2


@pytest.mark.postgres_only
def test_workers_racing_for_one_batch_send_each_message_once(
    transactional_db, smtp_settings, note_renderer
):
    from testsupport.concurrency import race

    ids = [r.pk for r in queue_later(RENDERER, notes(40))]
    results = race([lambda: deliver_batch(ids)] * 4)

    assert sum(r["sent"] for r in results) == 40
    assert len(smtp_settings.messages) == 40
    assert len(note_renderer) == 40


def test_a_session_opens_a_new_connection_after_its_limit(
    transactional_db, smtp_settings, note_renderer, monkeypatch
):
    from mail import transport

    monkeypatch.setattr(transport.Session, "MESSAGES_PER_CONNECTION", 10)
    rows = queue_later(RENDERER, notes(25))

    assert deliver_batch([r.pk for r in rows])["sent"] == 25

    clients = [m.client for m in smtp_settings.messages]
    assert len(set(clients)) == 3
    assert [clients.count(c) for c in dict.fromkeys(clients)] == [10, 10, 5]
