"""The guest's page /i/<token>/: shows one event, answers only by POST with CSRF, same 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from icalendar import Calendar

from events import guests as guest_lib
from events.cancelling import event_cancel
from events.models import Attendee
from events.services import event_create, event_update
from notifications.models import Notification

from .guest_helpers import GINA, HUGO, at, clear_outbox, outbox


@pytest.fixture
def event(owner, colleague, mailbox):
    created = event_create(
        owner,
        title="Kick-off",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        location="Room 4",
        video_url="https://meet.example/kick",
        description="Agenda follows.",
        attendee_ids=[colleague.pk],
        guests=[GINA, HUGO],
    )
    clear_outbox()
    return created


def attendee(event, email) -> Attendee:
    return Attendee.objects.select_related("guest").get(event=event, guest__email=email)


@pytest.fixture
def gina(event):
    return attendee(event, GINA["email"])


@pytest.fixture
def page(gina) -> str:
    return f"/i/{guest_lib.link_token(gina)}/"


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def test_page_shows_the_event_in_its_zone(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kick-off" in html and "Room 4" in html and "Agenda follows." in html
    assert "Monday, 1 June 2026, 10:00" in html and "(Europe/Berlin)" in html
    assert 'datetime="2026-06-01T08:00:00+00:00"' in html  # the instant, for the visitor's zone
    assert "data-local-time" in html
    assert "https://meet.example/kick" in html
    assert "Alice Owner" in html
    assert "Current answer: Not answered" in html
    for label in ("Accept", "Maybe", "Decline"):
        assert f">{label}</button>" in html
    assert "/event.ics" in html


def test_page_is_private(client, page):
    response = client.get(page)
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("query", ["", "?answer=accepted", "?answer=declined", "?status=accepted"])
def test_get_never_changes_anything(client, owner, gina, page, query):
    notifications = Notification.objects.count()  # the colleague was told of the invitation
    response = client.get(page + query)
    assert response.status_code == 200
    assert Attendee.objects.get(pk=gina.pk).status == "needs-action"
    assert Notification.objects.count() == notifications and outbox() == []


def test_accept_link_asks_to_confirm(client, page):
    html = client.get(page + "?answer=accepted").content.decode()
    assert "Press “Accept” to confirm." in html
    assert 'value="accepted" autofocus' in html


def test_answer_is_a_post_with_csrf(owner, gina, page):
    browser = csrf_client()
    html = browser.get(page).content.decode()
    response = browser.post(
        page, {"status": "accepted", "csrfmiddlewaretoken": csrf_token_from(html)}
    )
    assert response.status_code == 302 and response["Location"] == page
    assert Attendee.objects.get(pk=gina.pk).status == "accepted"
    assert Notification.objects.filter(user=owner).count() == 1
    html = browser.get(page).content.decode()
    assert "Current answer: Accepted" in html
    assert "your answer was saved" in html


def test_post_without_csrf_token_is_refused(gina, page):
    browser = csrf_client()
    browser.get(page)
    response = browser.post(page, {"status": "accepted"})
    assert response.status_code == 403
    assert Attendee.objects.get(pk=gina.pk).status == "needs-action"


def test_post_with_a_bad_answer_changes_nothing(client, gina, page):
    response = client.post(page, {"status": "needs-action"}, follow=True)
    assert "Choose accepted, tentative or declined." in response.content.decode()
    assert Attendee.objects.get(pk=gina.pk).status == "needs-action"


def test_cancelled_event_page_says_so_and_takes_no_answer(client, owner, event, gina, page):
    event_cancel(event, owner)
    html = client.get(page).content.decode()
    assert "This event was cancelled." in html
    assert 'name="status"' not in html
    client.post(page, {"status": "accepted"})
    assert Attendee.objects.get(pk=gina.pk).status == "needs-action"


def test_hidden_participants_show_only_organizer_and_me(client, colleague, page):
    html = client.get(page).content.decode()
    assert "Alice Owner" in html and "Gina Guest" in html
    assert "Hugo Hall" not in html and "hugo@" not in html
    assert colleague.full_name not in html


def test_visible_participants_show_everyone_guests_labelled(client, owner, event, colleague, page):
    event_update(event, owner, guests_can_see_participants=True)
    html = client.get(page).content.decode()
    assert "Hugo Hall" in html and colleague.full_name in html
    assert html.count('class="guest-label"') == 2
    assert html.count('class="is-guest"') == 2


def test_ics_download(client, gina, page):
    response = client.get(page + "event.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].startswith("attachment")
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == gina.event.uid
    assert "ATTENDEE" not in vevent  # a PUBLISH names nobody
    assert client.post(page + "event.ics").status_code == 405


def not_found_body(client) -> bytes:
    response = client.get("/i/" + "q" * 52 + "/")
    assert response.status_code == 404
    return response.content


def test_unknown_revoked_and_malformed_tokens_are_the_same_404(client, owner, event, gina, page):
    body = not_found_body(client)
    reply = guest_lib.reply_token(gina)
    event_update(event, owner, guests=[HUGO])  # Gina removed: her link dies
    for url in [
        page,
        page + "event.ics",
        f"/i/{reply}/",
        "/i/x/",
        "/i/" + "A" * 52 + "/",
        "/i/%00/",
        "/i/" + "a" * 500 + "/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.content == body, url
    assert client.post(page, {"status": "accepted"}).status_code == 404


def test_a_token_opens_only_its_own_event(client, owner, mailbox):
    first = event_create(
        owner, title="First meeting", start=at(1, 10), end=at(1, 11), guests=[GINA]
    )
    second = event_create(
        owner, title="Second meeting", start=at(2, 10), end=at(2, 11), guests=[GINA]
    )
    token = guest_lib.link_token(attendee(first, GINA["email"]))
    html = client.get(f"/i/{token}/").content.decode()
    assert "First meeting" in html and "Second meeting" not in html
    # Answering on the first page never touches the second invitation.
    client.post(f"/i/{token}/", {"status": "declined"})
    assert attendee(first, GINA["email"]).status == "declined"
    assert attendee(second, GINA["email"]).status == "needs-action"


def test_a_guest_cannot_answer_for_another_guest(client, event, gina, page):
    hugo = attendee(event, HUGO["email"])
    client.post(page, {"status": "declined", "attendee": hugo.pk, "guest": HUGO["email"]})
    assert Attendee.objects.get(pk=hugo.pk).status == "needs-action"
    assert Attendee.objects.get(pk=gina.pk).status == "declined"


def test_a_guest_reaches_no_employee_page(client, event, page):
    client.get(page)  # whatever the visit leaves in the session
    client.post(page, {"status": "accepted"})
    for url in [
        "/calendar/",
        f"/calendar/events/{event.pk}/",
        f"/calendar/events/{event.pk}/edit/",
        "/calendar/guests/",
        "/accounts/settings/",
        "/notifications/",
        "/accounts/employees/",
    ]:
        response = client.get(url)
        assert response.status_code in (302, 404), url
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/signin/"), url
    token = page.split("/")[2]
    assert client.get(f"/calendar/events/{event.pk}/?token={token}").status_code == 302


def test_html_in_every_field_is_escaped(client, owner, mailbox):
    evil = "<script>alert(1)</script>"
    event = event_create(
        owner,
        title=f"T{evil}",
        description=f"D{evil}",
        location=f"L{evil}",
        start=at(1, 10),
        end=at(1, 11),
        guests=[{"email": "x@y.example", "first_name": f"F{evil}", "last_name": "Z"}],
        guests_can_see_participants=True,
    )
    token = guest_lib.link_token(attendee(event, "x@y.example"))
    html = client.get(f"/i/{token}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4


def test_guest_page_lists_attachments_and_a_token_opens_only_its_events_files(
    client, owner, event, gina, page, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from events.attachments import attachment_add

    settings.MEDIA_ROOT = tmp_path / "uploads"
    mine = attachment_add(
        event, owner, SimpleUploadedFile("agenda.pdf", b"%PDF-1.4\n", "application/pdf")
    )
    other = event_create(owner, title="Other", start=at(2, 10), end=at(2, 11), guests=[HUGO])
    theirs = attachment_add(
        other, owner, SimpleUploadedFile("secret.pdf", b"%PDF-1.4\nsecret", "application/pdf")
    )
    html = client.get(page).content.decode()
    assert f'href="{page}attachments/{mine.pk}/"' in html and "agenda.pdf" in html
    assert "secret.pdf" not in html
    download = client.get(f"{page}attachments/{mine.pk}/")
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    body = not_found_body(client)
    # Gina's token with another event's attachment id: the same 404 as anything unknown.
    foreign = client.get(f"{page}attachments/{theirs.pk}/")
    assert foreign.status_code == 404 and foreign.content == body
    # Hugo's token on the other event does not open Gina's event's file either.
    hugo_other = Attendee.objects.get(event=other, guest__email=HUGO["email"])
    cross = client.get(f"/i/{guest_lib.link_token(hugo_other)}/attachments/{mine.pk}/")
    assert cross.status_code == 404 and cross.content == body


def test_the_guest_page_leads_nowhere_internal_and_a_cancelled_event_says_so(
    client, owner, mailbox
):
    event = event_create(
        owner, title="Offer review", start=at(2, 10), end=at(2, 11), guests=[GINA],
    )  # fmt: skip
    token = guest_lib.link_token(Attendee.objects.get(event=event, guest__isnull=False))
    page = client.get(f"/i/{token}/").content.decode()
    assert "invites you" in page
    assert '<a class="brand"' not in page and 'href="/calendar/' not in page
    event_cancel(event, owner)
    page = client.get(f"/i/{token}/").content.decode()
    assert "invites you" not in page and "invited you" in page
    assert "This event was cancelled." in page
