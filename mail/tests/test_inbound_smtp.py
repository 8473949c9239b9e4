"""The inbound SMTP listener over real SMTP conversations on loopback.

The listener is started in-process on a free port; ``smtplib`` plays the sending mail
server. Hostile input (huge, malformed, deeply nested, bounces, auto-replies, foreign
domains) must be refused or ignored, and the listener must still answer afterwards.

Size limit (chosen): a message above ``mail.inbound.MAX_BYTES`` is refused with 552 —
at MAIL FROM when the client announces its SIZE, otherwise at the end of DATA (aiosmtpd
discards the excess while reading). Anything within the limit is accepted with 250 and
then applied or ignored (and logged): refusing it would only bounce it back to the guest.
"""

from __future__ import annotations

import email.policy
import logging
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from mail.inbound import MAX_BYTES, handle_inbound_message
from mail.inbound_smtp import MAX_RECIPIENTS, Listener, free_port

DOMAIN = "inbound.example"
TOKEN = "k5zq7mxw2pd4rn6tyh3jvbacegikk5zq7mxw2pd4rn6tyh3jvbac"  # 52 base32 chars, unknown
PLUS = f"reply+{TOKEN}@{DOMAIN}"
GUEST = "gina.guest@example.org"
ROOT = Path(__file__).resolve().parents[2]

# A mail with words in it is passed on to the guest's organizer, which looks the reply
# address up: the listener's thread needs the database.
pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    """Calls the real handle_inbound_message and keeps what it returned."""

    def __init__(self) -> None:
        self.results: list[list[str]] = []
        self.done = threading.Event()

    def __call__(self, raw: bytes, *, mail_from: str, rcpt_tos: list[str]) -> list[str]:
        result = handle_inbound_message(raw, mail_from=mail_from, rcpt_tos=rcpt_tos)
        self.results.append(result)
        return result


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def listener(settings, recorder) -> Iterator[Listener]:
    settings.INBOUND_DOMAIN = DOMAIN
    started = Listener("127.0.0.1", free_port(), DOMAIN, handle=recorder).start(attempts=20)
    yield started
    started.stop()


def connect(listener: Listener) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", listener.port, timeout=30)
    client.ehlo("sender.test")
    return client


def reply_calendar(partstat: str = "ACCEPTED", uid: str = "evt-1@rendezvous.test") -> str:
    return (
        "BEGIN:VCALENDAR\r\nPRODID:-//Test//EN\r\nVERSION:2.0\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260501T100000Z\r\nSEQUENCE:0\r\n"
        "DTSTART:20260601T080000Z\r\nDTEND:20260601T090000Z\r\n"
        f"ATTENDEE;PARTSTAT={partstat};CN=Gina Guest:mailto:{GUEST}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def reply_mail(to: str = PLUS, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Gina Guest <{GUEST}>"
    message["To"] = to
    message["Subject"] = "Accepted: Interop check"
    message["Message-ID"] = "<reply-1@example.org>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Gina has accepted.")
    message.add_alternative(reply_calendar(), subtype="calendar", params={"method": "REPLY"})
    return message.as_bytes(policy=email.policy.SMTP)  # CRLF, as on the wire


def plain_mail(to: str = PLUS) -> bytes:
    message = EmailMessage()
    message["From"] = GUEST
    message["To"] = to
    message["Subject"] = "hello"
    message.set_content("no calendar here")
    return message.as_bytes(policy=email.policy.SMTP)  # CRLF, as on the wire


def assert_alive(listener: Listener, recorder: Recorder) -> None:
    """The listener still answers and still accepts an ordinary message."""
    before = len(recorder.results)
    with connect(listener) as client:
        assert client.noop()[0] == 250
        assert client.sendmail(GUEST, [PLUS], plain_mail()) == {}
    wait_for(lambda: len(recorder.results) > before)
    assert recorder.results[-1] == ["unknown_token"]  # words for an unknown guest


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


# --------------------------------------------------------------------------- envelope


def test_greets_and_advertises_the_size_limit(listener):
    with connect(listener) as client:
        assert client.has_extn("size")
        assert int(client.esmtp_features["size"]) == MAX_BYTES
        assert client.has_extn("8bitmime")


