"""Every page fits a phone: no sideways scrolling at 390 px, with realistic content.

Each page is filled with what makes pages wide in real use (an API token, a guest with
a long address, a booking, colleagues on the planner), then measured in Chromium at
390 × 844. A page wider than the screen is listed with its width, so that one run names
every offender.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from accounts.services import create_api_token
from booking.links import create_meeting_type
from booking.services import BookingRequest, book, configure_link
from dav.app_passwords import create_app_password
from dav.services import turn_on
from events.guests import link_token
from events.models import Attendee
from events.services import event_create
from mail.models import SenderMailbox
from notifications.services import notify
from sources import crypto
from sources.models import BusySource
from sources.services import add_ical_source
from webhooks.models import Delivery, Endpoint

from .conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixtures live there
from .test_calendar import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen (0: it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_no_page_scrolls_sideways_on_a_phone(phone_page, live_server, owner, colleague, settings):
    settings.BASE_URL = live_server.url
    SenderMailbox.objects.create(
        account_id=owner.account_id, owner=owner, name="Alice Owner",
        email="alice@acme.example", confirmed_at=timezone.now(),
    )  # fmt: skip
    day = timezone.now().astimezone(BERLIN).date() + dt.timedelta(days=3)
    start = dt.datetime(day.year, day.month, day.day, 10, tzinfo=BERLIN)
    event = event_create(
        owner,
        title="Quarterly contract review with the procurement team",
        start=start,
        end=start + dt.timedelta(minutes=30),
        location="Konferenzraum Großglockner, 3. Obergeschoss, Westflügel",
        attendee_ids=[colleague.pk],
        guests=[
            {
                "email": "bartholomew.featherstonehaugh@very-long-subsidiary-name.example.org",
                "first_name": "Bartholomew",
                "last_name": "Featherstonehaugh-Montgomery",
            }
        ],
    )
    create_api_token(owner, "Phone sync on the long train ride")
    create_app_password(owner, "Bartholomew's extraordinarily long-named tablet")
    source = add_ical_source(
        owner, name="Private calendar of the family Featherstonehaugh",
        url="https://calendar.google.com/calendar/ical/someone%40gmail.com/private-abc/basic.ics",
    )  # fmt: skip
    BusySource.objects.filter(pk=source.pk).update(
        last_error="The server answered 401: check the user name and password, or the address.",
        last_error_at=timezone.now(), consecutive_failures=3,
    )  # fmt: skip
    turn_on(owner)
    notify(owner, "Bartholomew Featherstonehaugh-Montgomery accepted “Quarterly review”")
    _link, token = configure_link(owner, {"min_notice_minutes": 0}, switch_on=True)
    outcome = book(
        token,
        BookingRequest(
            start=start + dt.timedelta(hours=4),
            name="Maria Rossi",
            email="maria.rossi@an-unusually-long-domain-name.example.it",
            timezone="Europe/Rome",
        ),
    )
    booking = outcome.booking
    guest = Attendee.objects.get(event=event, guest__isnull=False)
    receiver = Endpoint.objects.create(
        account=owner.account, event_types=["booking.created", "event.changed"],
        url="https://hooks.an-unusually-long-domain-name.example.it/rendezvous/" + "x" * 60,
        secret_encrypted=crypto.encrypt("whsec_x"), last_error="The receiver answered 503.",
    )  # fmt: skip
    Delivery.objects.create(endpoint=receiver, event_type="event.changed", subject="e", body="{}")
    review, review_token = create_meeting_type(
        owner, {"name": "Project review with a rather long name for a meeting type",
                "more_durations": [15, 30, 90], "location": "Via della Conciliazione 1, Roma",
                "questions": [{"label": "Which of our offices should the meeting take place in?",
                               "kind": "choice", "choices": ["Milano", "Roma"]},
                              {"label": "Notes", "kind": "long"}]},
    )  # fmt: skip

    sign_in(phone_page, live_server.url, owner)
    pages = [
        "/calendar/",
        f"/calendar/week/{day.isoformat()}/",
        f"/calendar/day/{day.isoformat()}/",
        f"/calendar/month/{day.year}-{day.month}/",
        "/calendar/events/new/",
        f"/calendar/events/{event.pk}/",
        f"/calendar/events/{event.pk}/edit/",
        "/calendar/guests/",
        f"/planner/?users={owner.pk}&users={colleague.pk}&date={day.isoformat()}",
        f"/planner/?users={owner.pk}&users={colleague.pk}&date={day.isoformat()}&view=week",
        "/booking/",
        "/booking/new-link/",
        "/booking/bookings/",
        f"/booking/bookings/{booking.pk}/",
        f"/booking/bookings/{booking.pk}/decline/",
        "/accounts/settings/",
        "/accounts/settings/sender-mailboxes/",
        "/accounts/settings/devices/",
        "/accounts/settings/busy-sources/",
        "/accounts/settings/webhooks/",
        f"/booking/types/{review.pk}/",
        f"/b/{review_token}?duration=30",
        f"/accounts/settings/webhooks/{receiver.pk}/",
        "/accounts/employees/",
        "/notifications/",
        # Pages of people who are not users.
        f"/b/{token}",
        f"/b/manage/{outcome.manage_token}/",
        f"/b/manage/{outcome.manage_token}/cancel/",
        f"/b/manage/{outcome.manage_token}/reschedule/",
        f"/i/{link_token(guest)}/",
        "/b/" + "x" * 52,
    ]
    too_wide = {}
    for path in pages:
        phone_page.goto(live_server.url + path)
        excess = _overflow(phone_page)
        if excess > 0:
            too_wide[path] = excess
    assert too_wide == {}
