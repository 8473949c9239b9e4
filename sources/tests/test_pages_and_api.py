"""The busy sources' page and API: what the owner sees, what nobody else can touch, and
what never comes back out (addresses, passwords)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from sources import services
from sources.models import BusySource

pytestmark = pytest.mark.django_db


def test_the_page_shows_state_in_plain_words_and_never_the_secret_address(client, owner):
    client.force_login(owner)
    page = client.get(reverse("sources:settings")).content.decode()
    assert "You have added no other calendar yet." in page
    secret = "https://calendar.google.com/calendar/ical/maria%40gmail.com/private-5e1f/basic.ics"
    answer = client.post(reverse("sources:add_ical"), {"ical-name": "Private", "ical-url": secret})
    assert answer.status_code == 302
    source = BusySource.objects.get(user=owner)
    BusySource.objects.filter(pk=source.pk).update(
        last_error="The server answered 401: check the user name and password, or the address.",
        last_error_at=source.created_at, consecutive_failures=2,
        created_at=source.created_at - dt.timedelta(hours=3),
    )  # fmt: skip
    page = client.get(reverse("sources:settings")).content.decode()
    assert "https://calendar.google.com" in page and "private-5e1f" not in page
    assert "Never read yet: your booking link offers no times while it stays so." in page
    assert "check the user name and password" in page
    booking_page = client.get(reverse("booking:settings")).content.decode()
    assert "Your calendar “Private” could not be read for a while." in booking_page

    bad = client.post(reverse("sources:add_ical"), {"ical-name": "X", "ical-url": "ftp://x/y.ics"})
    assert bad.status_code == 400 and "Only http, https and webcal" in bad.content.decode()
    caldav = {"caldav-name": "Work", "caldav-caldav_url": "https://dav.example/cal/",
              "caldav-username": "maria", "caldav-password": "s3cret"}  # fmt: skip
    assert client.post(reverse("sources:add_caldav"), caldav).status_code == 302
    page = client.get(reverse("sources:settings")).content.decode()
    assert "https://dav.example" in page and "s3cret" not in page
    assert BusySource.objects.filter(user=owner).count() == 2


def test_someone_elses_source_is_the_same_404(client, owner, colleague):
    source = services.add_ical_source(owner, name="Private", url="https://example.org/a.ics")
    client.force_login(colleague)
    for name in ("sources:refresh", "sources:remove"):
        assert client.post(reverse(name, args=[source.pk])).status_code == 404
    assert BusySource.objects.filter(pk=source.pk).exists()


def test_the_api_adds_lists_reads_and_removes_sources(client, owner, owner_token, colleague_token):
    def call(method, path, token, body=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(client, method)("/api/v1/busy-sources" + path, **kwargs)

    made = call("post", "", owner_token, {"name": "Work", "caldav_url": "https://dav.example/cal/",
                                          "username": "maria", "password": "s3cret"})  # fmt: skip
    assert made.status_code == 201
    out = made.json()
    assert out["server"] == "https://dav.example" and "s3cret" not in made.content.decode()
    assert out["kind"] == "caldav" and out["stale"] is False
    ical = call("post", "", owner_token, {"name": "Private", "url": "webcal://example.org/x.ics"})
    assert ical.status_code == 201 and ical.json()["server"] == "https://example.org"
    assert [s["name"] for s in call("get", "", owner_token).json()] == ["Work", "Private"]
    assert call("get", "", colleague_token).json() == []
    assert call("get", f"/{out['id']}", colleague_token).status_code == 404
    refused = call("post", "", owner_token, {"name": "", "url": "file:///etc/passwd"})
    assert refused.status_code in (400, 422)
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"name", "url"} <= fields
    both = call("post", "", owner_token, {"name": "Both", "url": "https://example.org/x.ics",
                                          "caldav_url": "https://dav.example/cal/"})  # fmt: skip
    assert both.status_code == 422
    assert [e["field"] for e in both.json()["errors"]] == ["caldav_url"]
    assert "not both" in both.json()["errors"][0]["message"]
    assert [s["name"] for s in call("get", "", owner_token).json()] == ["Work", "Private"]
    assert call("post", f"/{out['id']}/refresh", owner_token).status_code == 202
    assert call("delete", f"/{out['id']}", colleague_token).status_code == 404
    assert call("delete", f"/{out['id']}", owner_token).status_code == 204
    assert call("get", f"/{out['id']}", owner_token).status_code == 404
