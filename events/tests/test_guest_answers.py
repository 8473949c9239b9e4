"""Guests' answers: from their page (guest_respond) and from mail clients (apply_guest_reply)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from events import guests as guest_lib
from events.answers import apply_guest_reply, guest_respond
from events.cancelling import event_cancel
from events.models import Attendee, GuestReplyReceipt
from events.services import event_create, event_update
from mail.inbound_parse import ParsedReply
from notifications.models import Notification

from .guest_helpers import GINA, HUGO, at, clear_outbox, html_body, outbox, subject, text_body

STAMP = dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def event(owner, mailbox):
    created = event_create(
        owner,
        title="Kick-off <b>&</b>",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        guests=[GINA, HUGO],
    )
    clear_outbox()
    return created


@pytest.fixture
def gina(event) -> Attendee:
    return Attendee.objects.select_related("guest", "event").get(
        event=event, guest__email=GINA["email"]
    )


@pytest.fixture
def hugo(event) -> Attendee:
    return Attendee.objects.select_related("guest", "event").get(
        event=event, guest__email=HUGO["email"]
    )


def reply_for(event, attendee_email: str, partstat: str = "ACCEPTED", **extra) -> ParsedReply:
    fields = {
        "uid": event.uid,
        "attendee_email": attendee_email,
        "partstat": partstat,
        "sequence": event.sequence,
        "dtstamp": STAMP,
    } | extra
    return ParsedReply(**fields)


def status_of(attendee: Attendee) -> str:
    return Attendee.objects.get(pk=attendee.pk).status


# --------------------------------------------------------------------------- the page


def test_page_answer_changes_status_and_notifies_the_organizer(owner, event, gina):
    guest_respond(gina, "accepted")
    assert status_of(gina) == "accepted"
    (note,) = Notification.objects.filter(user=owner)
    assert note.text == "Gina Guest accepted “Kick-off <b>&</b>”."
    assert note.url == f"/calendar/events/{event.pk}/"
    (mail,) = outbox()
    assert mail["To"].addresses[0].addr_spec == owner.email
    assert subject(mail) == "Accepted: Gina Guest – Kick-off <b>&</b>"
    assert "Gina Guest <gina@client.example> answered your invitation: Accepted." in text_body(mail)
    html = html_body(mail)
    assert "Kick-off &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>&</b>" not in html


def test_no_decision_mail_when_the_organizer_switched_it_off(owner, event, gina):
    event_update(event, owner, notify_on_decision=False)
    guest_respond(gina, "declined")
    assert Notification.objects.filter(user=owner).count() == 1  # in-app always
    assert outbox() == []


def test_the_same_answer_again_notifies_nobody(owner, event, gina):
    guest_respond(gina, "accepted")
    guest_respond(gina, "accepted")
    assert Notification.objects.filter(user=owner).count() == 1


@pytest.mark.parametrize("status", ["needs-action", "maybe", "", None])
def test_page_answer_must_be_one_of_three(gina, status):
    with pytest.raises(ValidationError) as exc:
        guest_respond(gina, status)
    assert "status" in exc.value.message_dict
    assert status_of(gina) == "needs-action"


def test_no_answers_to_a_cancelled_event(owner, event, gina):
    event_cancel(event, owner)
    with pytest.raises(ValidationError):
        guest_respond(gina, "accepted")
    assert status_of(gina) == "needs-action"


# --------------------------------------------------------------------------- mail replies


def test_reply_is_applied_and_the_organizer_told(owner, event, gina):
    token = guest_lib.reply_token(gina)
    outcome = apply_guest_reply(
        token=token, reply=reply_for(event, GINA["email"], "TENTATIVE"), message_id="<m1@x>"
    )
    assert outcome == "applied"
    fresh = Attendee.objects.get(pk=gina.pk)
    assert fresh.status == "tentative"
    assert (fresh.answered_sequence, fresh.answered_dtstamp) == (0, STAMP)
    assert Notification.objects.filter(user=owner).count() == 1
    assert len(outbox()) == 1


@pytest.mark.parametrize(
    "address", ["GINA@CLIENT.EXAMPLE", "mailto:gina@client.example", "MAILTO:Gina@Client.Example"]
)
def test_attendee_address_matches_case_insensitively_with_or_without_mailto(event, gina, address):
    token = guest_lib.reply_token(gina)
    assert apply_guest_reply(token=token, reply=reply_for(event, address)) == "applied"
    assert status_of(gina) == "accepted"


def test_unknown_token_changes_nothing(event, gina, caplog):
    outcome = apply_guest_reply(token="a" * 52, reply=reply_for(event, GINA["email"]))
    assert outcome == "unknown_token"
    assert status_of(gina) == "needs-action"
    assert "unknown_token" in caplog.text


def test_the_page_token_is_not_a_reply_token(event, gina):
    token = guest_lib.link_token(gina)
    assert apply_guest_reply(token=token, reply=reply_for(event, GINA["email"])) == "unknown_token"


def test_a_reply_naming_another_guest_changes_nothing(event, gina, hugo, caplog):
    token = guest_lib.reply_token(gina)
    outcome = apply_guest_reply(token=token, reply=reply_for(event, HUGO["email"], "DECLINED"))
    assert outcome == "wrong_attendee"
    assert status_of(gina) == status_of(hugo) == "needs-action"
    assert "wrong_attendee" in caplog.text


def test_a_reply_about_another_event_changes_nothing(owner, event, gina):
    other = event_create(owner, title="Other", start=at(2, 10), end=at(2, 11), guests=[GINA])
    token = guest_lib.reply_token(gina)
    reply = reply_for(event, GINA["email"], uid=other.uid)
    assert apply_guest_reply(token=token, reply=reply) == "not_invited"
    assert status_of(gina) == "needs-action"
    other_gina = Attendee.objects.get(event=other, guest__email=GINA["email"])
    assert other_gina.status == "needs-action"


def test_a_reply_to_a_cancelled_event_changes_nothing(owner, event, gina):
    event_cancel(event, owner)
    token = guest_lib.reply_token(gina)
    assert apply_guest_reply(token=token, reply=reply_for(event, GINA["email"])) == "not_invited"


def test_a_removed_guests_token_is_unknown(owner, event, gina):
    token = guest_lib.reply_token(gina)
    event_update(event, owner, guests=[HUGO])
    assert apply_guest_reply(token=token, reply=reply_for(event, GINA["email"])) == "unknown_token"


def test_older_sequence_is_stale(owner, event, gina):
    token = guest_lib.reply_token(gina)
    event = event_update(event, owner, location="Room 9")  # SEQUENCE 1
    assert (
        apply_guest_reply(token=token, reply=reply_for(event, GINA["email"], sequence=1))
        == "applied"
    )
    late = reply_for(event, GINA["email"], "DECLINED", sequence=0, dtstamp=STAMP.replace(hour=23))
    assert apply_guest_reply(token=token, reply=late) == "stale"
    assert status_of(gina) == "accepted"


def test_same_sequence_earlier_dtstamp_is_stale_later_wins(event, gina):
    token = guest_lib.reply_token(gina)
    assert apply_guest_reply(token=token, reply=reply_for(event, GINA["email"])) == "applied"
    earlier = reply_for(event, GINA["email"], "DECLINED", dtstamp=STAMP - dt.timedelta(minutes=1))
    assert apply_guest_reply(token=token, reply=earlier) == "stale"
    assert status_of(gina) == "accepted"
    later = reply_for(event, GINA["email"], "DECLINED", dtstamp=STAMP + dt.timedelta(minutes=1))
    assert apply_guest_reply(token=token, reply=later) == "applied"
    assert status_of(gina) == "declined"


def test_a_reply_older_than_the_page_answer_is_stale(event, gina):
    guest_respond(gina, "declined")
    token = guest_lib.reply_token(gina)
    old = reply_for(event, GINA["email"], dtstamp=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert apply_guest_reply(token=token, reply=old) == "stale"
    assert status_of(gina) == "declined"


def test_after_a_time_change_a_reply_to_the_old_time_is_stale(owner, event, gina):
    token = guest_lib.reply_token(gina)
    event = event_update(event, owner, start=at(5, 10), end=at(5, 11))
    assert event.sequence == 1
    old = reply_for(event, GINA["email"], sequence=0, dtstamp=STAMP + dt.timedelta(days=1))
    assert apply_guest_reply(token=token, reply=old) == "stale"
    assert status_of(gina) == "needs-action"
    new = reply_for(event, GINA["email"], sequence=1)
    assert apply_guest_reply(token=token, reply=new) == "applied"


def test_duplicate_delivery_changes_nothing_and_notifies_once(owner, event, gina):
    token = guest_lib.reply_token(gina)
    reply = reply_for(event, GINA["email"])
    assert apply_guest_reply(token=token, reply=reply, message_id="<same@client>") == "applied"
    assert apply_guest_reply(token=token, reply=reply, message_id="<same@client>") == "duplicate"
    assert Notification.objects.filter(user=owner).count() == 1
    assert GuestReplyReceipt.objects.filter(attendee=gina).count() == 1
    # The same answer again without a Message-ID is recognised too.
    assert apply_guest_reply(token=token, reply=reply) == "duplicate"


def test_a_duplicate_of_an_older_message_does_not_undo_a_newer_one(event, gina):
    token = guest_lib.reply_token(gina)
    first = reply_for(event, GINA["email"], "ACCEPTED")
    second = reply_for(event, GINA["email"], "DECLINED", dtstamp=STAMP + dt.timedelta(hours=1))
    assert apply_guest_reply(token=token, reply=first, message_id="<1@c>") == "applied"
    assert apply_guest_reply(token=token, reply=second, message_id="<2@c>") == "applied"
    assert apply_guest_reply(token=token, reply=first, message_id="<1@c>") == "duplicate"
    assert status_of(gina) == "declined"


def test_unsupported_partstat_changes_nothing(event, gina, partstat="NEEDS-ACTION"):
    """An answer that answers nothing. (DELEGATED is recorded: test_guest_messages.py.)"""
    token = guest_lib.reply_token(gina)
    reply = reply_for(event, GINA["email"], partstat)
    assert apply_guest_reply(token=token, reply=reply) == "unsupported"
    assert status_of(gina) == "needs-action"


@pytest.mark.parametrize("token", ["", "short", "x" * 500, None, 42])
def test_garbage_tokens_are_unknown(event, token):
    assert apply_guest_reply(token=token, reply=reply_for(event, GINA["email"])) == "unknown_token"
