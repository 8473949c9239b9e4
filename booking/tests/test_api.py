"""The booking API: the employee's link and bookings, and the public endpoints."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest

from booking.models import Booking
from events.models import Event

from .conftest import api_body, berlin_at, berlin_day, outbox_to

pytestmark = pytest.mark.django_db
KTM = zoneinfo.ZoneInfo("Asia/Kathmandu")


def call(client, method, path, token=None, body=None, **headers):
    kwargs = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    if token:
        kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method)("/api/v1" + path, **kwargs)


def switch_on(client, owner_token, **settings):
    body = {"hours": {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "min_notice_minutes": 0, **settings}  # fmt: skip
    response = call(client, "put", "/booking-link", owner_token, body)
    assert response.status_code == 200, response.content
    data = response.json()
    return data["url"].rsplit("/b/", 1)[1], data


def test_link_defaults_switch_on_settings_and_off(client, owner, owner_token):
    assert call(client, "get", "/booking-link").status_code == 401
    data = call(client, "get", "/booking-link", owner_token).json()
    assert data["enabled"] is False and data["url"] is None
    assert (data["duration_minutes"], data["min_notice_minutes"], data["horizon_days"]) == (
        60,
        120,
        60,
    )
    assert data["uses_working_hours"] and data["hours"] == owner.working_hours
    assert data["timezone"] == "Europe/Berlin" and data["timezone_is_mine"]

    response = call(client, "put", "/booking-link", owner_token, {"duration_minutes": 30})
    data = response.json()
    assert data["enabled"] and data["url"].startswith("http://testserver/b/")
    token = data["url"].rsplit("/b/", 1)[1]
    assert len(token) >= 43  # 256 random bits
    assert client.get(f"/b/{token}").status_code == 200
    # Changing settings keeps the link, and it can be read again.
    again = call(client, "put", "/booking-link", owner_token, {"buffer_after_minutes": 10}).json()
    assert again["url"] == data["url"] and again["enabled"] and again["duration_minutes"] == 30
    assert call(client, "get", "/booking-link", owner_token).json()["url"] == data["url"]
    assert client.get(f"/b/{token}").status_code == 200
    # new_link: a new link, the old one dead.
    fresh = call(client, "put", "/booking-link", owner_token, {"new_link": True}).json()["url"]
    assert fresh and client.get(f"/b/{token}").status_code == 404
    off = call(client, "delete", "/booking-link", owner_token).json()
    assert off["enabled"] is False and off["url"] is None and off["duration_minutes"] == 30
    assert client.get(fresh.removeprefix("http://testserver")).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"duration_minutes": 50}, 400, "duration_minutes"),
        ({"hours": {"mon": [["9", "17:00"]]}}, 400, "hours"),
        ({"timezone": "Nowhere/Land"}, 400, "timezone"),
        ({"horizon_days": 0}, 400, "horizon_days"),
        ({"owner": 1}, 422, "owner"),
        ({"duration_minutes": "long"}, 422, "duration_minutes"),
    ],
)
def test_bad_link_settings(client, owner_token, body, status, field):
    response = call(client, "put", "/booking-link", owner_token, body)
    assert response.status_code == status
    assert field in [e["field"] for e in response.json()["errors"]]
    assert call(client, "get", "/booking-link", owner_token).json()["enabled"] is False


def test_public_info_and_slots_in_the_visitors_zone(client, owner_token):
    token, _ = switch_on(client, owner_token)
    info = client.get(f"/api/v1/public/booking/{token}")
    assert info.status_code == 200
    assert info.json() == {
        "owner_name": "Alice Owner",
        "name": "",
        "duration_minutes": 60,
        "durations": [60],
        "questions": [],
        "location": "",
        "timezone": "Europe/Berlin",
        "horizon_days": 60,
        "min_notice_minutes": 0,
    }
    assert info["Referrer-Policy"] == "no-referrer" and "noindex" in info["X-Robots-Tag"]
    day = berlin_day(3)
    response = client.get(
        f"/api/v1/public/booking/{token}/slots",
        {
            "start": day.isoformat(),
            "end": (day + dt.timedelta(days=1)).isoformat(),
            "tz": "Asia/Kathmandu",
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["timezone"] == "Asia/Kathmandu" and data["duration_minutes"] == 60
    starts = [dt.datetime.fromisoformat(s["start"]) for s in data["slots"]]
    assert all(s.utcoffset() == dt.timedelta(hours=5, minutes=45) for s in starts)
    # The day is a Kathmandu day; every slot is an 08:00-20:00 Berlin hour.
    assert all(s.date() == day for s in starts)
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert all(8 <= s.astimezone(berlin).hour < 20 and s.minute == 45 for s in starts)
    assert response["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tz": "Mars/Base"}, "tz"),
        ({"start": "2026-03-01T10:00:00"}, "start"),
        ({"start": "2026-01-01", "end": "2026-04-01"}, "end"),
        ({"start": "2026-01-02", "end": "2026-01-01"}, "end"),
        ({"start": "yesterday"}, "start"),
    ],
)
def test_bad_slot_queries_are_422(client, owner_token, params, field):
    token, _ = switch_on(client, owner_token)
    response = client.get(f"/api/v1/public/booking/{token}/slots", params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] and body["errors"]
    if field:
        assert body["errors"][0]["field"].startswith(field)


def test_book_retry_conflict_and_decline(client, owner, owner_token):
    token, _ = switch_on(client, owner_token)
    start = berlin_at(10)
    path = f"/public/booking/{token}/bookings"
    first = call(client, "post", path, body=api_body(start), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["status"] == "confirmed" and data["title"] == "Meeting with Alice Owner"
    assert dt.datetime.fromisoformat(data["start"]) == start
    assert data["start"].endswith("+01:00") or data["start"].endswith("+02:00")  # Rome
    assert data["add_to_calendar"]["google"].startswith("https://calendar.google.com/")
    assert first["Referrer-Policy"] == "no-referrer"
    # Retry: the same answer, nothing new.
    retry = call(client, "post", path, body=api_body(start), **{"Idempotency-Key": "k-1"})
    assert retry.status_code == 201 and retry.json() == data
    assert retry["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    # Same key, other body: 422 naming the header.
    other = call(
        client, "post", path, body=api_body(start, name="X Y"), **{"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    # Another visitor, same time: 409.
    taken = call(client, "post", path, body=api_body(start, email="b@example.org"))
    assert taken.status_code == 409
    assert taken.json()["detail"] == "This time was just taken. Please choose another."
    assert taken.json()["code"] == "slot_taken"

    # The owner sees it, cannot edit it, declines it.
    (listed,) = call(client, "get", "/bookings", owner_token).json()
    assert listed["name"] == "Maria Rossi" and listed["phone"] == "+39 06 1234567"
    event_path = f"/events/{listed['event_id']}"
    patch = call(client, "patch", event_path, owner_token, {"title": "Renamed"})
    assert patch.status_code == 409 and patch.json()["code"] == "booked_meeting"
    assert call(client, "delete", event_path, owner_token).status_code == 409
    declined = call(client, "post", f"/bookings/{listed['id']}/decline", owner_token)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert Event.objects.get(pk=listed["event_id"]).status == "cancelled"
    # The time is free again.
    again = call(client, "post", path, body=api_body(start, email="c@example.org"))
    assert again.status_code == 201


def test_decline_with_a_message_for_the_booker(client, owner, owner_token):
    token, _ = switch_on(client, owner_token)
    path = f"/public/booking/{token}/bookings"
    assert call(client, "post", path, body=api_body(berlin_at(11))).status_code == 201
    (listed,) = call(client, "get", "/bookings", owner_token).json()
    decline = f"/bookings/{listed['id']}/decline"
    bad = call(client, "post", decline, owner_token, {"message": "x" * 2001})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "message"
    typo = call(client, "post", decline, owner_token, {"mesage": "hi"})
    assert typo.status_code == 422  # an unknown field is refused, not ignored
    assert typo.json()["errors"][0]["field"] == "mesage"
    wrong = call(client, "post", decline, owner_token, {"message": 3})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "message"
    assert call(client, "get", "/bookings", owner_token).json()[0]["status"] == "confirmed"
    done = call(client, "post", decline, owner_token, {"message": "Ill, sorry. Next week?"})
    assert done.status_code == 200 and done.json()["status"] == "declined"
    mail = outbox_to("maria@example.org")[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Ill, sorry. Next week?" in mail and f"/b/{token}" in mail


def test_extra_fields_in_a_booking_change_nothing(client, owner, colleague, owner_token):
    token, _ = switch_on(client, owner_token)
    body = api_body(berlin_at(11))
    body.update(
        {
            "owner": colleague.pk,
            "owner_id": colleague.pk,
            "status": "cancelled",
            "title": "Pwned",
            "video_url": "https://evil.example/",
            "event_id": 1,
            "link": 99,
            "manage_digest": "0" * 64,
            "end": berlin_at(18).isoformat(),
        }
    )
    response = call(client, "post", f"/public/booking/{token}/bookings", body=body)
    assert response.status_code == 201
    booking = Booking.objects.select_related("event").get()
    assert booking.owner == owner and booking.status == "confirmed"
    assert booking.event.organizer == owner and booking.event.title == "Meeting with Maria Rossi"
    assert booking.end - booking.start == dt.timedelta(hours=1)
    assert "evil" not in booking.event.video_url and booking.manage_digest != "0" * 64


def test_owner_api_is_tenant_scoped(client, owner_token, colleague_token, stranger_token):
    token, _ = switch_on(client, owner_token)
    call(client, "post", f"/public/booking/{token}/bookings", body=api_body(berlin_at(12)))
    booking = Booking.objects.get()
    assert call(client, "get", "/bookings", colleague_token).json() == []
    assert call(client, "get", "/bookings", stranger_token).json() == []
    for other in (colleague_token, stranger_token):
        response = call(client, "post", f"/bookings/{booking.pk}/decline", other)
        assert response.status_code == 404
    missing = call(client, "post", "/bookings/999999/decline", stranger_token)
    assert missing.json() == response.json()
    assert Booking.objects.get().status == "confirmed"


def test_dead_links_are_404_everywhere(client, owner_token):
    token, _ = switch_on(client, owner_token)
    call(client, "delete", "/booking-link", owner_token)
    new_token, _ = switch_on(client, owner_token)
    unknown = "A" * 43
    bodies = set()
    for t in (token, unknown, "short", "x" * 500):
        for method, path in (
            ("get", f"/public/booking/{t}"),
            ("get", f"/public/booking/{t}/slots"),
            ("post", f"/public/booking/{t}/bookings"),
        ):
            body = api_body(berlin_at(10)) if method == "post" else None
            response = call(client, method, path, body=body)
            assert response.status_code == 404, (t, path)
            bodies.add(response.content)
    assert bodies == {b'{"detail": "Not found.", "errors": []}'}
    assert Booking.objects.count() == 0
    assert call(client, "get", f"/public/booking/{new_token}").status_code == 200


def test_public_rate_limits_per_address_and_scope(client, owner_token, settings):
    token, _ = switch_on(client, owner_token)
    # Hour-long windows: a window boundary cannot fall inside this test.
    settings.BOOKING_SLOTS_RATE = (3, 3600)
    settings.BOOKING_BOOKINGS_RATE = (1, 86400)
    path = f"/api/v1/public/booking/{token}/slots"
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(path)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 3600
    assert limited.json()["detail"]
    # A forged X-Forwarded-For does not buy a new budget (no trusted proxy configured).
    assert client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # Another address has its own budget; bookings have theirs.
    assert client.get(path, REMOTE_ADDR="198.51.100.7").status_code == 200
    book = f"/public/booking/{token}/bookings"
    assert call(client, "post", book, body=api_body(berlin_at(10))).status_code == 201
    second = call(client, "post", book, body=api_body(berlin_at(12)))
    assert second.status_code == 429 and 1 <= int(second["Retry-After"]) <= 86400
    assert Booking.objects.count() == 1


def test_trusted_proxy_address(client, owner_token, settings):
    token, _ = switch_on(client, owner_token)
    settings.BOOKING_SLOTS_RATE = (1, 3600)
    settings.TRUSTED_PROXY_COUNT = 1
    path = f"/api/v1/public/booking/{token}/slots"
    assert client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    # The proxy appends the address it saw; what the client wrote further left is ignored.
    assert client.get(path, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.1").status_code == 429
    assert client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200
