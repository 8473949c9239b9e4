"""The subscription feed: what it holds, for whom, and how clients fetch it again."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from dav import services
from dav.models import CalendarFeed
from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.services import event_create, event_update
from mail.ical import parse_calendar

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def soon(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.now().astimezone(BERLIN).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def feed_path(user) -> str:
    token = CalendarFeed.objects.get(user=user).current_token()
    return reverse("dav:feed", args=[token])


def vevents(body: bytes) -> list:
    return [c for c in parse_calendar(body).walk() if c.name == "VEVENT"]


def test_the_feed_holds_my_events_with_series_changed_dates_and_answers(
    client, owner, colleague, stranger
):
    services.turn_on(owner)
    review = event_create(
        owner, title="Review", start=soon(3), end=soon(3, 11), attendee_ids=[colleague.pk],
        location="Room 4",
    )  # fmt: skip
    attendee_respond(review, colleague, "accepted")
    weekly = event_create(
        owner, title="Stand-up", start=soon(1, 9), end=soon(1, 10), timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY",
    )  # fmt: skip
    event_update(weekly, owner, scope="this", occurrence=soon(8, 9), title="Stand-up (moved)")
    event_cancel(weekly, owner, scope="this", occurrence=soon(15, 9))
    invited = event_create(colleague, title="Colleague's", start=soon(4), end=soon(4, 11),
                           attendee_ids=[owner.pk])  # fmt: skip
    event_create(colleague, title="Not mine", start=soon(5), end=soon(5, 11))
    event_create(stranger, title="Globex", start=soon(5), end=soon(5, 11))
    event_create(owner, title="Long ago", start=soon(-200), end=soon(-200, 11))

    response = client.get(feed_path(owner))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = vevents(response.content)
    titles = sorted(str(e["SUMMARY"]) for e in events)
    assert titles == ["Colleague's", "Review", "Stand-up", "Stand-up (moved)"]
    master = next(e for e in events if "RRULE" in e)
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY"
    # The cancelled date is an EXDATE of the master; the moved one a RECURRENCE-ID.
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert exdates == [soon(15, 9)]
    (changed,) = [e for e in events if "RECURRENCE-ID" in e]
    assert changed["UID"] == master["UID"] and changed.decoded("RECURRENCE-ID") == soon(8, 9)
    review_vevent = next(e for e in events if str(e["SUMMARY"]) == "Review")
    assert str(review_vevent["LOCATION"]) == "Room 4"
    attendee = review_vevent["ATTENDEE"]
    assert (
        str(attendee) == f"mailto:{colleague.email}" and attendee.params["PARTSTAT"] == "ACCEPTED"
    )
    assert invited.uid in {str(e["UID"]) for e in events}
    assert b"BEGIN:VTIMEZONE" in response.content and b"TZID:Europe/Berlin" in response.content


def test_busy_only_shows_times_and_nothing_else(client, owner, colleague):
    services.turn_on(owner, busy_only=True)
    event_create(
        owner, title="Salary talk", start=soon(2), end=soon(2, 11), location="HR office",
        description="Confidential", attendee_ids=[colleague.pk],
    )  # fmt: skip
    event_create(owner, title="Lunch walk", start=soon(2, 13), end=soon(2, 14), transparency="free")
    body = client.get(feed_path(owner)).content
    text = body.decode()
    assert "Salary" not in text and "HR office" not in text and "Confidential" not in text
    assert "ATTENDEE" not in text and colleague.email not in text
    assert "Lunch" not in text  # free time is not busy time
    (busy,) = vevents(body)
    assert str(busy["SUMMARY"]) == "Busy"
    assert busy.decoded("DTSTART") == soon(2)


def test_an_unchanged_feed_is_a_304_and_a_change_a_new_etag(client, owner):
    services.turn_on(owner)
    event = event_create(owner, title="Review", start=soon(3), end=soon(3, 11))
    path = feed_path(owner)
    first = client.get(path)
    etag = first["ETag"]
    assert first["Last-Modified"]
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    event_update(event, owner, title="Review moved")
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert b"Review moved" in changed.content


def test_dead_feed_addresses_are_the_404_of_any_missing_page(client, owner):
    missing = client.get("/no-such-page/")
    services.turn_on(owner)
    old = feed_path(owner)
    services.turn_on(owner, new_address=True)
    new = feed_path(owner)
    assert old != new
    for path in (old, "/feed/" + "a" * 52 + ".ics", "/feed/x.ics"):
        response = client.get(path)
        assert response.status_code == 404 and response.content == missing.content, path
    assert client.get(new).status_code == 200
    services.turn_off(owner)
    assert client.get(new).status_code == 404
    token = new.removeprefix("/feed/").removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_digest__contains=token).exists()


def test_an_empty_calendar_is_a_valid_file(client, owner):
    services.turn_on(owner)
    body = client.get(feed_path(owner)).content
    assert vevents(body) == [] and "METHOD" not in parse_calendar(body)


def test_the_settings_page_turns_it_on_shows_it_again_and_turns_it_off(client, owner, colleague):
    client.force_login(owner)
    page = client.get(reverse("dav:settings")).content.decode()
    assert "Your calendar feed is off." in page
    response = client.post(reverse("dav:change"), {"action": "on"})
    assert response.status_code == 302
    page = client.get(reverse("dav:settings"))
    html = page.content.decode()
    webcal = re.search(r'id="feed-webcal" class="token" value="(webcal://[^"]+)"', html).group(1)
    assert webcal.endswith(".ics") and "<svg" in html and "no-store" in page["Cache-Control"]
    assert webcal.split("://", 1)[1] == feed_path(owner).join(["testserver", ""]).lstrip("/")
    # Busy only, same address.
    client.post(reverse("dav:change"), {"action": "on", "busy_only": "on"})
    assert CalendarFeed.objects.get(user=owner).busy_only
    assert webcal in client.get(reverse("dav:settings")).content.decode()
    client.post(reverse("dav:change"), {"action": "off"})
    assert client.get("/feed/" + webcal.rsplit("/", 1)[1]).status_code == 404
    # A colleague's feed is their own.
    client.force_login(colleague)
    assert "Your calendar feed is off." in client.get(reverse("dav:settings")).content.decode()


def test_the_api_turns_the_feed_on_and_off(client, owner, owner_token, colleague_token):
    def call(method, token, body=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            kwargs.update(data=__import__("json").dumps(body), content_type="application/json")
        return getattr(client, method)("/api/v1/feed", **kwargs)

    assert call("get", owner_token).json() == {
        "on": False, "url": None, "webcal_url": None, "busy_only": False,
    }  # fmt: skip
    on = call("put", owner_token, {"busy_only": True}).json()
    assert on["on"] and on["busy_only"] and on["webcal_url"].startswith("webcal://")
    assert client.get(on["url"].removeprefix("http://testserver")).status_code == 200
    again = call("put", owner_token, {}).json()
    assert again["url"] == on["url"] and not again["busy_only"]  # same address
    renewed = call("put", owner_token, {"new_address": True}).json()
    assert renewed["url"] != on["url"]
    assert call("put", owner_token, {"busy": True}).status_code == 422  # a typo is refused
    assert call("get", colleague_token).json()["on"] is False  # each person's own
    assert call("delete", owner_token).status_code == 204
    assert client.get(renewed["url"].removeprefix("http://testserver")).status_code == 404
    assert call("get", owner_token).json()["on"] is False


def test_the_feed_is_named_for_calendar_apps_and_scraping_is_slowed(client, owner, monkeypatch):
    from dav import views

    services.turn_on(owner)
    body = client.get(feed_path(owner)).content
    assert parse_calendar(body)["X-WR-CALNAME"] == f"{owner.full_name} · Rendezvous"
    monkeypatch.setattr(views, "FETCHES_PER_HOUR", 3)
    answers = [client.get(feed_path(owner)).status_code for _ in range(4)]
    assert answers[:2] == [200, 200] and answers[-1] == 429
