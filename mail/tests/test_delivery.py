"""Delivery through a real SMTP conversation (aiosmtpd on loopback) and the real worker."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mail import delivery, transport
from mail.delivery import Outcome, deliver_due_messages, deliver_outbox_message
from mail.models import OutboxMessage
from mail.services import queue_email

READY = "READY"


def queue(**kwargs) -> OutboxMessage:
    defaults = {"to": ["guest@example.com"], "subject": "Invitation", "text": "Hello"}
    return queue_email(**(defaults | kwargs))


def make_due(row: OutboxMessage) -> None:
    """Travel forward in time: the row and every waiting task become due now."""
    past = timezone.now() - timedelta(seconds=1)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=past)
    DBTaskResult.objects.filter(status=READY).update(run_after=past)


def as_sent(row: OutboxMessage) -> bytes:
    """The stored bytes as they travel in DATA (SMTP ends the data with a line break)."""
    raw = row.raw_bytes
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


def waiting_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(status=READY).order_by("run_after"))


# ----------------------------------------------------------------------------- happy path


def test_worker_delivers_over_smtp(transactional_db, smtp_settings, run_worker):
    row = queue(to=["Guest <guest@example.com>", "other@example.org"], html="<p>Hello</p>")

    run_worker()

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.last_error == ""
    assert row.delivered_to == ["guest@example.com", "other@example.org"]
    (received,) = smtp_settings.messages
    assert received.mail_from == "noreply@testserver"
    assert received.rcpt_tos == ["guest@example.com", "other@example.org"]
    assert received["Message-ID"] == row.message_id
    assert received["Subject"] == "Invitation"
    assert received.message.get_body(("html",)).get_content().strip() == "<p>Hello</p>"
    assert received.raw == as_sent(row)  # byte for byte what was built at queue time
    # The task finished successfully; only the crash watchdog (due later) is left.
    task = DBTaskResult.objects.get(status="SUCCESSFUL")
    assert task.return_value == "sent"
    assert all(t.run_after > timezone.now() for t in waiting_tasks())


def test_watchdog_task_finds_nothing_to_do_after_success(
    transactional_db, smtp_settings, run_worker
):
    row = queue()
    run_worker()
    make_due(row)  # the watchdog task becomes due (as if the lease ran out)

    run_worker()

    assert len(smtp_settings.messages) == 1  # not sent twice
    assert set(DBTaskResult.objects.values_list("return_value", flat=True)) == {"sent", "skipped"}


def test_rollback_sends_nothing(transactional_db, smtp_settings, run_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("boom")

    run_worker()

    assert OutboxMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert smtp_settings.messages == []


@pytest.mark.postgres_only
def test_nothing_is_sent_before_commit(transactional_db, smtp_settings, run_worker):
    """A worker polling while the causing transaction is open sees neither row nor task."""
    import threading

    from django.db import connections

    seen: list[int] = []
    queued = threading.Event()
    checked = threading.Event()

    def other_worker() -> None:
        queued.wait(5)
        try:
            seen.append(DBTaskResult.objects.count())
        finally:
            connections.close_all()
            checked.set()

    thread = threading.Thread(target=other_worker)
    thread.start()
    with transaction.atomic():
        queue()
        queued.set()
        checked.wait(5)
    thread.join()

    assert seen == [0]
    run_worker()
    assert len(smtp_settings.messages) == 1


# ---------------------------------------------------------------------------- retrying


def test_server_down_then_up_delivers_same_message_id(
    transactional_db, down_smtp_server, run_worker
):
    row = queue()
    before = timezone.now()

    run_worker()

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at >= before + timedelta(seconds=60)
    assert row.next_attempt_at <= timezone.now() + timedelta(seconds=61)
    assert "connect" in row.last_error
    # The retry is queued for later; a batch worker leaves it alone.
    assert any(
        abs(t.run_after - row.next_attempt_at) < timedelta(seconds=1) for t in waiting_tasks()
    )
    run_worker()
    row.refresh_from_db()
    assert row.attempts == 1

    down_smtp_server.start()
    make_due(row)
    run_worker()

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert row.attempts == 2
    (received,) = down_smtp_server.messages
    assert received["Message-ID"] == row.message_id


def test_4xx_on_rcpt_is_retried_later(transactional_db, smtp_settings):
    smtp_settings.refuse_rcpt("451 4.3.0 Mailbox busy, try later", times=1)
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.PENDING
    assert "451" in row.last_error
    assert smtp_settings.messages == []
    # Not due yet: a second call does nothing.
    assert deliver_outbox_message(row.pk) == Outcome.SKIPPED

    make_due(row)
    assert deliver_outbox_message(row.pk) == Outcome.SENT
    (received,) = smtp_settings.messages
    assert received["Message-ID"] == row.message_id


def test_4xx_on_data_is_retried_with_identical_bytes(transactional_db, smtp_settings):
    smtp_settings.refuse_data("452 4.3.1 Insufficient storage", times=1)
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    make_due(row)
    assert deliver_outbox_message(row.pk) == Outcome.SENT

    (received,) = smtp_settings.messages
    assert received.raw == as_sent(row)


def test_5xx_for_all_recipients_fails_with_the_error(transactional_db, smtp_settings, run_worker):
    smtp_settings.refuse_rcpt("550 5.1.1 No such user here")
    row = queue()

    run_worker()

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.FAILED
    assert "550" in row.last_error and "No such user" in row.last_error
    assert row.sent_at is None
    assert smtp_settings.messages == []
    make_due(row)  # no further try, even when the watchdog comes due
    run_worker()
    row.refresh_from_db()
    assert row.attempts == 1


def test_5xx_on_data_fails(transactional_db, smtp_settings):
    smtp_settings.refuse_data("554 5.7.1 Message rejected as spam")
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.FAILED
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.FAILED
    assert "554" in row.last_error


def test_one_recipient_refused_permanently_others_get_it(transactional_db, smtp_settings):
    smtp_settings.refuse_rcpt("550 5.1.1 Unknown user", addresses=["gone@example.com"])
    row = queue(to=["guest@example.com", "gone@example.com"])

    assert deliver_outbox_message(row.pk) == Outcome.SENT

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert "gone@example.com" in row.last_error and "550" in row.last_error
    (received,) = smtp_settings.messages
    assert received.rcpt_tos == ["guest@example.com"]


def test_temporarily_refused_recipient_is_retried_alone(transactional_db, smtp_settings):
    smtp_settings.refuse_rcpt("450 4.2.1 Slow down", addresses=["busy@example.com"], times=1)
    row = queue(to=["guest@example.com", "busy@example.com"])

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    row.refresh_from_db()
    assert row.delivered_to == ["guest@example.com"]
    assert "busy@example.com" in row.last_error

    make_due(row)
    assert deliver_outbox_message(row.pk) == Outcome.SENT

    first, second = smtp_settings.messages
    assert first.rcpt_tos == ["guest@example.com"]
    assert second.rcpt_tos == ["busy@example.com"]  # nobody got it twice
    assert first["Message-ID"] == second["Message-ID"] == row.message_id


def test_max_attempts_marks_failed(transactional_db, smtp_settings, settings, run_worker):
    settings.OUTBOX_BACKOFF_SECONDS = 0  # every retry is due at once: the worker loops
    settings.OUTBOX_MAX_ATTEMPTS = 3
    smtp_settings.refuse_rcpt("421 4.7.0 Try again later")
    row = queue()

    run_worker()

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.FAILED
    assert row.attempts == 3
    assert "3 attempts" in row.last_error and "421" in row.last_error
    assert smtp_settings.messages == []
    results = list(
        DBTaskResult.objects.exclude(status=READY).values_list("return_value", flat=True)
    )
    assert sorted(results) == ["failed", "retry", "retry"]


def test_backoff_schedule_outlasts_a_long_outage(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 60
    settings.OUTBOX_MAX_ATTEMPTS = 10
    assert delivery.backoff_delay(1) == timedelta(seconds=60)
    assert delivery.backoff_delay(2) == timedelta(seconds=120)
    assert delivery.backoff_delay(4) == timedelta(seconds=480)
    assert delivery.backoff_delay(40) == delivery.MAX_BACKOFF == timedelta(hours=6)
    total = sum((delivery.backoff_delay(n) for n in range(1, 10)), timedelta())
    assert total > timedelta(hours=8)  # an hour-long SMTP outage loses nothing


def test_crash_during_send_is_recovered_after_the_lease(
    transactional_db, smtp_settings, monkeypatch, run_worker
):
    """A worker killed mid-conversation leaves the row claimed; the watchdog resends it."""
    row = queue()

    class Killed(BaseException):
        pass

    def die(self, **kwargs):
        raise Killed

    monkeypatch.setattr(transport.Session, "send", die)
    with pytest.raises(Killed):
        deliver_outbox_message(row.pk)
    monkeypatch.undo()

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > timezone.now() + timedelta(minutes=10)  # leased
    DBTaskResult.objects.filter(run_after__lte=timezone.now()).delete()  # the dead run
    run_worker()
    assert smtp_settings.messages == []  # still leased

    make_due(row)
    run_worker()

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert len(smtp_settings.messages) == 1


def test_deliver_outbox_command_sends_due_rows_only(transactional_db, smtp_settings, capsys):
    due = [queue(subject="one"), queue(subject="two")]
    later = queue(subject="later")
    OutboxMessage.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )

    call_command("deliver_outbox")

    assert "sent=2" in capsys.readouterr().out
    assert sorted(m["Subject"] for m in smtp_settings.messages) == ["one", "two"]
    for row in due:
        row.refresh_from_db()
        assert row.status == OutboxMessage.Status.SENT
    later.refresh_from_db()
    assert later.status == OutboxMessage.Status.PENDING
    assert not any(deliver_due_messages().values())


# ---------------------------------------------------------------------- .eml file mode


def test_without_smtp_host_mail_is_written_as_eml(transactional_db, settings, tmp_path, run_worker):
    settings.SMTP_HOST = None
    settings.MAIL_FILE_DIR = tmp_path / "not" / "yet" / "there"
    row = queue(to=["guest@example.com"], subject="Fichier", text="Corps ü")

    run_worker()

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    (path,) = list(settings.MAIL_FILE_DIR.glob("*.eml"))
    assert path.name.endswith(f"-{row.pk}.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["Message-ID"] == row.message_id
    assert msg["Subject"] == "Fichier"
    assert msg["X-Envelope-To"] == "guest@example.com"
    assert msg.get_content().strip() == "Corps ü"


def test_unwritable_mail_dir_is_retried(transactional_db, settings, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    settings.SMTP_HOST = None
    settings.MAIL_FILE_DIR = blocker / "mail"
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    row.refresh_from_db()
    assert "cannot write" in row.last_error


# ------------------------------------------------------------------------ TLS and login


def point_at(settings, peer, security, user=None, password=None):
    settings.SMTP_HOST = peer.host
    settings.SMTP_PORT = peer.port
    settings.SMTP_SECURITY = security
    settings.SMTP_USER = user
    settings.SMTP_PASSWORD = password
    settings.SMTP_TIMEOUT = 5


@pytest.fixture
def trust_test_ca(monkeypatch, tls_files):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0]))


def test_starttls_and_login(transactional_db, settings, smtp_server_factory, trust_test_ca):
    peer = smtp_server_factory("starttls", login=("relay-user", "s3cret"))
    point_at(settings, peer, "starttls", "relay-user", "s3cret")
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.SENT
    assert peer.logins == ["relay-user"]
    assert len(peer.messages) == 1


# aiosmtpd only counts STARTTLS as TLS and warns about AUTH on an implicit-TLS port.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_login(transactional_db, settings, smtp_server_factory, trust_test_ca):
    peer = smtp_server_factory("tls", login=("relay-user", "s3cret"))
    point_at(settings, peer, "tls", "relay-user", "s3cret")
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.SENT
    assert peer.logins == ["relay-user"]
    assert len(peer.messages) == 1


def test_wrong_password_is_retried_not_lost(
    transactional_db, settings, smtp_server_factory, trust_test_ca
):
    peer = smtp_server_factory("starttls", login=("relay-user", "s3cret"))
    point_at(settings, peer, "starttls", "relay-user", "wrong")
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    row.refresh_from_db()
    assert "Authentication" in row.last_error or "535" in row.last_error
    assert peer.messages == []


def test_untrusted_certificate_is_refused(transactional_db, settings, smtp_server_factory):
    peer = smtp_server_factory("starttls")
    point_at(settings, peer, "starttls")
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    row.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert peer.messages == []


def test_plain_connection_to_a_starttls_only_server_sends_nothing(
    transactional_db, settings, smtp_server_factory
):
    peer = smtp_server_factory("starttls")
    point_at(settings, peer, "none")
    row = queue()

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    assert peer.messages == []


def test_unexpected_error_while_sending_is_retried(transactional_db, smtp_settings, monkeypatch):
    row = queue()

    def broken(self, **kwargs):
        raise TypeError("a bug somewhere below")

    monkeypatch.setattr(transport.Session, "send", broken)

    assert deliver_outbox_message(row.pk) == Outcome.RETRY
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.PENDING
    assert "a bug somewhere below" in row.last_error


def test_attempts_that_keep_dying_end_as_failed(transactional_db, smtp_settings, settings):
    """A row whose every attempt was interrupted does not loop forever."""
    settings.OUTBOX_MAX_ATTEMPTS = 3
    row = queue()
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=3)  # three claims, no outcome

    assert deliver_outbox_message(row.pk) == Outcome.FAILED
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.FAILED
    assert "interrupted" in row.last_error
    assert smtp_settings.messages == []


@pytest.mark.postgres_only
def test_concurrent_deliveries_of_one_row_send_it_once(transactional_db, smtp_settings):
    """Two workers (the task and ``deliver_outbox``, say) race for the same row."""
    from testsupport.concurrency import race

    row = queue()
    outcomes = race([lambda: deliver_outbox_message(row.pk)] * 4)

    assert sorted(outcomes) == sorted([Outcome.SENT] + [Outcome.SKIPPED] * 3)
    assert len(smtp_settings.messages) == 1
