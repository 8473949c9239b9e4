"""Settings page: profile, working hours as text, and API tokens."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import create_api_token, user_for_api_token

pytestmark = pytest.mark.django_db

VALID = {
    "full_name": "Alice Owner",
    "timezone": "Europe/Berlin",
    "language": "en",
    "mon": "09:00-12:00, 13:00-18:00",
    "tue": "9-17",
    "wed": "08:30-16:30",
    "thu": "09:00-18:00",
    "fri": "09:00-13:00",
    "sat": "",
    "sun": "",
}


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def test_settings_page_shows_current_values_as_text(owner_client):
    response = owner_client.get(reverse("accounts:settings"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_mon">Monday' in body
    assert 'value="09:00-18:00"' in body
    assert '<option value="Europe/Berlin" selected>' in body
    assert 'aria-current="page"' in body


def test_saving_settings_parses_working_hours_per_day(owner_client, owner):
    response = owner_client.post(
        reverse("accounts:settings"),
        {**VALID, "full_name": "  Alice   Q. Owner ", "timezone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.full_name == "Alice Q. Owner"
    assert owner.timezone == "Asia/Tokyo"
    assert owner.working_hours["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert owner.working_hours["tue"] == [["09:00", "17:00"]]
    assert owner.working_hours["sat"] == []
    page = owner_client.get(reverse("accounts:settings")).content.decode()
    assert "Your settings were saved." in page
    assert 'value="09:00-12:00, 13:00-18:00"' in page


@pytest.mark.parametrize(
    ("day", "text", "reason"),
    [
        ("tue", "nine to five", "is not a range"),
        ("wed", "18:00-09:00", "the end is not after the start"),
        ("thu", "09:00-12:00, 11:00-14:00", "overlap"),
        ("fri", "09:00-25:00", "outside 0:00-24:00"),
        ("sat", "09:61-10:00", "outside 0:00-24:00"),
    ],
)
def test_bad_working_hours_name_the_day_and_change_nothing(owner_client, owner, day, text, reason):
    before = (owner.full_name, owner.timezone, owner.working_hours)
    response = owner_client.post(
        reverse("accounts:settings"), {**VALID, "full_name": "Changed", day: text}
    )
    assert response.status_code == 400
    body = response.content.decode()
    day_name = {"tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday"}.get(
        day, "Saturday"
    )
    assert f'id="id_{day}_error"' in body
    error = body.split(f'id="id_{day}_error">', 1)[1].split("</ul>", 1)[0]
    assert day_name in error and reason in error
    owner.refresh_from_db()
    assert (owner.full_name, owner.timezone, owner.working_hours) == before


def test_unknown_time_zone_is_a_field_error(owner_client, owner):
    response = owner_client.post(reverse("accounts:settings"), {**VALID, "timezone": "Mars/Base"})
    assert response.status_code == 400
    assert 'id="id_timezone_error"' in response.content.decode()
    owner.refresh_from_db()
    assert owner.timezone == "Europe/Berlin"


def test_language_change_switches_the_page_language(owner_client, owner):
    owner_client.post(reverse("accounts:settings"), {**VALID, "language": "de"})
    owner.refresh_from_db()
    assert owner.language == "de"
    page = owner_client.get(reverse("accounts:settings")).content.decode()
    assert '<html lang="de">' in page


def test_settings_post_needs_csrf(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(reverse("accounts:settings"), {**VALID, "full_name": "Mallory"})
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.full_name == "Alice Owner"


# ---------------------------------------------------------------- API tokens


def test_token_is_shown_once_and_only_its_digest_is_stored(owner_client, owner):
    response = owner_client.post(reverse("accounts:token_create"), {"name": "laptop script"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    token = ApiToken.objects.get(user=owner, name="laptop script")
    raw = body.split('id="raw-token" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert raw.startswith(token.prefix)
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values_list().get()]
    assert all(raw not in value for value in stored)
    assert user_for_api_token(raw) == owner
    # Never again: the settings page lists it by name and prefix only.
    page = owner_client.get(reverse("accounts:settings")).content.decode()
    assert "laptop script" in page and token.prefix in page
    assert raw not in page


def test_token_needs_a_name(owner_client, owner):
    response = owner_client.post(reverse("accounts:token_create"), {"name": "   "})
    assert response.status_code == 400
    assert 'id="id_name_error"' in response.content.decode()
    assert not ApiToken.objects.filter(user=owner).exists()


def test_token_create_is_post_only(owner_client, owner):
    assert owner_client.get(reverse("accounts:token_create")).status_code == 405
    assert not ApiToken.objects.filter(user=owner).exists()


def test_revoked_token_no_longer_authenticates(owner_client, owner):
    token, raw = create_api_token(owner, "old")
    assert user_for_api_token(raw) == owner
    response = owner_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert user_for_api_token(raw) is None
    page = owner_client.get(reverse("accounts:settings")).content.decode()
    assert "The token was revoked." in page
    assert token.prefix not in page


def test_nobody_revokes_someone_elses_token(client, owner, colleague, stranger):
    token, raw = create_api_token(owner, "mine")
    for intruder in (colleague, stranger):
        client.force_login(intruder)
        assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    assert user_for_api_token(raw) == owner


def test_token_names_are_escaped(owner_client, owner):
    create_api_token(owner, "<img src=x onerror=alert(1)>")
    page = owner_client.get(reverse("accounts:settings")).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_token_section_links_the_api_docs_and_pages_have_an_icon(owner_client):
    html = owner_client.get(reverse("accounts:settings")).content.decode()
    assert '<a href="/api/v1/docs">API documentation</a>' in html
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert owner_client.get("/api/v1/docs").status_code == 200
