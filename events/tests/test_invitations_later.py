"""Invitations written by the request and rendered by the worker (``queue_guest_mails``).

The request that saves an event with guests writes one outbox row per guest and renders
nothing; the worker renders each message from the event as it is then. These tests read
the rows before and after that step, and change the event in between.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.cancelling import event_cancel
from events.guests import MAX_GUESTS_PER_EVENT
from events.invitation_queue import RENDERER
from events.models import Guest
from events.services import event_create, event_update
from mail.delivery import render_pending
from mail.models import OutboxMessage

from .guest_helpers import GINA, HUGO, at, calendar_of, mails_to, subject, vevent_of


def create(owner, guests, **extra):
    return event_create(
        owner,
        title="Kick-off",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        guests=guests,
        **extra,
    )


def guests(count: int) -> list[dict]:
    return [
        {"email": f"guest{n}@client.example", "first_name": "Guest", "last_name": str(n)}
        for n in range(count)
    ]


def test_saving_writes_one_row_per_guest_and_renders_none(owner, mailbox):
    create(owner, [GINA, HUGO])

    rows = list(OutboxMessage.objects.order_by("pk"))
    assert [r.recipients for r in rows] == [[GINA["email"]], [HUGO["email"]]]
    assert all(r.render_with == RENDERER and r.raw_bytes == b"" for r in rows)

    (gina,) = mails_to(GINA["email"])  # rendered as the worker would
    assert subject(gina).startswith("Invitation: Kick-off")
    assert gina["Message-ID"] == rows[0].message_id


def test_a_change_before_the_worker_ran_is_in_the_first_mail(owner, mailbox):
    event = create(owner, [GINA])
    event_update(event, owner, title="Kick-off, new room", location="Room 9")

    mails = mails_to(GINA["email"])
    assert len(mails) == 2  # the invitation and the update, both as the event is now
    for message in mails:
        vevent = vevent_of(message)
        assert str(vevent["SUMMARY"]) == "Kick-off, new room"
        assert str(vevent["LOCATION"]) == "Room 9"


def test_a_guest_removed_before_the_worker_ran_gets_no_invitation(owner, mailbox):
    event = create(owner, [GINA, HUGO])
    event_update(event, owner, guests=[GINA])

    render_pending()
    invitation_to_hugo = OutboxMessage.objects.filter(recipients=[HUGO["email"]]).earliest("pk")
    assert invitation_to_hugo.status == OutboxMessage.Status.OBSOLETE
    (cancel,) = mails_to(HUGO["email"])  # the CANCEL, rendered while Hugo was still there
    assert str(calendar_of(cancel)["METHOD"]) == "CANCEL"


def test_an_event_cancelled_before_the_worker_ran_sends_only_the_cancel(owner, mailbox):
    event = create(owner, [GINA])
    event_cancel(event, owner)

    (message,) = mails_to(GINA["email"])
    assert str(calendar_of(message)["METHOD"]) == "CANCEL"
    invitation = OutboxMessage.objects.earliest("pk")
    assert invitation.status == OutboxMessage.Status.OBSOLETE


def test_a_guest_reads_the_mail_in_their_language_whatever_the_worker_speaks(owner, mailbox):
    from django.utils import translation

    create(owner, [GINA])
    Guest.objects.filter(email=GINA["email"]).update(language="de")
    with translation.override("pl"):
        (message,) = mails_to(GINA["email"])
    assert subject(message).startswith("Einladung")


def test_rendering_many_invitations_loads_the_event_once(owner, mailbox):
    create(owner, guests(40))

    with CaptureQueriesContext(connection) as queries:
        assert render_pending() == 40
    # one write per row, and a fixed number of reads for the event, whatever the count
    assert len(queries) <= 40 + 12, "\n".join(q["sql"][:100] for q in queries[:12])


def test_an_event_may_have_a_thousand_guests_not_more(owner, mailbox, settings):
    owner.account.plan = "paid"
    owner.account.save()
    event = create(owner, guests(MAX_GUESTS_PER_EVENT))
    assert event.attendees.filter(guest__isnull=False).count() == MAX_GUESTS_PER_EVENT
    assert OutboxMessage.objects.count() == MAX_GUESTS_PER_EVENT

    with pytest.raises(ValidationError) as caught:
        create(owner, guests(MAX_GUESTS_PER_EVENT + 1))
    assert caught.value.message_dict == {"guests": ["At most 1000 guests per event."]}