def test_recipients_outside_the_inbound_domain_are_refused_at_rcpt(listener, recorder):
    with connect(listener) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
            client.sendmail(GUEST, ["someone@other.example"], plain_mail("someone@other.example"))
        code, text = exc.value.recipients["someone@other.example"]
        assert code == 550 and b"Relaying denied" in text
        # Look-alike domains are other domains too.
        for address in (
            f"reply+{TOKEN}@{DOMAIN}.evil.test",
            f"reply+{TOKEN}@evil{DOMAIN}",
            f'"x@{DOMAIN}"@evil.test',
            "no-at-sign",
        ):
            client.rset()
            client.mail(GUEST)
            assert client.rcpt(address)[0] == 550, address
        # One good and one foreign recipient: only the good one gets the message.
        client.rset()
        refused = client.sendmail(GUEST, [PLUS, "x@other.example"], plain_mail())
        assert list(refused) == ["x@other.example"]
    wait_for(lambda: recorder.results)
    assert recorder.results == [["unknown_token"]]


def test_domain_compares_case_insensitively(listener, recorder):
    with connect(listener) as client:
        assert client.sendmail(GUEST, [f"reply+{TOKEN}@INBOUND.Example"], plain_mail()) == {}
    wait_for(lambda: recorder.results)


def test_too_many_recipients_are_refused(listener, recorder):
    with connect(listener) as client:
        client.mail(GUEST)
        codes = [client.rcpt(f"r{i}@{DOMAIN}")[0] for i in range(MAX_RECIPIENTS + 2)]
    assert codes == [250] * MAX_RECIPIENTS + [452, 452]
    assert_alive(listener, recorder)


# --------------------------------------------------------------------------- size


def _huge(size: int) -> bytes:
    line = b"X" * 76 + b"\r\n"
    head = f"From: {GUEST}\r\nTo: {PLUS}\r\nSubject: big\r\n\r\n".encode()
    return head + line * (size // len(line) + 1)


def test_a_message_announced_too_large_is_refused_at_mail_from(listener, recorder):
    with connect(listener) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as exc:
            client.sendmail(GUEST, [PLUS], _huge(MAX_BYTES + 1000))
        assert exc.value.smtp_code == 552
    assert recorder.results == []
    assert_alive(listener, recorder)


def test_a_huge_message_is_refused_with_552_after_data_and_nothing_is_handled(listener, recorder):
    with connect(listener) as client:
        client.mail(GUEST)  # no SIZE= announced
        client.rcpt(PLUS)
        code, text = client.data(_huge(MAX_BYTES + 100_000))
        assert code == 552, text
        # The same connection goes on working.
        client.rset()
        assert client.sendmail(GUEST, [PLUS], plain_mail()) == {}
    wait_for(lambda: recorder.results)
    assert recorder.results == [["unknown_token"]]  # the huge one never reached the handler


def test_a_message_just_within_the_limit_is_accepted_and_ignored(listener, recorder):
    raw = _huge(MAX_BYTES - 10_000)
    assert len(raw) <= MAX_BYTES
    with connect(listener) as client:
        assert client.sendmail(GUEST, [PLUS], raw) == {}
    wait_for(lambda: recorder.results)
    assert recorder.results == [["unknown_token"]]


def test_an_overlong_line_is_refused_and_the_listener_survives(listener, recorder):
    raw = f"From: {GUEST}\r\nTo: {PLUS}\r\n\r\n".encode() + b"A" * 5000 + b"\r\n"
    with connect(listener) as client:
        client.mail(GUEST)
        client.rcpt(PLUS)
        assert client.data(raw)[0] == 500
    assert_alive(listener, recorder)


# --------------------------------------------------------------------------- hostile content


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\x01\x02\xff\xfe garbage \x80\x81\r\n\r\n\xc3\x28 \x00",
        b"no headers at all, just text\r\n",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        b"Content-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!not base64\r\n",
        b"Content-Type: text/calendar; charset=x-unknown-charset\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n",
        b"Subject: =?utf-8?q?broken=ZZ?=\r\nMessage-ID: <\x00>\r\n\r\nbody\r\n",
        b"From: a\rb\r\nTo: \r\n\r\nbare CR\rin the middle\r\n",
        b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.test\r\n",
    ],
    ids=[
        "binary",
        "no-headers",
        "empty-boundary",
        "bad-base64",
        "unknown-charset",
        "broken-headers",
        "bare-cr",
        "truncated-calendar",
    ],
)
@pytest.mark.django_db(transaction=True)
def test_malformed_bytes_are_accepted_ignored_and_logged(listener, recorder, caplog, raw):
    caplog.set_level(logging.INFO, logger="mail.inbound")
    with connect(listener) as client:
        client.mail(GUEST)
        client.rcpt(PLUS)
        code, _text = client.data(raw)
        assert code == 250
    wait_for(lambda: recorder.results)
    (result,) = recorder.results
    assert result != ["applied"] and result != ["error"], result
    assert any(
        "inbound mail ignored" in r.getMessage()
        or "inbound mail refused" in r.getMessage()
        or "guest reply" in r.getMessage()
        for r in caplog.records
    )
    assert_alive(listener, recorder)


