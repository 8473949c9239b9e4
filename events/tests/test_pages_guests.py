"""Employee pages for guests: invite on the event form, labels, the contacts page, limits."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from events.models import Attendee, Event
from events.services import event_create

from .guest_helpers import GINA, HUGO, at, calendar_of, clear_outbox, make_mailbox, outbox

FORM = {
    "title": "Quarterly review",
    "start_date": "2026-06-01",
    "start_time": "10:00",
    "end_date": "2026-06-01",
    "end_time": "11:00",
    "timezone": "Europe/Berlin",
    "location": "Room 4",
    "transparency": "busy",
    "notify_on_decision": "on",
}


def with_guests(*rows: dict, initial: int = 0, **extra) -> dict:
    data = dict(FORM, **extra)
    data.update(
        {
            "guests-TOTAL_FORMS": str(len(rows)),
            "guests-INITIAL_FORMS": str(initial),
            "guests-MIN_NUM_FORMS": "0",
            "guests-MAX_NUM_FORMS": "200",
        }
    )
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"guests-{index}-{key}"] = value
    return data


@pytest.fixture
def alice(client, owner) -> Client:
    client.force_login(owner)
    return client


def test_form_has_the_invite_section_with_quota_and_sender(alice, mailbox):
    html = alice.get(reverse("events:create")).content.decode()
    assert "<legend>Invite guests</legend>" in html
    assert 'name="guests-0-email"' in html and 'name="guests-0-first_name"' in html
    assert 'name="guests-0-last_name"' in html
    assert "Free plan: 10 of 10 events with guests left." in html
    assert "Invitations are sent from Alice at Acme &lt;alice@mail.acme.test&gt;." in html
    assert "data-add-guest" in html and "guests-__prefix__-email" in html


def test_form_without_a_mailbox_links_to_adding_one(alice):
    html = alice.get(reverse("events:create")).content.decode()
    assert "you have none yet" in html
    assert f'href="{reverse("mail:sender_mailboxes")}"' in html


def test_paid_plan_shows_no_quota(client, stranger):
    client.force_login(stranger)
    html = client.get(reverse("events:create")).content.decode()
    assert "events with guests left" not in html


def test_create_with_guests_from_the_form(alice, owner, mailbox):
    response = alice.post(reverse("events:create"), with_guests(GINA, HUGO, {"email": ""}))
    assert response.status_code == 302, response.content.decode()[-3000:]
    event = Event.objects.get()
    emails = sorted(
        Attendee.objects.filter(event=event, guest__isnull=False).values_list(
            "guest__email", flat=True
        )
    )
    assert emails == [GINA["email"], HUGO["email"]]
    assert len(outbox()) == 2


def test_create_without_a_mailbox_says_what_is_missing(alice):
    response = alice.post(reverse("events:create"), with_guests(GINA))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Add and confirm a sender mailbox before inviting guests." in html
    assert f'href="{reverse("mail:sender_mailboxes")}"' in html
    assert not Event.objects.exists()


def test_bad_guest_address_is_shown_at_its_row(alice, colleague, mailbox):
    rows = (GINA, {"email": "bob@acme.test", "first_name": "Bob"})  # an employee
    response = alice.post(reverse("events:create"), with_guests(*rows))
    assert response.status_code == 400
    html = response.content.decode()
    error = html.split('id="id_guests-1-email_error">', 1)[1].split("</ul>", 1)[0]
    assert "is an employee of your account" in error
    assert not Event.objects.exists()


def test_names_without_an_address_are_refused(alice, mailbox):
    response = alice.post(reverse("events:create"), with_guests({"first_name": "Nobody"}))
    assert response.status_code == 400
    assert 'id="id_guests-0-email_error"' in response.content.decode()


def test_plan_limit_is_shown_on_the_form(alice, owner, mailbox):
    for index in range(10):
        event_create(
            owner,
            title=f"E{index}",
            start=at(1, 10),
            end=at(1, 11),
            guests=[{"email": f"g{index}@c.example"}],
        )
    response = alice.post(reverse("events:create"), with_guests(GINA))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The free plan allows 10 events with external guests" in html
    assert "Free plan: 0 of 10 events with guests left." in html


def test_post_without_a_guest_section_keeps_the_guests(alice, owner, mailbox):
    event = event_create(owner, title="Kept", start=at(1, 10), end=at(1, 11), guests=[GINA])
    clear_outbox()
    response = alice.post(reverse("events:edit", args=[event.pk]), FORM)
    assert response.status_code == 302
    assert Attendee.objects.filter(event=event, guest__email=GINA["email"]).exists()


def test_edit_lists_guests_and_removing_one_sends_a_cancel(alice, owner, mailbox):
    event = event_create(
        owner,
        title="Review",
        start=at(1, 10),
        end=at(1, 11),
        location="Room 4",
        guests=[GINA, HUGO],
    )
    clear_outbox()
    html = alice.get(reverse("events:edit", args=[event.pk])).content.decode()
    assert 'value="gina@client.example"' in html and 'value="hugo@partner.example"' in html
    data = with_guests(GINA, HUGO | {"DELETE": "on"}, initial=2, title="Review")
    response = alice.post(reverse("events:edit", args=[event.pk]), data)
    assert response.status_code == 302
    (mail,) = outbox()
    assert mail["To"].addresses[0].addr_spec == HUGO["email"]
    assert calendar_of(mail)["METHOD"] == "CANCEL"


def test_detail_shows_guests_labelled(alice, owner, colleague, mailbox):
    event = event_create(
        owner,
        title="Review",
        start=at(1, 10),
        end=at(1, 11),
        attendee_ids=[colleague.pk],
        guests=[GINA],
    )
    html = alice.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert html.count('class="guest-label"') == 1
    assert '<li class="is-guest">' in html
    assert "Gina Guest" in html and "&lt;gina@client.example&gt;" in html


def test_contacts_page_lists_the_accounts_guests_only(client, owner, colleague, stranger, mailbox):
    event_create(owner, title="A", start=at(1, 10), end=at(1, 11), guests=[GINA])
    event_create(owner, title="B", start=at(2, 10), end=at(2, 11), guests=[GINA, HUGO])
    make_mailbox(stranger, "sam@mail.globex.test")
    event_create(
        stranger, title="G", start=at(1, 10), end=at(1, 11), guests=[{"email": "z@z.example"}]
    )

    client.force_login(colleague)
    html = client.get(reverse("events:guests")).content.decode()
    assert "gina@client.example" in html and "hugo@partner.example" in html
    assert "z@z.example" not in html
    assert "Free plan: 8 of 10 events with guests left." in html
    row = html.split("gina@client.example", 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td>" in row

    client.force_login(stranger)
    html = client.get(reverse("events:guests")).content.decode()
    assert "z@z.example" in html and "gina@" not in html


def test_contacts_page_needs_sign_in(client):
    response = client.get(reverse("events:guests"))
    assert response.status_code == 302 and "/accounts/signin/" in response["Location"]


def test_guests_are_not_employees(client, owner, mailbox):
    event_create(owner, title="A", start=at(1, 10), end=at(1, 11), guests=[GINA])
    client.force_login(owner)
    html = client.get(reverse("accounts:employees")).content.decode()
    assert GINA["email"] not in html


def test_any_employee_renames_a_contact_of_the_account(client, owner, colleague, mailbox):
    from events.models import Guest

    event_create(owner, title="A", start=at(1, 10), end=at(1, 11), guests=[GINA])
    guest = Guest.objects.get()
    client.force_login(colleague)
    url = reverse("events:guest_rename", args=[guest.pk])
    response = client.post(url, {"first_name": "Regina", "last_name": "Gast"}, follow=True)
    assert "Saved: Regina Gast." in response.content.decode()
    guest.refresh_from_db()
    assert (guest.first_name, guest.last_name, guest.email) == ("Regina", "Gast", GINA["email"])
    assert client.get(url).status_code == 405  # a GET changes nothing

    response = client.post(url, {"first_name": "Two\nlines", "last_name": ""}, follow=True)
    assert "Must be one line" in response.content.decode()
    guest.refresh_from_db()
    assert guest.first_name == "Regina"


def test_a_contact_of_another_account_cannot_be_renamed(client, owner, stranger, mailbox):
    from events.models import Guest

    event_create(owner, title="A", start=at(1, 10), end=at(1, 11), guests=[GINA])
    guest = Guest.objects.get()
    client.force_login(stranger)
    url = reverse("events:guest_rename", args=[guest.pk])
    assert client.post(url, {"first_name": "Hacked"}).status_code == 404
    assert client.post(reverse("events:guest_rename", args=[99999]), {}).status_code == 404
    guest.refresh_from_db()
    assert guest.first_name == "Gina"


def test_rename_needs_csrf(owner, mailbox):
    from events.models import Guest

    event_create(owner, title="A", start=at(1, 10), end=at(1, 11), guests=[GINA])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    url = reverse("events:guest_rename", args=[Guest.objects.get().pk])
    assert strict.post(url, {"first_name": "X"}).status_code == 403
    assert Guest.objects.get().first_name == "Gina"


def test_the_form_takes_a_thousand_guests(alice, owner, mailbox):
    owner.account.plan = "paid"
    owner.account.save()
    rows = [
        {"email": f"guest{n}@client.example", "first_name": "Guest", "last_name": str(n)}
        for n in range(1000)
    ]

    response = alice.post(reverse("events:create"), with_guests(*rows))

    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get()
    assert Attendee.objects.filter(event=event, guest__isnull=False).count() == 1000
