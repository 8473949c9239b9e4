"""What reaches a guest's reply address besides an answer: words for the organizer (a
plain reply, or the note sent with an answer), and a calendar's REFRESH.

Each mail goes over a real SMTP conversation to the inbound listener, as from the guest's
mail server; what the organizer (or the guest) gets is read from the outbox as the worker
would send it.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
from email.message import EmailMessage

import pytest
from django.urls import reverse

from events import guests as guest_lib
from events.guest_messages import FORWARD_MARKER, FORWARDS_PER_HOUR
from events.models import Attendee, GuestMessage
from events.services import event_create, event_update
from mail.delivery import render_pending
from mail.models import OutboxMessage
from mail.tests.test_inbound_smtp import wait_for
from notifications.models import Notification

from .guest_helpers import GINA, HUGO, INBOUND_DOMAIN, at, deliver_to_reply_address, make_mailbox


@pytest.fixture
def gina(transactional_db, owner, colleague, settings) -> Attendee:
    """Alice invites Gina (and her colleague Bob) to "Kick-off"."""
    settings.INBOUND_DOMAIN = INBOUND_DOMAIN
    make_mailbox(owner)
    event = event_create(
        owner,
        title="Kick-off",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        attendee_ids=[colleague.pk],
        guests=[GINA],
    )
    OutboxMessage.objects.all().delete()  # the invitations: not what these tests read
    return Attendee.objects.select_related("guest", "event").get(event=event, guest__isnull=False)


def plain_reply(text: str, *, message_id: str, html: str | None = None, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = f"Gina Guest <{GINA['email']}>"
    message["To"] = "Alice at Acme <reply@whatever.example>"
    message["Subject"] = "Re: Invitation: Kick-off"
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text:
        message.set_content(text)
    if html is not None:
        if text:
            message.add_alternative(html, subtype="html")
        else:
            message.set_content(html, subtype="html")
    return message.as_bytes(policy=email.policy.SMTP)


def forwards() -> list[email.message.EmailMessage]:
    render_pending()
    return [
        email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
        for row in OutboxMessage.objects.order_by("pk")
    ]


def test_a_plain_reply_reaches_the_organizer_and_the_event_page(
    listener, recorder, gina, owner, colleague, client
):
    raw = plain_reply("I'll be 10 minutes late.\nSorry!", message_id="<late@client.example>")

    assert deliver_to_reply_address(listener, recorder, raw, gina) == ["forwarded"]

    (mail,) = forwards()
    assert [a.addr_spec for a in mail["To"].addresses] == [owner.email]
    (sender,) = mail["From"].addresses
    assert sender.display_name == "Gina Guest via Rendezvous"
    assert [a.addr_spec for a in mail["Reply-To"].addresses] == [GINA["email"]]
    assert mail["Subject"] == "Message from Gina Guest: Re: Invitation: Kick-off"
    assert mail[FORWARD_MARKER] == "1"
    body = mail.get_body(("plain",)).get_content()
    assert "I'll be 10 minutes late." in body and "Kick-off" in body
    (original,) = [p for p in mail.iter_attachments() if p.get_content_type() == "message/rfc822"]
    assert original.get_content()["Message-ID"] == "<late@client.example>"
    assert Notification.objects.filter(user=owner, text__contains="Gina Guest").count() == 1

    client.force_login(owner)
    url = reverse("events:detail", args=[gina.event_id])
    page = client.get(url).content.decode()
    assert "I&#x27;ll be 10 minutes late.<br>Sorry!" in page
    client.force_login(colleague)  # a participant, not the organizer: not for their eyes
    page = client.get(url)
    assert page.status_code == 200 and "10 minutes late" not in page.content.decode()


def test_an_html_only_reply_is_read_without_its_tags_and_shown_escaped(
    listener, recorder, gina, owner, client
):
    html = "<p>Running late &amp; <b>sorry</b></p><script>alert(1)</script>"
    deliver_to_reply_address(
        listener, recorder, plain_reply("", html=html, message_id="<h@x>"), gina
    )

    (note,) = GuestMessage.objects.all()
    assert note.text == "Running late & sorryalert(1)"  # text only: no tag survives
    client.force_login(owner)
    page = client.get(reverse("events:detail", args=[gina.event_id])).content.decode()
    assert "Running late &amp; sorryalert(1)" in page and "<script>alert" not in page


def test_our_own_forward_sent_back_is_not_forwarded_again(listener, recorder, gina):
    """A mailbox that forwards everything back to the reply address makes no loop."""
    deliver_to_reply_address(listener, recorder, plain_reply("Hello", message_id="<a@x>"), gina)
    (forward,) = OutboxMessage.objects.all()
    render_pending()
    forward.refresh_from_db()

    # It says it is machine mail, so it is ignored as an auto-reply; a mailbox that
    # strips those headers still leaves our marker.
    assert deliver_to_reply_address(listener, recorder, forward.raw_bytes, gina) == ["auto-reply"]
    stripped = email.message_from_bytes(forward.raw_bytes, policy=email.policy.SMTP)
    del stripped["Auto-Submitted"]
    del stripped["X-Auto-Response-Suppress"]
    del stripped["Message-ID"]
    stripped["Message-ID"] = "<resent@x>"
    assert deliver_to_reply_address(listener, recorder, stripped.as_bytes(), gina) == ["loop"]
    assert GuestMessage.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_the_same_mail_twice_is_one_message(listener, recorder, gina):
    raw = plain_reply("Hello", message_id="<same@x>")
    assert deliver_to_reply_address(listener, recorder, raw, gina) == ["forwarded"]
    assert deliver_to_reply_address(listener, recorder, raw, gina) == ["duplicate"]
    assert OutboxMessage.objects.count() == 1


def test_a_flood_is_cut_off_after_the_hourly_limit(listener, recorder, gina):
    outcomes = [
        deliver_to_reply_address(
            listener, recorder, plain_reply(f"n{n}", message_id=f"<n{n}@x>"), gina
        )[0]
        for n in range(FORWARDS_PER_HOUR + 2)
    ]
    assert outcomes == ["forwarded"] * FORWARDS_PER_HOUR + ["rate-limited"] * 2
    assert OutboxMessage.objects.count() == FORWARDS_PER_HOUR


def test_an_out_of_office_reply_is_not_forwarded(listener, recorder, gina):
    raw = plain_reply("I am away.", message_id="<oof@x>", Auto_Submitted="auto-replied")
    assert deliver_to_reply_address(listener, recorder, raw, gina) == ["auto-reply"]
    assert not GuestMessage.objects.exists() and not OutboxMessage.objects.exists()


def test_words_to_an_unknown_reply_address_go_nowhere(listener, recorder, gina):
    raw = plain_reply("Hello", message_id="<u@x>")
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
        client.sendmail(GINA["email"], [f"reply+{'a' * 52}@{INBOUND_DOMAIN}"], raw)
    wait_for(lambda: recorder.results)
    assert recorder.results == [["unknown_token"]]
    assert not GuestMessage.objects.exists() and not OutboxMessage.objects.exists()


def test_a_removed_guest_can_no_longer_write_through(listener, recorder, gina, owner):
    address = guest_lib.reply_address(gina)
    event_update(gina.event, owner, guests=[])
    OutboxMessage.objects.all().delete()
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
        client.sendmail(GINA["email"], [address], plain_reply("Hi", message_id="<r@x>"))
    wait_for(lambda: recorder.results)
    assert recorder.results == [["unknown_token"]]
    assert not OutboxMessage.objects.exists()


def calendar_mail(
    gina: Attendee,
    method: str,
    lines: str,
    *,
    subject: str,
    text: str,
    message_id: str | None = None,
    uid: str | None = None,
) -> bytes:
    """Gina's client mailing her reply address a METHOD ``method`` calendar whose VEVENT
    holds ``lines`` (CRLF-ended) besides its UID, DTSTAMP and ORGANIZER."""
    address = guest_lib.reply_address(gina)
    calendar = (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Client//EN\r\nMETHOD:{method}\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid or gina.event.uid}\r\nDTSTAMP:20260520T100000Z\r\n"
        f"ORGANIZER:mailto:{address}\r\n{lines}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    message = EmailMessage()
    message["From"] = GINA["email"]
    message["To"] = address
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(text)
    message.add_alternative(calendar, subtype="calendar", params={"method": method})
    return message.as_bytes(policy=email.policy.SMTP)


def test_a_note_sent_with_an_answer_is_kept_and_forwarded(listener, recorder, gina, owner):
    raw = calendar_mail(
        gina,
        "REPLY",
        "SEQUENCE:0\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{GINA['email']}\r\n"
        "COMMENT:Happy to come\\, I will bring the contract.\r\n",
        subject="Accepted: Kick-off",
        text="Accepted.",
        message_id="<acc@x>",
    )

    outcome = deliver_to_reply_address(listener, recorder, raw, gina)

    assert outcome == ["applied", "forwarded"]
    assert Attendee.objects.get(pk=gina.pk).status == "accepted"
    (note,) = GuestMessage.objects.all()
    assert (note.kind, note.text) == ("comment", "Happy to come, I will bring the contract.")
    (mail,) = [m for m in forwards() if m[FORWARD_MARKER]]
    assert "I will bring the contract." in mail.get_body(("plain",)).get_content()
    assert "Accepted" in mail.get_body(("plain",)).get_content()


def test_the_forward_is_in_the_organizers_language(listener, recorder, gina, owner):
    owner.language = "de"
    owner.save()
    deliver_to_reply_address(listener, recorder, plain_reply("Hallo", message_id="<de@x>"), gina)
    (mail,) = forwards()
    assert mail["Subject"] == "Nachricht von Gina Guest: Re: Invitation: Kick-off"
    assert "Antworten Sie auf diese E-Mail" in mail.get_body(("plain",)).get_content()


# --------------------------------------------------------------------------- REFRESH


def refresh_mail(gina: Attendee, *, uid: str | None = None, attendee: str | None = None) -> bytes:
    return calendar_mail(
        gina,
        "REFRESH",
        f"ATTENDEE:mailto:{attendee or GINA['email']}\r\n",
        subject="Refresh: Kick-off",
        text="Please send the event again.",
        uid=uid,
    )


def test_a_refresh_gets_the_current_request_to_that_guest_only(
    listener, recorder, gina, owner, colleague
):
    event_update(gina.event, owner, title="Kick-off (moved)", guests=[GINA, HUGO])
    OutboxMessage.objects.all().delete()

    assert deliver_to_reply_address(listener, recorder, refresh_mail(gina), gina) == ["refreshed"]

    (mail,) = forwards()
    assert [a.addr_spec for a in mail["To"].addresses] == [GINA["email"]]
    calendar = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert "SUMMARY:Kick-off (moved)" in calendar.get_content()
    assert Attendee.objects.get(pk=gina.pk).status == "needs-action"  # nothing else changes
    assert not GuestMessage.objects.exists()


def test_a_refresh_for_a_cancelled_event_gets_its_cancel(listener, recorder, gina, owner):
    from events.cancelling import event_cancel

    event_cancel(gina.event, owner)
    OutboxMessage.objects.all().delete()

    assert deliver_to_reply_address(listener, recorder, refresh_mail(gina), gina) == ["refreshed"]
    (mail,) = forwards()
    calendar = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "CANCEL"


@pytest.mark.parametrize(
    "change, outcome",
    [
        ({"uid": "someone-elses@x"}, "not_invited"),
        ({"attendee": "intruder@evil.example"}, "wrong_attendee"),
    ],
)
def test_a_refresh_for_another_event_or_person_sends_nothing(
    listener, recorder, gina, change, outcome
):
    assert deliver_to_reply_address(listener, recorder, refresh_mail(gina, **change), gina) == [
        outcome
    ]
    assert not OutboxMessage.objects.exists()


def test_refreshes_are_answered_a_few_times_an_hour(listener, recorder, gina):
    from events.refresh import REFRESHES_PER_HOUR

    outcomes = [
        deliver_to_reply_address(listener, recorder, refresh_mail(gina), gina)[0]
        for _ in range(REFRESHES_PER_HOUR + 1)
    ]
    assert outcomes == ["refreshed"] * REFRESHES_PER_HOUR + ["rate-limited"]
    assert OutboxMessage.objects.count() == REFRESHES_PER_HOUR


# --------------------------------------------------------------------------- DELEGATED


def test_a_delegation_is_recorded_and_shown_and_the_delegate_is_not_invited(
    listener, recorder, gina, owner, client
):
    raw = calendar_mail(
        gina,
        "REPLY",
        "SEQUENCE:0\r\n"
        'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:Bo.Deputy@Client.example":'
        f"mailto:{GINA['email']}\r\n",
        subject="Delegated: Kick-off",
        text="",
        message_id="<del@x>",
    )

    assert deliver_to_reply_address(listener, recorder, raw, gina) == ["applied"]

    row = Attendee.objects.get(pk=gina.pk)
    assert (row.status, row.delegated_to) == ("delegated", "bo.deputy@client.example")
    assert Attendee.objects.filter(event=gina.event).count() == 3  # nobody added
    assert all("bo.deputy" not in str(r) for r in OutboxMessage.objects.values("recipients"))
    client.force_login(owner)
    page = client.get(reverse("events:detail", args=[gina.event_id])).content.decode()
    assert "Delegated" in page and "to bo.deputy@client.example" in page
    from api.schemas import attendee_out

    assert attendee_out(row)["delegated_to"] == "bo.deputy@client.example"