def _nested(depth: int) -> bytes:
    head = f"From: {GUEST}\r\nTo: {PLUS}\r\nMIME-Version: 1.0\r\n"
    parts = [head + 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n']
    for level in range(1, depth):
        parts.append(
            f'--b{level - 1}\r\nContent-Type: multipart/mixed; boundary="b{level}"\r\n\r\n'
        )
    parts.append(
        f"--b{depth - 1}\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
        + reply_calendar()
        + f"--b{depth - 1}--\r\n"
    )
    parts.extend(f"--b{level}--\r\n" for level in range(depth - 2, -1, -1))
    return "".join(parts).encode()


@pytest.mark.parametrize(("depth", "reason"), [(200, "too-deep"), (20_000, "too-many-parts")])
def test_deeply_nested_mime_is_rejected_quickly(listener, recorder, caplog, depth, reason):
    caplog.set_level(logging.INFO, logger="mail.inbound")
    raw = _nested(depth)
    assert len(raw) < MAX_BYTES
    started = time.monotonic()
    with connect(listener) as client:
        assert client.sendmail(GUEST, [PLUS], raw) == {}
    wait_for(lambda: recorder.results)
    assert time.monotonic() - started < 10
    assert recorder.results == [[reason]]
    assert any(f"reason={reason}" in r.getMessage() for r in caplog.records)
    assert_alive(listener, recorder)


def test_auto_replies_are_ignored(listener, recorder, caplog):
    caplog.set_level(logging.INFO, logger="mail.inbound")
    with connect(listener) as client:
        client.sendmail(GUEST, [PLUS], reply_mail(Auto_Submitted="auto-replied"))
        client.sendmail(GUEST, [PLUS], reply_mail(X_Autoreply="yes"))
    wait_for(lambda: len(recorder.results) == 2)
    assert recorder.results == [["auto-reply"], ["auto-reply"]]
    assert any("reason=auto-reply" in r.getMessage() for r in caplog.records)


def _delivery_report() -> bytes:
    return (
        f"From: MAILER-DAEMON@example.org\r\nTo: {PLUS}\r\nSubject: Undelivered Mail\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--r\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n" + reply_calendar() + "--r--\r\n"
    ).encode()


@pytest.mark.parametrize("sender", ["", "MAILER-DAEMON@example.org"])
def test_delivery_status_reports_are_ignored(listener, recorder, sender):
    with connect(listener) as client:
        assert client.sendmail(sender, [PLUS], _delivery_report()) == {}
    wait_for(lambda: recorder.results)
    assert recorder.results == [["bounce"]]
    assert_alive(listener, recorder)


def test_a_null_sender_is_a_bounce_whatever_the_content(listener, recorder):
    with connect(listener) as client:
        assert client.sendmail("", [PLUS], reply_mail()) == {}
    wait_for(lambda: recorder.results)
    assert recorder.results == [["bounce"]]


@pytest.mark.django_db(transaction=True)
def test_a_reply_to_an_unknown_token_changes_nothing_and_is_logged(listener, recorder, caplog):
    caplog.set_level(logging.INFO)
    with connect(listener) as client:
        assert client.sendmail(GUEST, [PLUS], reply_mail()) == {}
    wait_for(lambda: recorder.results)
    assert recorder.results == [["unknown_token"]]
    assert any("unknown_token" in r.getMessage() for r in caplog.records)


def test_mail_without_a_token_is_ignored(listener, recorder):
    with connect(listener) as client:
        client.sendmail(GUEST, [f"postmaster@{DOMAIN}"], reply_mail(to=f"postmaster@{DOMAIN}"))
    wait_for(lambda: recorder.results)
    assert recorder.results == [["no-token"]]


# --------------------------------------------------------------------------- the adapter


def test_an_error_in_the_handler_is_logged_and_the_listener_goes_on(settings, caplog):
    settings.INBOUND_DOMAIN = DOMAIN
    calls = []

    def boom(raw: bytes, *, mail_from: str, rcpt_tos: list[str]) -> list[str]:
        calls.append(raw)
        raise RuntimeError("handler exploded")

    caplog.set_level(logging.INFO, logger="mail.inbound")
    broken = Listener("127.0.0.1", free_port(), DOMAIN, handle=boom).start(attempts=20)
    try:
        for _ in range(2):
            with connect(broken) as client:
                assert client.sendmail(GUEST, [PLUS], plain_mail()) == {}
    finally:
        broken.stop()
    assert len(calls) == 2
    assert any("handling a message failed" in r.getMessage() for r in caplog.records)


def test_many_clients_at_once(listener, recorder):
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with connect(listener) as client:
                client.sendmail(GUEST, [PLUS], plain_mail())
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    wait_for(lambda: len(recorder.results) == 12)


# --------------------------------------------------------------------------- the command


@pytest.mark.django_db
def test_command_refuses_to_start_without_inbound_domain(settings):
    from django.core.management import CommandError, call_command

    settings.INBOUND_DOMAIN = None
    with pytest.raises(CommandError, match="INBOUND_DOMAIN is not set"):
        call_command("inbound_smtp")


def test_command_runs_as_a_process_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rendezvous.settings",
        "SECRET_KEY": "inbound-command-test-secret-0123456789abcdef",
        "ENCRYPTION_KEY": "inbound-command-test-encryption-key-0123456789",
        "DATA_DIR": str(tmp_path),
        "INBOUND_DOMAIN": DOMAIN,
        "INBOUND_SMTP_HOST": "127.0.0.1",
        "INBOUND_SMTP_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)  # a fresh SQLite file in DATA_DIR
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    process = subprocess.Popen(
        [sys.executable, "manage.py", "inbound_smtp"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen = []
        while not any(f"listening on 127.0.0.1:{port}" in line for line in seen):
            line = process.stdout.readline()
            assert line, "".join(seen)  # the process ended before listening
            seen.append(line)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            code, banner = client.ehlo("sender.test")
            assert code == 250 and DOMAIN.encode() in banner
            client.mail(GUEST)
            assert client.rcpt("x@other.example")[0] == 550
            # A reply to an unknown token goes through the database and changes nothing.
            client.rset()
            assert client.sendmail(GUEST, [PLUS], reply_mail()) == {}
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        assert "unknown_token" in output, output
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------- end to end


def _invite_gina(owner):
    """A confirmed sender mailbox, an event with one guest, and the REQUEST she received."""
    import datetime as dt
    import email as email_lib
    import email.policy as email_policy
    import zoneinfo

    from icalendar import Calendar

    from events.services import event_create
    from mail import senders
    from mail.delivery import render_pending
    from mail.models import OutboxMessage
    from mail.tests.test_senders import last_code

    mailbox = senders.add_sender_mailbox(owner, name="Alice at Acme", email="alice@mail.acme.test")
    senders.confirm_sender_mailbox(owner, mailbox.pk, last_code("alice@mail.acme.test"))
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    event = event_create(
        owner,
        title="Contract review",
        start=dt.datetime(2026, 6, 3, 10, tzinfo=berlin),
        end=dt.datetime(2026, 6, 3, 11, tzinfo=berlin),
        timezone="Europe/Berlin",
        guests=[{"email": GUEST, "first_name": "Gina", "last_name": "Guest"}],
    )
    render_pending()  # what the worker does first
    (row,) = [r for r in OutboxMessage.objects.order_by("id") if GUEST in r.recipients]
    invitation = email_lib.message_from_bytes(row.raw_bytes, policy=email_policy.default)
    part = next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")
    (vevent,) = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    return event, invitation, vevent


def _client_reply(
    vevent, partstat: str, *, dtstamp: str, message_id: str, **headers
) -> tuple[bytes, str]:
    """What a mail client sends back (METHOD:REPLY) and the ORGANIZER address it goes to."""
    organizer = str(vevent["ORGANIZER"])
    address = organizer.split(":", 1)[1]
    calendar = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Mail Client//EN\r\nVERSION:2.0\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{vevent['UID']}\r\nSEQUENCE:{int(vevent.get('SEQUENCE', 0))}\r\n"
        f"DTSTAMP:{dtstamp}\r\nDTSTART:20260603T080000Z\r\nDTEND:20260603T090000Z\r\n"
        f"ORGANIZER;CN=Alice:{organizer}\r\n"
        f"ATTENDEE;PARTSTAT={partstat};CN=Gina Guest:MAILTO:{GUEST.upper()}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    message = EmailMessage()
    message["From"] = f"Gina Guest <{GUEST}>"
    message["To"] = address
    message["Subject"] = f"{partstat.title()}: Contract review"
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(f"Gina has answered: {partstat}.")
    message.add_alternative(calendar, subtype="calendar", params={"method": "REPLY"})
    return message.as_bytes(policy=email.policy.SMTP), address  # CRLF, as on the wire


@pytest.mark.django_db(transaction=True)
def test_a_reply_through_the_listener_changes_the_guests_answer_once(
    listener, recorder, owner, caplog
):
    from events.models import Attendee
    from mail.models import OutboxMessage
    from notifications.models import Notification

    caplog.set_level(logging.INFO)
    event, invitation, vevent = _invite_gina(owner)
    organizer = str(vevent["ORGANIZER"])
    assert organizer.lower().startswith("mailto:reply+") and organizer.endswith(f"@{DOMAIN}")
    assert organizer.split(":", 1)[1] in str(invitation["Reply-To"])
    gina = Attendee.objects.get(event=event, guest__email=GUEST)
    assert gina.status == Attendee.Status.NEEDS_ACTION

    raw, address = _client_reply(
        vevent, "ACCEPTED", dtstamp="20260520T100000Z", message_id="<accept-1@client.example>"
    )
    with connect(listener) as client:
        assert client.sendmail(GUEST, [address], raw) == {}
    wait_for(lambda: recorder.results)
    assert recorder.results == [["applied"]]
    gina.refresh_from_db()
    assert gina.status == Attendee.Status.ACCEPTED
    assert Notification.objects.filter(user=owner, text__contains="accepted").count() == 1
    mails = OutboxMessage.objects.count()

    # The same message delivered again (MTAs retry) changes nothing and tells nobody.
    with connect(listener) as client:
        assert client.sendmail(GUEST, [address], raw) == {}
    wait_for(lambda: len(recorder.results) == 2)
    assert recorder.results[1] == ["duplicate"]
    gina.refresh_from_db()
    assert gina.status == Attendee.Status.ACCEPTED
    assert Notification.objects.filter(user=owner).count() == 1
    assert OutboxMessage.objects.count() == mails

    # An auto-reply quoting a DECLINED calendar, and an older answer: both change nothing.
    auto, _ = _client_reply(
        vevent,
        "DECLINED",
        dtstamp="20260521T100000Z",
        message_id="<ooo@client.example>",
        Auto_Submitted="auto-replied",
    )
    older, _ = _client_reply(
        vevent, "DECLINED", dtstamp="20260519T100000Z", message_id="<old@client.example>"
    )
    with connect(listener) as client:
        client.sendmail(GUEST, [address], auto)
        client.sendmail(GUEST, [address], older)
    wait_for(lambda: len(recorder.results) == 4)
    assert recorder.results[2:] == [["auto-reply"], ["stale"]]
    gina.refresh_from_db()
    assert gina.status == Attendee.Status.ACCEPTED

    # A newer answer is applied.
    later, _ = _client_reply(
        vevent, "DECLINED", dtstamp="20260522T100000Z", message_id="<decline@client.example>"
    )
    with connect(listener) as client:
        client.sendmail(GUEST, [address], later)
    wait_for(lambda: len(recorder.results) == 5)
    assert recorder.results[4] == ["applied"]
    gina.refresh_from_db()
    assert gina.status == Attendee.Status.DECLINED
    assert_alive(listener, recorder)


@pytest.mark.django_db(transaction=True)
def test_a_reply_naming_someone_else_or_sent_to_a_removed_guest_changes_nothing(
    listener, recorder, owner
):
    from events.models import Attendee
    from events.services import event_update

    event, _invitation, vevent = _invite_gina(owner)
    raw, address = _client_reply(
        vevent, "ACCEPTED", dtstamp="20260520T100000Z", message_id="<x-1@client.example>"
    )
    forged = raw.replace(GUEST.upper().encode(), b"MALLORY@EVIL.TEST")
    with connect(listener) as client:
        client.sendmail("mallory@evil.test", [address], forged)
    wait_for(lambda: recorder.results)
    assert recorder.results == [["wrong_attendee"]]
    assert Attendee.objects.get(event=event, guest__email=GUEST).status == "needs-action"

    event_update(event, owner, guests=[])  # Gina removed: her plus-address dies with her
    with connect(listener) as client:
        client.sendmail(GUEST, [address], raw)
    wait_for(lambda: len(recorder.results) == 2)
    assert recorder.results[1] == ["unknown_token"]
    assert not Attendee.objects.filter(event=event, guest__isnull=False).exists()
