"""The notifications list and the unread badge in the header."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db


def test_list_shows_only_my_notifications_and_the_badge_counts_unread(client, owner, stranger):
    notify(owner, "Bob accepted “Design sync”", "/calendar/events/1/")
    notify(owner, "Second one")
    notify(stranger, "Globex internal")
    client.force_login(owner)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "Bob accepted “Design sync”" in html and "Second one" in html
    assert "Globex internal" not in html
    assert '<span class="badge" aria-label="2 unread">2</span>' in html
    assert '<a href="/calendar/events/1/">' in html


def test_seen_notifications_are_read_from_the_next_page_on(client, owner, stranger):
    notify(owner, "Bob accepted")
    notify(stranger, "theirs")
    client.force_login(owner)
    first = client.get(reverse("notifications:list")).content.decode()
    assert '<li class="unread">' in first  # shown as new the time it is seen
    assert Notification.objects.get(user=owner).read_at is not None
    assert Notification.objects.get(user=stranger).read_at is None
    again = client.get(reverse("notifications:list")).content.decode()
    assert '<li class="unread">' not in again and 'class="badge"' not in again


def test_only_the_page_shown_is_marked_read(client, owner):
    for n in range(55):
        notify(owner, f"note {n}")
    client.force_login(owner)
    client.get(reverse("notifications:list"))
    assert Notification.objects.filter(user=owner, read_at__isnull=True).count() == 5


def test_mark_all_read_clears_the_badge(client, owner, stranger):
    notify(owner, "one")
    notify(stranger, "theirs")
    client.force_login(owner)
    assert client.post(reverse("notifications:mark_read")).status_code == 302
    html = client.get(reverse("events:week")).content.decode()
    assert 'class="badge"' not in html
    assert Notification.objects.get(user=stranger).read_at is None


def test_mark_all_read_is_post_with_csrf(owner):
    notify(owner, "one")
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(reverse("notifications:mark_read")).status_code == 405
    assert client.post(reverse("notifications:mark_read")).status_code == 403
    assert Notification.objects.get().read_at is None


def test_text_is_escaped_and_only_local_links_are_followed(client, owner):
    notify(owner, "<script>alert(1)</script>", "javascript:alert(2)")
    notify(owner, "offsite", "https://evil.example/")
    notify(owner, "sneaky", "//evil.example/")
    client.force_login(owner)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert "evil.example" not in html


def test_anonymous_is_redirected(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
