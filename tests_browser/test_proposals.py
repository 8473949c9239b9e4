"""In Chromium: a guest without a "propose new time" button proposes another time on their
page; the organizer sees it (and a note the guest mailed) on the event page and accepts:
the event moves and the guests are sent the update."""

from __future__ import annotations

import datetime as dt

import pytest

from events import guests as guest_lib
from events.guest_messages import receive_guest_message
from events.models import Attendee, Event, Proposal
from events.services import event_create
from mail.models import OutboxMessage, SenderMailbox
from tests_browser.test_calendar import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = dt.timezone(dt.timedelta(hours=2))  # June: CEST


def test_a_guest_proposes_and_the_organizer_accepts(page, browser, live_server, owner, settings):
    settings.INBOUND_DOMAIN = "in.rendezvous.example"
    SenderMailbox.objects.create(
        account_id=owner.account_id,
        owner=owner,
        name="Alice at Acme",
        email="alice@mail.acme.test",
        confirmed_at=dt.datetime.now(dt.UTC),
    )
    event = event_create(
        owner,
        title="Contract review",
        start=dt.datetime(2026, 6, 3, 10, tzinfo=BERLIN),
        end=dt.datetime(2026, 6, 3, 11, tzinfo=BERLIN),
        timezone="Europe/Berlin",
        guests=[{"email": "gina@client.example", "first_name": "Gina", "last_name": "Guest"}],
    )
    gina = Attendee.objects.get(event=event, guest__isnull=False)
    receive_guest_message(
        token=guest_lib.reply_token(gina),
        subject="Re: Contract review",
        text="Could we do the afternoon? <b>Thanks</b>",
        raw=b"From: gina@client.example\r\nSubject: Re: Contract review\r\n\r\nCould we\r\n",
        message_id="<note@client.example>",
    )

    # Gina, on her own page, proposes the next afternoon (in the event's zone).
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    guest = context.new_page()
    guest.set_default_timeout(15_000)
    guest.goto(f"{live_server.url}/i/{guest_lib.link_token(gina)}/")
    section = guest.get_by_role("region", name="Propose another time")
    assert "Times in Europe/Berlin." in section.inner_text()
    section.get_by_label("Day").fill("2026-06-04")
    section.get_by_label("From").fill("14:00")
    section.get_by_label("To").fill("15:00")
    section.get_by_label("Note for the organizer").fill("the afternoon is better")
    section.get_by_role("button", name="Send my proposal").click()
    guest.get_by_text("Thank you, your proposal was sent to the organizer.").wait_for()
    assert "You proposed" in guest.get_by_role("region", name="Propose another time").inner_text()
    context.close()

    # Alice sees the proposal and the note beside Gina's answer, and accepts.
    sign_in(page, live_server.url, owner, f"/calendar/events/{event.pk}/")
    people = page.locator("#attendance").inner_text()
    assert "Gina Guest proposes" in people and "the afternoon is better" in people
    assert "Could we do the afternoon? <b>Thanks</b>" in people  # text, never markup
    OutboxMessage.objects.all().delete()
    page.get_by_role("button", name="Accept the new time").click()
    page.get_by_text("The event was moved; everyone was told.").wait_for()

    event = Event.objects.get(pk=event.pk)
    assert event.start == dt.datetime(2026, 6, 4, 14, tzinfo=BERLIN)
    assert Proposal.objects.get().status == "accepted"
    assert OutboxMessage.objects.filter(recipients=["gina@client.example"]).exists()
    assert "Accept the new time" not in page.locator("#attendance").inner_text()
