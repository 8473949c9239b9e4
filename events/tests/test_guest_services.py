"""Inviting external guests: contacts, tokens, what each guest is sent, and when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from events import guests as guest_lib
from events.cancelling import event_cancel
from events.exceptions import Conflict, PlanLimitReached
from events.models import Attendee, Event, Guest
from events.services import event_create, event_update
from mail.inbound_parse import recipient_token
from mail.models import OutboxMessage

from .guest_helpers import (
    GINA,
    HUGO,
    at,
    attendee_addresses,
    calendar_of,
    calendar_part,
    clear_outbox,
    html_body,
    mails_to,
    make_mailbox,
    outbox,
    subject,
    text_body,
    vevent_of,
)


def create(owner, **extra):
    data = {
        "title": "Kick-off",
        "start": at(1, 10),
        "end": at(1, 11),
        "timezone": "Europe/Berlin",
        "location": "Room 4",
    } | extra
    return event_create(owner, **data)


def guest_attendee(event, email: str) -> Attendee:
    return Attendee.objects.select_related("guest").get(event=event, guest__email=email)


# --------------------------------------------------------------------------- creating


def test_create_with_guests_invites_each_one(owner, colleague, mailbox):
    event = create(owner, guests=[GINA, HUGO], attendee_ids=[colleague.pk])

    gina = guest_attendee(event, GINA["email"])
    assert gina.status == "needs-action" and gina.user_id is None
    assert {g.email for g in Guest.objects.all()} == {GINA["email"], HUGO["email"]}
    assert Guest.objects.get(email=GINA["email"]).name == "Gina Guest"
    assert event.guests_first_invited_at is not None

    mails = outbox()
    assert len(mails) == 2  # one per guest: each has its own links
    (to_gina,) = mails_to(GINA["email"])
    assert to_gina["From"].addresses[0].addr_spec == mailbox.email
    assert subject(to_gina).startswith("Invitation: Kick-off @ Monday, 1 June 2026, 10:00")
    assert calendar_of(to_gina)["METHOD"] == "REQUEST"
    vevent = vevent_of(to_gina)
    assert str(vevent["UID"]) == event.uid
    assert int(vevent["SEQUENCE"]) == 0
    body = text_body(to_gina)
    assert "Room 4" in body and "Alice Owner" in body
    assert guest_lib.page_url(gina, "accepted") in body
    assert guest_lib.page_url(gina, "declined") in body
    assert guest_lib.page_url(gina, "accepted").replace("&", "&amp;") in html_body(to_gina)


def test_no_mailbox_means_409_and_nothing_written(owner):
    with pytest.raises(Conflict) as exc:
        create(owner, guests=[GINA])
    assert exc.value.code == "sender_mailbox_required"
    assert not Event.objects.exists() and not Guest.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_unconfirmed_mailbox_is_never_used(owner):
    box = make_mailbox(owner)
    box.confirmed_at = None
    box.save()
    with pytest.raises(Conflict):
        create(owner, guests=[GINA])


def test_a_colleagues_shared_mailbox_is_used(owner, colleague):
    shared = make_mailbox(colleague, "team@mail.acme.test", name="Acme Team")
    shared.shared = True
    shared.save()
    create(owner, guests=[GINA])
    (mail,) = outbox()
    assert mail["From"].addresses[0].addr_spec == "team@mail.acme.test"


def test_event_without_guests_needs_no_mailbox(owner):
    event = create(owner)
    assert event.guests_first_invited_at is None and not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("guests", "field"),
    [
        ([{"email": "not an address"}], "guests.0.email"),
        ([{"email": ""}], "guests.0.email"),
        ([{"email": "a@b.example\r\nBcc: x@evil.example"}], "guests.0.email"),
        ([{"email": "x@evil.example>, <y@evil.example"}], "guests.0.email"),
        ([GINA, {"email": "GINA@client.example"}], "guests.1.email"),
        ([{"email": "bob@acme.test"}], "guests.0.email"),  # an employee: invite as colleague
        ([{"email": "ok@x.example", "first_name": "Li\nne"}], "guests.0.first_name"),
        ([{"email": "ok@x.example", "last_name": "nul\x00"}], "guests.0.last_name"),
        ([{"email": "ok@x.example", "last_name": "x" * 101}], "guests.0.last_name"),
        ([{"email": "ok@x.example", "phone": "1"}], "guests.0.phone"),
        (["ok@x.example"], "guests.0"),
        ("ok@x.example", "guests"),
    ],
)
def test_bad_guests_are_refused_naming_the_field(owner, colleague, mailbox, guests, field):
    with pytest.raises(ValidationError) as exc:
        create(owner, guests=guests)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert not Event.objects.exists() and not Guest.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_contacts_are_one_per_address_case_insensitively_and_names_update(owner, mailbox):
    create(owner, guests=[{"email": "Gina@Client.Example", "first_name": "G"}])
    create(
        owner, guests=[{"email": "gina@client.example", "first_name": "Gina", "last_name": "Guest"}]
    )
    create(owner, guests=[{"email": "GINA@client.example"}])  # no names: keeps the known ones
    (contact,) = Guest.objects.all()
    assert contact.email == "gina@client.example"
    assert (contact.first_name, contact.last_name) == ("Gina", "Guest")
    assert contact.attendances.count() == 3


def test_contacts_belong_to_one_account(owner, stranger, mailbox):
    make_mailbox(stranger, "sam@mail.globex.test")
    create(owner, guests=[GINA])
    create(stranger, guests=[GINA])
    assert sorted(Guest.objects.values_list("account__name", flat=True)) == ["Acme", "Globex"]
    assert list(
        guest_lib.account_contacts(owner.account_id).values_list("account_id", flat=True)
    ) == [owner.account_id]


# --------------------------------------------------------------------------- tokens


def test_tokens_are_random_stored_as_digests_and_reproducible(owner, mailbox):
    event = create(owner, guests=[GINA, HUGO])
    gina, hugo = guest_attendee(event, GINA["email"]), guest_attendee(event, HUGO["email"])
    link, reply = guest_lib.link_token(gina), guest_lib.reply_token(gina)
    assert len(link) == len(reply) == 52 and link != reply
    assert link != guest_lib.link_token(hugo)
    assert set(link) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert gina.rsvp_digest == guest_lib.token_digest(link)
    stored = " ".join(str(v) for v in Attendee.objects.filter(pk=gina.pk).values().first().values())
    assert link not in stored and reply not in stored
    assert guest_lib.attendee_for_link_token(link).pk == gina.pk
    assert guest_lib.attendee_for_reply_token(reply).pk == gina.pk
    assert guest_lib.attendee_for_link_token(reply) is None  # purposes do not mix
    assert guest_lib.attendee_for_reply_token(link) is None
    assert guest_lib.attendee_for_link_token(link[:-1] + ("a" if link[-1] != "a" else "b")) is None
    assert guest_lib.attendee_for_link_token("") is None


def test_changing_the_secret_key_kills_the_links(owner, mailbox, settings):
    event = create(owner, guests=[GINA])
    gina = guest_attendee(event, GINA["email"])
    link = guest_lib.link_token(gina)
    settings.SECRET_KEY = "another-secret-key-0123456789-0123456789-0123456789"
    assert guest_lib.link_token(gina) != link
    assert guest_lib.attendee_for_link_token(guest_lib.link_token(gina)) is None


def test_with_inbound_domain_organizer_and_reply_to_are_the_guests_plus_address(
    owner, mailbox, settings
):
    settings.INBOUND_DOMAIN = "in.rendezvous.example"
    event = create(owner, guests=[GINA, HUGO])
    gina = guest_attendee(event, GINA["email"])
    (mail,) = mails_to(GINA["email"])
    plus = f"reply+{guest_lib.reply_token(gina)}@in.rendezvous.example"
    assert [a.addr_spec for a in mail["Reply-To"].addresses] == [plus]
    assert mail["Reply-To"].addresses[0].display_name == "Alice Owner"
    organizer = vevent_of(mail)["ORGANIZER"]
    assert str(organizer) == f"mailto:{plus}"
    assert organizer.params["CN"] == "Alice Owner"
    assert recipient_token(plus, "in.rendezvous.example") == guest_lib.reply_token(gina)
    # From stays the confirmed mailbox.
    assert mail["From"].addresses[0].addr_spec == mailbox.email
    # Hugo's plus-address is his own.
    (to_hugo,) = mails_to(HUGO["email"])
    assert str(vevent_of(to_hugo)["ORGANIZER"]) != str(organizer)


def test_without_inbound_domain_organizer_is_the_mailbox(owner, mailbox, settings):
    settings.INBOUND_DOMAIN = None
    create(owner, guests=[GINA])
    (mail,) = outbox()
    assert str(vevent_of(mail)["ORGANIZER"]) == f"mailto:{mailbox.email}"
    assert mail["Reply-To"] is None


# --------------------------------------------------------------------------- participants


def test_hidden_participants_ics_lists_only_organizer_and_that_guest(owner, colleague, mailbox):
    create(owner, guests=[GINA, HUGO], attendee_ids=[colleague.pk])
    (mail,) = mails_to(GINA["email"])
    vevent = vevent_of(mail)
    organizer = str(vevent["ORGANIZER"]).lower().removeprefix("mailto:")
    assert sorted(attendee_addresses(vevent)) == sorted([organizer, GINA["email"]])
    assert HUGO["email"] not in mail.as_string() and colleague.email not in mail.as_string()
    for prop in vevent["ATTENDEE"]:
        if str(prop).lower().endswith(GINA["email"]):
            assert prop.params["PARTSTAT"] == "NEEDS-ACTION"
            assert prop.params["RSVP"] == "TRUE"
            assert prop.params["CN"] == "Gina Guest"


def test_visible_participants_ics_lists_everyone(owner, colleague, mailbox):
    create(
        owner, guests=[GINA, HUGO], attendee_ids=[colleague.pk], guests_can_see_participants=True
    )
    (mail,) = mails_to(GINA["email"])
    addresses = attendee_addresses(vevent_of(mail))
    assert {GINA["email"], HUGO["email"], colleague.email} <= set(addresses)
    assert "Hugo Hall" in text_body(mail)


# --------------------------------------------------------------------------- updates


@pytest.fixture
def invited(owner, colleague, mailbox):
    """Kick-off with Gina and Hugo (participants hidden); outbox emptied."""
    event = create(owner, guests=[GINA, HUGO], attendee_ids=[colleague.pk])
    Attendee.objects.filter(event=event, guest__isnull=False).update(status="accepted")
    clear_outbox()
    return Event.objects.get(pk=event.pk)


def test_time_change_bumps_sequence_mails_everyone_and_resets_answers(owner, invited):
    event = event_update(invited, owner, start=at(2, 10), end=at(2, 11))
    assert event.sequence == 1
    assert set(
        Attendee.objects.filter(event=event, guest__isnull=False).values_list("status", flat=True)
    ) == {"needs-action"}
    mails = outbox()
    assert len(mails) == 2
    for mail in mails:
        assert subject(mail).startswith("Updated invitation: Kick-off @ Tuesday, 2 June 2026")
        assert calendar_of(mail)["METHOD"] == "REQUEST"
        vevent = vevent_of(mail)
        assert int(vevent["SEQUENCE"]) == 1
        assert vevent["DTSTART"].dt == at(2, 10)
        guest_prop = [p for p in vevent["ATTENDEE"] if "client" in str(p) or "partner" in str(p)]
        assert guest_prop[0].params["PARTSTAT"] == "NEEDS-ACTION"
    # The organizer's own colleague answers are not touched.
    assert Attendee.objects.get(event=event, user=owner).status == "accepted"


@pytest.mark.parametrize(
    "changes",
    [{"location": "Room 5"}, {"timezone": "Europe/London"}],
)
def test_place_or_zone_change_bumps_and_mails_but_keeps_answers(owner, invited, changes):
    event = event_update(invited, owner, **changes)
    assert event.sequence == 1
    assert len(outbox()) == 2
    assert set(
        Attendee.objects.filter(event=event, guest__isnull=False).values_list("status", flat=True)
    ) == {"accepted"}


@pytest.mark.parametrize("changes", [{"title": "Kick-off (v2)"}, {"description": "Agenda: …"}])
def test_title_or_description_change_is_sent_without_a_bump(owner, invited, changes):
    event = event_update(invited, owner, **changes)
    assert event.sequence == 0
    mails = outbox()
    assert len(mails) == 2
    assert {int(vevent_of(m)["SEQUENCE"]) for m in mails} == {0}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"transparency": "free"},
        {"notify_on_decision": False},
        {"location": "Room 4"},  # the same value again
        {"guests": [GINA, HUGO]},
        {"guests": [{"email": "GINA@client.example"}, HUGO]},
    ],
)
def test_nothing_is_sent_when_nothing_a_guest_sees_changed(owner, invited, changes):
    event = event_update(invited, owner, **changes)
    assert event.sequence == 0
    assert outbox() == []


def test_colleague_change_is_invisible_to_guests_when_the_list_is_hidden(owner, colleague, invited):
    event = event_update(invited, owner, attendee_ids=[])
    assert event.sequence == 1  # participants changed (RFC 5546)
    assert outbox() == []  # but no guest can see it


def test_colleague_change_is_sent_when_guests_see_the_list(owner, colleague, invited):
    event_update(invited, owner, guests_can_see_participants=True)
    assert len(outbox()) == 2  # the list appears in their calendars
    clear_outbox()
    event = event_update(invited, owner, attendee_ids=[])
    assert event.sequence == 1
    mails = outbox()
    assert len(mails) == 2
    assert all(colleague.email not in attendee_addresses(vevent_of(m)) for m in mails)


def test_adding_a_guest_invites_only_the_new_one_when_the_list_is_hidden(owner, invited):
    ivy = {"email": "ivy@ivy.example", "first_name": "Ivy", "last_name": ""}
    event = event_update(invited, owner, guests=[GINA, HUGO, ivy])
    assert event.sequence == 1
    (mail,) = outbox()
    assert mail["To"].addresses[0].addr_spec == "ivy@ivy.example"
    assert subject(mail).startswith("Invitation: ")
    assert int(vevent_of(mail)["SEQUENCE"]) == 1


def test_removed_guest_gets_a_cancel_naming_only_that_guest(owner, invited):
    hugo = guest_attendee(invited, HUGO["email"])
    hugo_link = guest_lib.link_token(hugo)
    event = event_update(invited, owner, guests=[GINA])
    assert event.sequence == 1
    (mail,) = outbox()  # Gina cannot see the list: nothing for her
    assert mail["To"].addresses[0].addr_spec == HUGO["email"]
    assert calendar_of(mail)["METHOD"] == "CANCEL"
    assert calendar_part(mail).get_param("method") == "CANCEL"
    vevent = vevent_of(mail)
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) == 1
    assert attendee_addresses(vevent) == [HUGO["email"]]  # that guest alone
    assert "ORGANIZER" in vevent
    assert guest_lib.attendee_for_link_token(hugo_link) is None  # the link died at once
    assert Guest.objects.filter(email=HUGO["email"]).exists()  # the contact stays


def test_removing_a_guest_updates_the_others_when_they_see_the_list(owner, invited):
    event_update(invited, owner, guests_can_see_participants=True)
    clear_outbox()
    event_update(invited, owner, guests=[GINA])
    methods = sorted((m["To"].addresses[0].addr_spec, calendar_of(m)["METHOD"]) for m in outbox())
    assert methods == [(GINA["email"], "REQUEST"), (HUGO["email"], "CANCEL")]


def test_cancel_sends_every_guest_a_cancel(owner, invited):
    event = event_cancel(invited, owner)
    assert event.sequence == 1
    mails = outbox()
    assert sorted(m["To"].addresses[0].addr_spec for m in mails) == sorted(
        [GINA["email"], HUGO["email"]]
    )
    for mail in mails:
        assert calendar_of(mail)["METHOD"] == "CANCEL"
        assert str(vevent_of(mail)["STATUS"]) == "CANCELLED"
        assert subject(mail).startswith("Cancelled: Kick-off")
    clear_outbox()
    event_cancel(invited, owner)  # again: nothing more
    assert outbox() == []


def test_cancel_still_goes_out_when_the_mailbox_is_gone(owner, invited, mailbox):
    mailbox.delete()
    event_cancel(invited, owner)
    mails = outbox()
    assert len(mails) == 2
    assert all("Alice Owner via Rendezvous" in str(m["From"]) for m in mails)


def test_update_without_a_mailbox_is_refused_and_changes_nothing(owner, invited, mailbox):
    mailbox.delete()
    with pytest.raises(Conflict):
        event_update(invited, owner, start=at(3, 10), end=at(3, 11))
    fresh = Event.objects.get(pk=invited.pk)
    assert fresh.start == at(1, 10) and fresh.sequence == 0
    assert outbox() == []


def test_rolled_back_update_sends_nothing(owner, invited):
    from django.db import transaction

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        event_update(invited, owner, start=at(3, 10), end=at(3, 11))
        assert len(outbox()) == 2
        raise Boom
    assert outbox() == []


# --------------------------------------------------------------------------- quota


def make_events_with_guests(owner, count: int) -> None:
    for index in range(count):
        create(owner, title=f"E{index}", guests=[{"email": f"g{index}@client.example"}])


def test_free_plan_allows_ten_events_with_guests(owner, mailbox):
    make_events_with_guests(owner, 9)
    assert guest_lib.events_with_guests_left(owner.account) == 1
    create(owner, guests=[GINA])
    assert guest_lib.events_with_guests_left(owner.account) == 0
    with pytest.raises(PlanLimitReached) as exc:
        create(owner, title="Eleventh", guests=[HUGO])
    assert getattr(exc.value, "code", None) == "plan_limit_reached"
    assert "10 events with external guests" in str(exc.value)
    assert not Event.objects.filter(title="Eleventh").exists()
    assert not Guest.objects.filter(email=HUGO["email"]).exists()
    # Events without guests are not limited.
    create(owner, title="Internal")


def test_quota_is_account_wide_and_cancelling_does_not_give_it_back(owner, colleague, mailbox):
    make_mailbox(colleague, "bob@mail.acme.test")
    make_events_with_guests(owner, 9)
    last = create(colleague, guests=[GINA])
    event_cancel(last, colleague)
    with pytest.raises(PlanLimitReached) as exc:
        create(owner, guests=[HUGO])
    assert exc.value.code == "plan_limit_reached"


def test_an_event_counts_once_from_its_first_guest(owner, mailbox):
    make_events_with_guests(owner, 9)
    event = create(owner)  # no guest yet: not counted
    assert guest_lib.events_with_guests_left(owner.account) == 1
    event = event_update(event, owner, guests=[GINA])
    assert guest_lib.events_with_guests_left(owner.account) == 0
    event = event_update(event, owner, guests=[])
    event = event_update(event, owner, guests=[HUGO])  # still the same counted event
    assert guest_lib.events_with_guests_left(owner.account) == 0
    other = create(owner, title="Other")
    with pytest.raises(PlanLimitReached) as exc:
        event_update(other, owner, guests=[GINA])
    assert exc.value.code == "plan_limit_reached"
    assert not Attendee.objects.filter(event=other, guest__isnull=False).exists()


def test_paid_accounts_are_unlimited(stranger):
    make_mailbox(stranger, "sam@mail.globex.test")
    for index in range(12):
        create(stranger, title=f"E{index}", guests=[{"email": f"g{index}@client.example"}])
    assert guest_lib.events_with_guests_left(stranger.account) is None
    assert Event.objects.filter(account=stranger.account).count() == 12


def test_all_day_event_mail_shows_dates(owner, mailbox):
    create(owner, start=at(1, 0), end=at(2, 0), all_day=True, guests=[GINA])
    (mail,) = outbox()
    assert "Monday, 1 June 2026 (all day)" in text_body(mail)
    assert vevent_of(mail)["DTSTART"].dt == dt.date(2026, 6, 1)
