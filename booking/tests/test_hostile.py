"""Hostile visitors: forged requests, injected text, guessed tokens."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from booking.models import Booking
from booking.services import book
from mail.ical import parse_calendar

from .conftest import berlin_at, calendar_part, outbox_to, visitor

pytestmark = pytest.mark.django_db


def test_token_forms_rest_on_the_token_and_owner_forms_on_csrf(client, owner, link_token):
    """With ``no-referrer`` browsers send ``Origin: null`` on form POSTs, so the token
    pages cannot use Django's CSRF check; they need none (no cookie gives authority),
    but the employee's own forms must keep it."""
    forged = Client(enforce_csrf_checks=True)
    posted = forged.post(
        f"/b/{link_token}",
        {"start": berlin_at(10).isoformat(), "name": "A B", "email": "a@example.org"},
        HTTP_ORIGIN="null",
    )
    assert posted.status_code == 302  # like a browser on the page itself
    # Without the token nothing happens.
    assert forged.post("/b/" + "Z" * 43, {"name": "A B"}).status_code == 404
    forged.force_login(owner)
    for name in ("switch_on", "switch_off"):
        assert forged.post(reverse(f"booking:{name}")).status_code == 403
    booking = Booking.objects.get()
    assert forged.post(reverse("booking:decline", args=[booking.pk])).status_code == 403
    assert Booking.objects.get().status == "confirmed"


def test_calendar_text_cannot_smuggle_properties(link_token):
    comment = (
        "hi\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Free money\r\nATTENDEE:mailto:x@evil.example"
    )
    outcome = book(link_token, visitor(berlin_at(10), comment=comment))
    assert outcome.status_code == 201
    (mail,) = outbox_to("maria@example.org")
    calendar = parse_calendar(calendar_part(mail).get_content().encode())
    (vevent,) = calendar.walk("VEVENT")
    assert "Free money" not in str(vevent["SUMMARY"])
    attendees = vevent.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a).lower() for a in attendees] == ["mailto:maria@example.org"]
    assert "BEGIN:VEVENT" in str(vevent["DESCRIPTION"])  # kept as text, escaped


def test_manage_token_of_one_booking_opens_only_that_booking(client, link_token):
    first = book(link_token, visitor(berlin_at(10)))
    second = book(link_token, visitor(berlin_at(12), email="second@example.org"))
    page = client.get(f"/b/manage/{first.manage_token}/").content.decode()
    assert "maria@example.org" in page and "second@example.org" not in page
    # The booking link is not a manage token and vice versa.
    assert client.get(f"/b/manage/{link_token}/").status_code == 404
    assert client.get(f"/b/{second.manage_token}").status_code == 404


def test_tokens_are_stored_as_digests_only(owner, link_token):
    outcome = book(link_token, visitor(berlin_at(10)))
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("booking_bookinglink", "booking_booking", "booking_idempotencyrecord"):
            cursor.execute(f"SELECT * FROM {table}")
            dump = repr(cursor.fetchall())
            assert link_token not in dump and outcome.manage_token not in dump


def test_a_very_long_path_token_is_a_plain_404(client):
    assert client.get("/b/" + "a" * 5000).status_code == 404
    assert client.get("/b/%00%0d%0a").status_code == 404
