"""In Chromium: invite two guests from the event form; a guest in another time zone opens
the Accept link from the mail, confirms, and the organizer sees the answer; moving the
event resets it."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from urllib.parse import urlsplit

import pytest

from events.models import Attendee, Event
from mail.delivery import render_pending
from mail.models import OutboxMessage, SenderMailbox
from tests_browser.conftest import _new_page
from tests_browser.test_calendar import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def accept_link_for(address: str) -> str:
    render_pending()  # what the worker does before sending
    row = OutboxMessage.objects.filter(recipients=[address]).latest("id")
    message = email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    return re.search(r"^Accept: (\S+)", text, re.M)[1]


def test_invite_guests_and_a_guest_accepts_from_the_mail_link(
    page, browser, live_server, owner, screenshot_dir
):
    SenderMailbox.objects.create(
        account_id=owner.account_id,
        owner=owner,
        name="Alice at Acme",
        email="alice@mail.acme.test",
        confirmed_at=dt.datetime.now(dt.UTC),
    )
    sign_in(page, live_server.url, owner, "/calendar/events/new/?date=2026-06-03")
    page.get_by_label("Title").fill("Contract <review>")
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("11:00")
    guests = page.get_by_role("group", name="Invite guests")
    assert "Free plan: 10 of 10 events with guests left." in guests.inner_text()
    assert "Invitations are sent from Alice at Acme" in guests.inner_text()
    guests.get_by_label("Guest's e-mail").nth(0).fill("gina@client.example")
    guests.get_by_label("First name").nth(0).fill("Gina")
    guests.get_by_label("Last name").nth(0).fill("Guest")
    guests.get_by_role("button", name="Add another guest").click()
    guests.get_by_label("Guest's e-mail").nth(1).fill("hugo@partner.example")
    guests.get_by_label("First name").nth(1).fill("Hugo")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url(re.compile(r".*/calendar/week/2026-06-01/$"))

    event = Event.objects.get()
    assert sorted(
        Attendee.objects.filter(event=event, guest__isnull=False).values_list(
            "guest__email", flat=True
        )
    ) == ["gina@client.example", "hugo@partner.example"]
    assert OutboxMessage.objects.count() == 2

    # Gina, in New York, follows the Accept link from her mail (a GET: nothing changes yet).
    link = urlsplit(accept_link_for("gina@client.example"))
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    guest = context.new_page()
    guest.set_default_timeout(15_000)
    guest.goto(f"{live_server.url}{link.path}?{link.query}")
    assert guest.get_by_role("heading", level=1).inner_text() == "Contract <review>"
    body = guest.locator("main").inner_text()
    assert "Wednesday, 3 June 2026, 10:00" in body and "(Europe/Berlin)" in body
    assert "In your time zone (America/New_York)" in body and "04:00" in body
    assert "Press “Accept” to confirm." in body
    assert "Hugo" not in body  # the participant list is hidden by default
    assert Attendee.objects.get(guest__email="gina@client.example").status == "needs-action"
    guest.screenshot(path=str(screenshot_dir / "guest-page.png"), full_page=True)

    guest.get_by_role("button", name="Accept").click()
    guest.get_by_text("Current answer: Accepted").wait_for()
    assert Attendee.objects.get(guest__email="gina@client.example").status == "accepted"
    context.close()

    # Alice sees the answer in her notifications and on the event.
    page.goto(live_server.url + "/notifications/")
    assert "Gina Guest accepted “Contract <review>”." in page.locator("main").inner_text()
    page.goto(live_server.url + f"/calendar/events/{event.pk}/")
    people = page.get_by_role("region", name="Participants").inner_text()
    assert "Gina Guest" in people and "GUEST" in people.upper() and "Accepted" in people

    # Moving the event sends an update and resets the guests' answers.
    page.goto(live_server.url + f"/calendar/events/{event.pk}/edit/")
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("End time").fill("15:00")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(rf".*/calendar/events/{event.pk}/$"))
    assert Event.objects.get().sequence == 1
    assert Attendee.objects.get(guest__email="gina@client.example").status == "needs-action"
    render_pending()
    assert OutboxMessage.objects.filter(subject__startswith="Updated invitation").count() == 2


def test_guest_page_on_a_phone(browser, live_server, owner):
    from events.guests import link_token
    from events.services import event_create

    SenderMailbox.objects.create(
        account_id=owner.account_id,
        owner=owner,
        name="Alice",
        email="alice@mail.acme.test",
        confirmed_at=dt.datetime.now(dt.UTC),
    )
    event = event_create(
        owner,
        title="A rather long meeting title that has to wrap on a small screen",
        start=dt.datetime(2026, 6, 3, 8, tzinfo=dt.UTC),
        end=dt.datetime(2026, 6, 3, 9, tzinfo=dt.UTC),
        timezone="Europe/Berlin",
        guests=[{"email": "gina@client.example", "first_name": "Gina"}],
    )
    token = link_token(Attendee.objects.get(event=event, guest__isnull=False))
    context, phone = _new_page(browser, 390, 844, is_mobile=True, has_touch=True)
    try:
        phone.goto(f"{live_server.url}/i/{token}/")
        fits = phone.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        assert fits
        phone.get_by_role("button", name="Decline").tap()
        phone.get_by_text("Current answer: Declined").wait_for()
    finally:
        context.close()
