"""The booking pages: public page and booker's page (no account), and the owner's pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from booking.models import Booking, BookingLink
from booking.services import book, configure_link
from events.models import Event
from notifications.models import Notification

from .conftest import berlin_at, outbox_to, visitor

pytestmark = pytest.mark.django_db


def form_data(start: dt.datetime, **overrides) -> dict:
    data = {
        "start": start.astimezone(dt.UTC).isoformat(),
        "name": "Maria Rossi",
        "email": "maria@example.org",
        "phone": "",
        "comment": "",
        "tz": "Europe/Rome",
        "request_id": "req-1",
    }
    data.update(overrides)
    return data


def assert_token_headers(response):
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_public_page_shows_month_times_and_form(client, link_token):
    day = berlin_at(10).date()
    response = client.get(
        f"/b/{link_token}",
        {"tz": "Asia/Kathmandu", "month": day.strftime("%Y-%m"), "day": day.isoformat()},
    )
    assert response.status_code == 200
    assert_token_headers(response)
    html = response.content.decode()
    assert "Book a meeting with Alice Owner" in html and "60 minutes" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    # Days with slots are links; the chosen day's times are radio buttons in Kathmandu time.
    assert f'data-day="{day.isoformat()}"' in html and 'aria-current="date"' in html
    times = re.findall(r'<input type="radio" name="start" value="([^"]+)"', html)
    assert times, html
    labels = re.findall(r"<span>(\d\d:\d\d)<span", html)
    assert all(label.endswith(":45") for label in labels)  # Berlin hours seen from +05:45
    assert 'name="name"' in html and 'type="email"' in html and 'name="comment"' in html
    assert '<option value="Asia/Kathmandu" selected>' in html
    # Nothing from elsewhere: no third-party scripts, styles or fonts.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url


def test_public_page_without_zone_uses_the_hours_zone(client, link_token):
    html = client.get(f"/b/{link_token}").content.decode()
    assert '<option value="Europe/Berlin" selected>' in html
    assert 'data-zone-given="0"' in html  # the script may switch to the browser's zone


def test_booking_by_form_then_confirmation_ics_and_cancel(client, owner, link_token):
    start = berlin_at(10)
    response = client.post(f"/b/{link_token}", form_data(start, comment="Bring the offer"))
    assert response.status_code == 302
    booking = Booking.objects.get()
    manage_url = response["Location"]
    assert manage_url.startswith("/b/manage/") and manage_url.endswith("/?booked=1")
    assert booking.timezone == "Europe/Rome" and booking.comment == "Bring the offer"

    page = client.get(manage_url)
    assert page.status_code == 200
    assert_token_headers(page)
    html = page.content.decode()
    assert "You&#x27;re booked" in html or "You're booked" in html
    assert "Meeting with Alice Owner" in html
    assert "calendar.google.com" in html and "outlook.live.com" in html
    assert booking.event.video_url in html
    # Rome time: 10:00 Berlin is 10:00 Rome too; the page says which zone.
    assert "10:00–11:00" in html and "Europe/Rome" in html

    token = manage_url.split("/")[3]
    ics = client.get(f"/b/manage/{token}/meeting.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert "attachment" in ics["Content-Disposition"]
    assert f"UID:{booking.event.uid}" in ics.content.decode().replace("\r\n ", "")
    assert_token_headers(ics)

    cancelled = client.post(f"/b/manage/{token}/cancel/")
    assert cancelled.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert Event.objects.get(pk=booking.event_id).status == "cancelled"
    assert Notification.objects.filter(user=owner).count() == 2
    assert "You have cancelled this meeting." in client.get(f"/b/manage/{token}/").content.decode()


def test_form_sent_twice_books_once(client, link_token):
    start = berlin_at(10)
    first = client.post(f"/b/{link_token}", form_data(start))
    assert first.status_code == 302
    second = client.post(f"/b/{link_token}", form_data(start))
    assert second.status_code == 200
    assert "This booking was already made" in second.content.decode()
    assert Booking.objects.count() == 1


def test_taken_time_and_bad_fields_rerender_the_page(client, link_token):
    start = berlin_at(10)
    book(link_token, visitor(start))
    taken = client.post(f"/b/{link_token}", form_data(start, request_id="other"))
    assert taken.status_code == 409
    assert "This time was just taken. Please choose another." in taken.content.decode()
    assert_token_headers(taken)
    bad = client.post(
        f"/b/{link_token}",
        form_data(start + dt.timedelta(hours=2), email="nope", name="", request_id="r3"),
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Enter a valid e-mail address." in html and "This field is required." in html
    # What the visitor typed is kept and escaped.
    hostile = client.post(
        f"/b/{link_token}",
        form_data(
            start + dt.timedelta(hours=2),
            name="<script>alert(1)</script>",
            email="x",
            request_id="r4",
        ),
    )
    assert "<script>alert(1)</script>" not in hostile.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.content.decode()
    assert Booking.objects.count() == 1


def test_unknown_revoked_and_malformed_tokens_look_like_any_missing_page(client, owner, link_token):
    configure_link(owner, new_link=True)
    baseline = client.get("/no-such-page-at-all")
    assert baseline.status_code == 404
    for path in (
        f"/b/{link_token}",
        "/b/" + "A" * 43,
        "/b/x",
        "/b/manage/" + "B" * 43 + "/",
        f"/b/manage/{link_token}/meeting.ics",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.content == baseline.content, path
        assert "Referrer-Policy" not in response or response["Referrer-Policy"] != "no-referrer"
    post = client.post(f"/b/{link_token}", form_data(berlin_at(10)))
    assert post.status_code == 404 and post.content == baseline.content
    assert client.post("/b/manage/" + "B" * 43 + "/cancel/").status_code == 404
    assert Booking.objects.count() == 0


def test_page_rate_limits(client, link_token, settings):
    settings.BOOKING_SLOTS_RATE = (2, 3600)
    settings.BOOKING_BOOKINGS_RATE = (1, 86400)
    assert [client.get(f"/b/{link_token}").status_code for _ in range(2)] == [200, 200]
    limited = client.get(f"/b/{link_token}")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert_token_headers(limited)
    assert client.post(f"/b/{link_token}", form_data(berlin_at(10))).status_code == 302
    again = client.post(f"/b/{link_token}", form_data(berlin_at(12), request_id="r2"))
    assert again.status_code == 429 and Booking.objects.count() == 1


# ---------------------------------------------------------------- the owner's pages


def test_owner_pages_need_a_sign_in(client):
    for name in ("settings", "preview", "owner_bookings"):
        response = client.get(reverse(f"booking:{name}"))
        assert response.status_code == 302 and "/accounts/" in response["Location"]
    assert client.post(reverse("booking:switch_on")).status_code == 302
    assert BookingLink.objects.count() == 0


def test_switch_on_shows_the_link_with_copy_and_qr(client, owner):
    client.force_login(owner)
    page = client.get(reverse("booking:settings"))
    assert page.status_code == 200 and "Switch on" in page.content.decode()
    made = client.post(reverse("booking:switch_on"))
    assert made.status_code == 302 and made["Location"] == reverse("booking:settings")
    response = client.get(made["Location"])  # post, redirect, get: a reload repeats nothing
    html = response.content.decode()
    assert "Your link is on. Share it with your contacts" in html
    url = re.search(r'id="booking-url" class="token" value="([^"]+)"', html).group(1)
    assert url.startswith("http://testserver/b/")
    assert "<svg" in html and "data-copy" in html
    assert "no-store" in response["Cache-Control"]
    token = url.rsplit("/", 1)[1]
    assert client.get(f"/b/{token}").status_code == 200
    # The settings page shows the same link again (derived, not stored), with its QR code.
    again = client.get(reverse("booking:settings"))
    assert url in again.content.decode() and "<svg" in again.content.decode()
    assert "no-store" in again["Cache-Control"]
    assert token not in "".join(str(v) for v in BookingLink.objects.values_list()[0])
    # A new link kills the old one; switching off kills the new one.
    newer = client.post(reverse("booking:switch_on"), {"new": "1"}, follow=True).content.decode()
    new_token = re.search(r'value="http://testserver/b/([^"]+)"', newer).group(1)
    assert client.get(f"/b/{token}").status_code == 404
    client.post(reverse("booking:switch_off"))
    assert client.get(f"/b/{new_token}").status_code == 404
    client.post(reverse("booking:switch_on"))
    for old in (token, new_token):
        assert client.get(f"/b/{old}").status_code == 404


def test_settings_form_saves_and_names_bad_fields(client, owner):
    client.force_login(owner)
    data = {
        "duration_minutes": "30",
        "use_working_hours": "",
        "timezone": "America/New_York",
        "buffer_before_minutes": "5",
        "buffer_after_minutes": "10",
        "min_notice_minutes": "60",
        "horizon_days": "30",
        "daily_limit": "4",
        "hours_mon": "09:00-12:00, 13:00-17:00",
        "hours_tue": "",
        "hours_wed": "10:00-11:00",
        "hours_thu": "",
        "hours_fri": "",
        "hours_sat": "",
        "hours_sun": "",
    }
    assert client.post(reverse("booking:settings"), data).status_code == 302
    link = BookingLink.objects.get(owner=owner)
    assert link.duration_minutes == 30 and link.timezone == "America/New_York"
    assert link.hours["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert (link.daily_limit, link.horizon_days, link.buffer_after_minutes) == (4, 30, 10)
    assert not link.is_on  # saving settings does not switch the link on
    bad = client.post(reverse("booking:settings"), {**data, "hours_wed": "10:00-09:00"})
    assert bad.status_code == 400
    assert "Wednesday: in “10:00-09:00” the end is not after the start." in bad.content.decode()
    garbled = client.post(reverse("booking:settings"), {**data, "hours_fri": "nine to five"})
    assert garbled.status_code == 400
    assert "Friday: “nine to five” is not a range of times. Write it like 9:00-12:30." in (
        garbled.content.decode()
    )
    assert BookingLink.objects.get(owner=owner).hours["wed"] == [["10:00", "11:00"]]
    # Back to the working hours.
    client.post(reverse("booking:settings"), {**data, "use_working_hours": "on"})
    assert BookingLink.objects.get(owner=owner).hours is None


SETTINGS_BASE = {
    "duration_minutes": "30",
    "buffer_before_minutes": "0",
    "buffer_after_minutes": "0",
    "min_notice_minutes": "60",
    "horizon_days": "30",
    "daily_limit": "",
}


def test_with_the_working_hours_the_own_hours_are_shown_disabled_and_not_taken(client, owner):
    client.force_login(owner)
    page = client.get(reverse("booking:settings")).content.decode()
    monday = re.search(r'<input[^>]*name="hours_mon"[^>]*>', page).group(0)
    assert "disabled" in monday and 'value="09:00-18:00"' in monday
    # A hand-made POST with the box ticked and hours typed: the working hours apply, and
    # the page shows what applies (nothing "saved" that is not used).
    sent = {
        **SETTINGS_BASE,
        "use_working_hours": "on",
        "hours_mon": "10-11",
        "timezone": "Asia/Tokyo",
    }
    assert client.post(reverse("booking:settings"), sent).status_code == 302
    link = BookingLink.objects.get(owner=owner)
    assert link.hours is None and link.timezone == ""
    page = client.get(reverse("booking:settings")).content.decode()
    assert 'value="09:00-18:00"' in re.search(r'<input[^>]*name="hours_mon"[^>]*>', page).group(0)


def test_unticked_without_scripts_the_hours_shown_become_the_links_own(client, owner):
    """A browser without JavaScript sends nothing for the still-disabled day fields."""
    client.force_login(owner)
    assert client.post(reverse("booking:settings"), SETTINGS_BASE).status_code == 302
    link = BookingLink.objects.get(owner=owner)
    assert link.hours["mon"] == [["09:00", "18:00"]] and link.hours["sat"] == []
    page = client.get(reverse("booking:settings")).content.decode()
    monday = re.search(r'<input[^>]*name="hours_mon"[^>]*>', page).group(0)
    assert "disabled" not in monday


def test_preview_needs_no_token_and_books_nothing(client, owner, link_token):
    client.force_login(owner)
    response = client.get(reverse("booking:preview"))
    html = response.content.decode()
    assert response.status_code == 200 and "Preview" in html
    assert link_token not in html
    assert re.search(r'<button type="submit"\s+disabled>', html)


def test_owner_booking_page_shows_the_booker_and_declines(client, owner, colleague, link_token):
    outcome = book(link_token, visitor(berlin_at(10), name="<b>Mallory</b>", phone="+1 555 0100"))
    booking = outcome.booking
    client.force_login(colleague)
    assert client.get(reverse("booking:owner_booking", args=[booking.pk])).status_code == 404
    assert client.post(reverse("booking:decline", args=[booking.pk])).status_code == 404
    client.force_login(owner)
    listing = client.get(reverse("booking:owner_bookings")).content.decode()
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in listing and "<b>Mallory</b>" not in listing
    page = client.get(reverse("booking:owner_booking", args=[booking.pk])).content.decode()
    assert 'href="mailto:maria@example.org"' in page and "tel:+1 555 0100" in page
    assert "Decline this meeting" in page and "<b>Mallory</b>" not in page
    response = client.post(reverse("booking:decline", args=[booking.pk]))
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "declined"
    assert "Decline this meeting" not in client.get(response["Location"]).content.decode()


def test_event_page_of_a_booked_meeting_offers_decline_not_edit(client, owner, link_token):
    booking = book(link_token, visitor(berlin_at(10))).booking
    client.force_login(owner)
    html = client.get(reverse("events:detail", args=[booking.event_id])).content.decode()
    assert "Booked through your link" in html and "mailto:maria@example.org" in html
    assert reverse("booking:decline", args=[booking.pk]) in html
    assert reverse("events:edit", args=[booking.event_id]) not in html
    assert reverse("events:cancel", args=[booking.event_id]) not in html
    # An ordinary event still has its buttons.
    from events.services import event_create

    other = event_create(owner, title="Plain", start=berlin_at(15), end=berlin_at(16))
    html = client.get(reverse("events:detail", args=[other.pk])).content.decode()
    assert reverse("events:edit", args=[other.pk]) in html and "Booked through" not in html


def test_a_dead_link_gets_the_branded_page_even_under_debug(client, owner, link_token, settings):
    """``scripts/serve`` runs with DEBUG: a client must still not see Django's debug page."""
    settings.DEBUG = True
    configure_link(owner, new_link=True)  # the link the client has is dead now
    for path in (f"/b/{link_token}", "/b/manage/" + "B" * 43 + "/", "/i/" + "C" * 43 + "/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="it")
        body = response.content.decode()
        assert response.status_code == 404, path
        assert "Questo link non è più attivo" in body, path
        assert "Django" not in body and "urlpatterns" not in body, path
        assert '<a href="/' not in body  # nowhere internal for someone who is not a user


# --- confirm before anything that cannot be undone ------------------------------------


def last_text_to(address: str) -> str:
    """The plain-text part of the newest message queued for ``address``."""
    text = outbox_to(address)[-1].get_body(preferencelist=("plain",)).get_content()
    return text.replace("\r\n", "\n")


def test_a_new_link_is_made_only_after_saying_what_happens_to_the_old_one(
    client, owner, link_token
):
    client.force_login(owner)
    settings_page = client.get(reverse("booking:settings")).content.decode()
    confirm_url = reverse("booking:new_link_confirm")
    assert f'href="{confirm_url}"' in settings_page  # a link to a page, not a one-click POST
    confirm = client.get(confirm_url).content.decode()
    assert "Your current link stops working at once" in confirm
    assert client.get(f"/b/{link_token}").status_code == 200  # looking changes nothing
    assert 'name="new" value="1"' in confirm
    client.post(reverse("booking:switch_on"), {"new": "1"})
    assert client.get(f"/b/{link_token}").status_code == 404
    # With the link off there is nothing to replace: the page goes back to the settings.
    client.post(reverse("booking:switch_off"))
    assert client.get(confirm_url)["Location"] == reverse("booking:settings")


def test_decline_asks_first_and_can_carry_a_message_and_another_time(client, owner, link_token):
    booking = book(link_token, visitor(berlin_at(10))).booking
    client.force_login(owner)
    url = reverse("booking:decline", args=[booking.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Decline this meeting?" in html and 'name="message"' in html
    assert "The e-mail offers your booking link to choose another time." in html
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # looking changes nothing
    too_long = client.post(url, {"message": "x" * 2001})
    assert too_long.status_code == 400 and "under 2000 characters" in too_long.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    response = client.post(url, {"message": "Sorry, <b>ill</b> that day.\r\nNext week?"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "declined"
    mail = last_text_to(booking.email)
    assert "Sorry, <b>ill</b> that day.\nNext week?" in mail  # plain text, as typed
    assert f"To book another time: http://testserver/b/{link_token}" in mail


def test_a_decline_mail_offers_no_dead_link(client, owner, link_token):
    booking = book(link_token, visitor(berlin_at(10))).booking
    client.force_login(owner)
    client.post(reverse("booking:switch_off"))
    assert (
        "another time"
        not in client.get(reverse("booking:decline", args=[booking.pk])).content.decode()
    )
    client.post(reverse("booking:decline", args=[booking.pk]))
    assert "To book another time" not in last_text_to(booking.email)


def test_the_booker_confirms_a_cancellation_in_their_language(client, link_token):
    outcome = book(link_token, visitor(berlin_at(10)), language="it")
    booking = outcome.booking
    token = outcome.manage_token
    manage = client.get(f"/b/manage/{token}/").content.decode()
    assert f'href="/b/manage/{token}/cancel/"' in manage
    confirm = client.get(f"/b/manage/{token}/cancel/")
    assert confirm.status_code == 200 and confirm["Content-Language"] == "it"
    assert_token_headers(confirm)
    assert "Annullare questo incontro?" in confirm.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert client.post(f"/b/manage/{token}/cancel/").status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    # Once cancelled, the confirmation page is not offered again.
    assert client.get(f"/b/manage/{token}/cancel/")["Location"] == f"/b/manage/{token}/"
    assert client.get("/b/manage/" + "B" * 43 + "/cancel/").status_code == 404


def test_a_booked_meetings_edit_form_is_not_offered(client, owner, link_token):
    booking = book(link_token, visitor(berlin_at(10))).booking
    client.force_login(owner)
    response = client.get(reverse("events:edit", args=[booking.event_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("events:detail", args=[booking.event_id])
    page = client.get(response["Location"]).content.decode()
    assert "A booked meeting cannot be edited. If you cannot attend, decline it below." in page
    assert reverse("booking:decline", args=[booking.pk]) in page


def test_a_booked_meeting_offers_no_attachment_the_booker_could_not_download(
    client, owner, link_token
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from events.models import Attachment

    booking = book(link_token, visitor(berlin_at(10))).booking
    client.force_login(owner)
    page = client.get(reverse("events:detail", args=[booking.event_id])).content.decode()
    assert "Attach a file" not in page
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer", content_type="application/pdf")
    response = client.post(
        reverse("event_attachments:upload", args=[booking.event_id]), {"file": upload}
    )
    assert response.status_code == 302
    assert Attachment.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "A meeting booked through your link cannot have attachments." in page
