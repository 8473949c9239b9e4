"""A guest proposes another time (their calendar's COUNTER, or their page); the organizer
accepts (the event moves, everyone is told) or keeps the time (a DECLINECOUNTER)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage

import pytest
from django.test import Client
from django.urls import reverse

from events import guests as guest_lib
from events.models import Attendee, Event, Proposal
from events.services import event_create
from mail.models import OutboxMessage
from notifications.models import Notification

from .guest_helpers import (
    GINA,
    HUGO,
    INBOUND_DOMAIN,
    at,
    deliver_to_reply_address,
    make_mailbox,
    outbox,
)
from .test_interop import corpus_file


@pytest.fixture
def gina(transactional_db, owner, colleague, settings) -> Attendee:
    settings.INBOUND_DOMAIN = INBOUND_DOMAIN
    make_mailbox(owner)
    event = event_create(
        owner,
        title="Kick-off",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        attendee_ids=[colleague.pk],
        guests=[GINA, HUGO],
    )
    OutboxMessage.objects.all().delete()
    return Attendee.objects.select_related("guest", "event").get(
        event=event, guest__email=GINA["email"]
    )


def counter_mail(gina: Attendee, *, attendee: str | None = None, uid: str | None = None) -> bytes:
    """The RFC 5546 COUNTER of the interop corpus, made Gina's for our event (its UID,
    ORGANIZER and her ATTENDEE line; every other byte as written)."""
    plus = guest_lib.reply_address(gina)
    text = corpus_file("counter-rfc5546-new-time.ics").decode("utf-8")
    original_uid = "calsrv.example.com-873970198738777a@example.com"
    for old, new in (
        (f"UID:{original_uid}", f"UID:{uid or gina.event.uid}"),
        ("ORGANIZER:mailto:a@example.com", f"ORGANIZER:mailto:{plus}"),
        ("mailto:b@example.com", f"mailto:{attendee or GINA['email']}"),
    ):
        assert old in text
        text = text.replace(old, new)
    message = EmailMessage()
    message["From"] = GINA["email"]
    message["To"] = plus
    message["Subject"] = "New time proposed: Kick-off"
    message["Message-ID"] = "<counter@client.example>"
    message.set_content("A new time is proposed.")
    message.add_alternative(text, subtype="calendar", params={"method": "COUNTER"})
    return message.as_bytes(policy=email.policy.SMTP)


PROPOSED_START = dt.datetime(1997, 7, 1, 16, tzinfo=dt.UTC)  # the corpus file's new time


def test_a_counter_from_a_calendar_becomes_a_proposal(listener, recorder, gina, owner, client):
    assert deliver_to_reply_address(listener, recorder, counter_mail(gina), gina) == ["proposed"]

    (proposal,) = Proposal.objects.all()
    assert (proposal.start, proposal.end) == (
        PROPOSED_START,
        PROPOSED_START + dt.timedelta(hours=1),
    )
    assert proposal.comment.startswith("This time works much better")
    assert proposal.attendee_id == gina.pk and proposal.status == "open"
    (note,) = Notification.objects.filter(user=owner)
    assert note.text.startswith("Gina Guest proposes")
    client.force_login(owner)
    page = client.get(reverse("events:detail", args=[gina.event_id])).content.decode()
    assert "Gina Guest proposes" in page and "Accept the new time" in page


@pytest.mark.parametrize(
    "change, outcome",
    [({"attendee": "intruder@evil.example"}, "wrong_attendee"), ({"uid": "x@y"}, "not_invited")],
)
def test_a_counter_for_someone_or_something_else_changes_nothing(
    listener, recorder, gina, change, outcome
):
    assert deliver_to_reply_address(listener, recorder, counter_mail(gina, **change), gina) == [
        outcome
    ]
    assert not Proposal.objects.exists()


def test_accepting_moves_the_event_and_tells_everyone(gina, owner):
    from events.proposals import accept_proposal, propose

    proposal = propose(gina, start=at(2, 14), end=at(2, 15), comment="afternoon?")
    OutboxMessage.objects.all().delete()

    client = Client()
    client.force_login(owner)
    response = client.post(reverse("events:proposal_decide", args=[proposal.pk, "accept"]))

    assert response.status_code == 302
    event = Event.objects.get(pk=gina.event_id)
    assert (event.start, event.end) == (at(2, 14), at(2, 15))
    assert Proposal.objects.get(pk=proposal.pk).status == "accepted"
    mails = outbox()
    to = sorted(a.addr_spec for m in mails for a in m["To"].addresses)
    assert to == sorted([GINA["email"], HUGO["email"]])  # both guests get the update
    with pytest.raises(Exception):  # answered once
        accept_proposal(proposal.pk, owner)


def test_keeping_the_time_sends_a_declinecounter_to_that_guest(gina, owner):
    from events.proposals import propose

    proposal = propose(gina, start=at(2, 14), end=at(2, 15))
    OutboxMessage.objects.all().delete()
    client = Client()
    client.force_login(owner)
    client.post(reverse("events:proposal_decide", args=[proposal.pk, "decline"]))

    assert Event.objects.get(pk=gina.event_id).start == at(1, 10)
    (mail,) = outbox()
    assert [a.addr_spec for a in mail["To"].addresses] == [GINA["email"]]
    calendar = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "DECLINECOUNTER"
    assert f"UID:{gina.event.uid}" in calendar.get_content()
    assert Proposal.objects.get(pk=proposal.pk).status == "declined"


def test_only_the_organizer_decides(gina, owner, colleague, stranger):
    from events.proposals import propose

    proposal = propose(gina, start=at(2, 14), end=at(2, 15))
    for user in (colleague, stranger):
        client = Client()
        client.force_login(user)
        for decision in ("accept", "decline"):
            url = reverse("events:proposal_decide", args=[proposal.pk, decision])
            assert client.post(url).status_code == 404
    assert Proposal.objects.get(pk=proposal.pk).status == "open"
    assert Event.objects.get(pk=gina.event_id).start == at(1, 10)


def test_a_guest_proposes_on_their_page_in_the_events_zone(gina, owner):
    token = guest_lib.link_token(gina)
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("guest:page", args=[token]))
    assert "Propose another time" in page.content.decode()
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        reverse("guest:propose", args=[token]),
        {"day": "2026-06-03", "start": "14:00", "end": "15:30", "comment": "better for me"},
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 302
    (proposal,) = Proposal.objects.all()
    assert (proposal.start, proposal.end) == (at(3, 14), at(3, 15) + dt.timedelta(minutes=30))
    assert proposal.comment == "better for me"


@pytest.mark.parametrize(
    "fields",
    [
        {"day": "2026-06-03", "start": "15:00", "end": "14:00"},  # ends before it starts
        {"day": "not a day", "start": "14:00", "end": "15:00"},
        {"day": "2301-01-01", "start": "14:00", "end": "15:00"},  # beyond 2200
    ],
)
def test_a_proposal_that_cannot_be_is_refused_and_keeps_nothing(gina, fields):
    token = guest_lib.link_token(gina)
    client = Client()
    client.get(reverse("guest:page", args=[token]))
    response = client.post(reverse("guest:propose", args=[token]), fields, follow=True)
    assert response.status_code == 200
    assert not Proposal.objects.exists()
    assert 'class="message error"' in response.content.decode()  # says why


def test_the_proposal_form_needs_the_csrf_token(gina):
    token = guest_lib.link_token(gina)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("guest:propose", args=[token]),
        {"day": "2026-06-03", "start": "14:00", "end": "15:00"},
    )
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_a_removed_guests_page_cannot_propose(gina, owner):
    from events.services import event_update

    token = guest_lib.link_token(gina)
    event_update(gina.event, owner, guests=[HUGO])
    response = Client().post(
        reverse("guest:propose", args=[token]),
        {"day": "2026-06-03", "start": "14:00", "end": "15:00"},
    )
    assert response.status_code == 404
    assert not Proposal.objects.exists()


def test_a_flood_of_counters_is_cut_off(listener, recorder, gina):
    from events.proposals import PROPOSALS_PER_HOUR

    outcomes = []
    for n in range(PROPOSALS_PER_HOUR + 1):
        raw = counter_mail(gina).replace(
            b"<counter@client.example>", f"<counter-{n}@client.example>".encode()
        )
        outcomes.append(deliver_to_reply_address(listener, recorder, raw, gina)[0])
    assert outcomes == ["proposed"] * PROPOSALS_PER_HOUR + ["rate-limited"]
    assert Proposal.objects.count() == PROPOSALS_PER_HOUR


def test_the_same_counter_twice_is_one_proposal(listener, recorder, gina):
    assert deliver_to_reply_address(listener, recorder, counter_mail(gina), gina) == ["proposed"]
    assert deliver_to_reply_address(listener, recorder, counter_mail(gina), gina) == ["duplicate"]
    assert Proposal.objects.count() == 1
