"""Booking mail is written by the request as outbox rows and rendered by the worker."""

from __future__ import annotations

from booking.emails import RENDERER
from booking.services import book, cancel_by_booker
from mail.delivery import render_pending
from mail.models import OutboxMessage

from .conftest import calendar_part, outbox_to, visitor


def test_a_booking_renders_no_mail_in_its_request(link_token, slot_start):
    outcome = book(link_token, visitor(slot_start))

    rows = list(OutboxMessage.objects.order_by("pk"))
    assert [r.recipients for r in rows] == [["maria@example.org"], ["alice@acme.test"]]
    assert all(r.render_with == RENDERER and r.raw_bytes == b"" for r in rows)

    assert render_pending() == 2
    (confirmation,) = outbox_to("maria@example.org")
    assert outcome.manage_token in confirmation.get_body(("plain",)).get_content()
    # The token in clear waited in the row only until the message existed.
    assert all(r.render_args == {} for r in OutboxMessage.objects.all())
    assert outcome.manage_token not in str(list(OutboxMessage.objects.values("render_args")))


def test_a_booking_cancelled_before_the_worker_ran_sends_only_the_cancellations(
    link_token, slot_start
):
    outcome = book(link_token, visitor(slot_start))
    cancel_by_booker(outcome.manage_token)

    (to_booker,) = outbox_to("maria@example.org")
    assert calendar_part(to_booker).get_param("method") == "CANCEL"
    (to_owner,) = outbox_to("alice@acme.test")
    assert to_owner["Subject"].strip().startswith("Booking cancelled:")
    obsolete = OutboxMessage.objects.filter(status=OutboxMessage.Status.OBSOLETE)
    assert obsolete.count() == 2


def test_an_owner_name_with_angle_brackets_and_quotes_is_quoted_in_from(
    owner, link_token, slot_start
):
    owner.full_name = 'Ann <Sales> "Team"'
    owner.save()

    outcome = book(link_token, visitor(slot_start))

    assert outcome.status_code == 201
    (confirmation,) = outbox_to("maria@example.org")
    assert confirmation["From"].addresses[0].display_name == 'Ann <Sales> "Team" via Rendezvous'
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).exists()


def test_the_booker_mail_comes_from_the_owners_sender_mailbox(owner, link_token, slot_start):
    """As the owner's invitations do: the booker's reply reaches a person."""
    from events.tests.guest_helpers import make_mailbox

    make_mailbox(owner, "alice@mail.acme.test", name="Alice at Acme")

    book(link_token, visitor(slot_start))

    (confirmation,) = outbox_to("maria@example.org")
    (sender,) = confirmation["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Alice at Acme", "alice@mail.acme.test")
    row = OutboxMessage.objects.get(recipients=["maria@example.org"])
    assert row.from_email == "alice@mail.acme.test"  # the envelope too


def test_an_unconfirmed_mailbox_is_not_used_for_the_booker(owner, link_token, slot_start):
    from events.tests.guest_helpers import make_mailbox

    mailbox = make_mailbox(owner, "alice@mail.acme.test")
    mailbox.confirmed_at = None
    mailbox.save()

    book(link_token, visitor(slot_start))

    (confirmation,) = outbox_to("maria@example.org")
    assert confirmation["From"].addresses[0].addr_spec != "alice@mail.acme.test"
    assert confirmation["From"].addresses[0].display_name.endswith("via Rendezvous")


def test_a_proposal_cannot_move_a_booked_meeting(owner, link_token, slot_start):
    """Booked meetings keep their rule: not movable by the owner, a proposal included."""
    import datetime as dt

    import pytest

    from events.exceptions import Conflict
    from events.models import Attendee, Proposal
    from events.proposals import accept_proposal

    event = book(link_token, visitor(slot_start)).booking.event
    proposal = Proposal.objects.create(
        event=event,
        attendee=Attendee.objects.get(event=event, user=owner),
        start=slot_start + dt.timedelta(hours=2),
        end=slot_start + dt.timedelta(hours=3),
    )
    with pytest.raises(Conflict):
        accept_proposal(proposal.pk, owner)
    event.refresh_from_db()
    assert event.start == slot_start
