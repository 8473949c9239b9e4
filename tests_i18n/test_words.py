"""Plural forms, dates, zones and who gets which language."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import ngettext

from accounts.dates import format_date, format_datetime
from accounts.zones import zone_choices, zone_label


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (1, "1 wolny termin"),
        (2, "2 wolne terminy"),
        (5, "5 wolnych terminów"),
        (22, "22 wolne terminy"),
        (25, "25 wolnych terminów"),
        (112, "112 wolnych terminów"),
    ],
)
def test_polish_has_three_plural_forms(count, words):
    with translation.override("pl"):
        text = ngettext("%(n)s free time", "%(n)s free times", count) % {"n": count}
    assert text == words


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "1 minuta"), (2, "2 minuty"), (5, "5 minut"), (22, "22 minuty")],
)
def test_a_polish_booking_page_counts_minutes_in_polish(owner, link_token, count, words):
    from booking.models import BookingLink

    BookingLink.objects.filter(owner=owner).update(duration_minutes=count)
    html = Client(HTTP_ACCEPT_LANGUAGE="pl").get(f"/b/{link_token}").content.decode()
    assert words in html


@pytest.mark.parametrize(
    ("language", "day", "long", "with_time"),
    [
        ("de", "10. Dezember 2026", "Donnerstag, 10. Dezember 2026", "10. Dez 2026, 09:30"),
        ("it", "10 dicembre 2026", "giovedì 10 dicembre 2026", "10 dic 2026, 09:30"),
        ("pl", "10 grudnia 2026", "czwartek, 10 grudnia 2026", "10 gru 2026, 09:30"),
        ("es", "10 de diciembre de 2026", "jueves, 10 de diciembre de 2026", "10 dic 2026, 09:30"),
        ("en", "10 December 2026", "Thursday, 10 December 2026", "10 Dec 2026, 09:30"),
    ],
)
def test_dates_the_way_each_language_writes_them(language, day, long, with_time):
    moment = dt.datetime(2026, 12, 10, 9, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    with translation.override(language):
        assert format_date(moment, "date") == day
        assert format_date(moment) == long
        assert format_datetime(moment, "short_date") == with_time


def test_a_german_page_writes_the_german_date(client, owner, mailbox):
    from events.services import event_create

    owner.language = "de"
    owner.save()
    event = event_create(
        owner,
        title="Jour fixe",
        start=dt.datetime(2026, 12, 10, 10, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
        end=dt.datetime(2026, 12, 10, 11, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
        timezone="Europe/Berlin",
    )
    client.force_login(owner)
    html = client.get(f"/calendar/events/{event.pk}/").content.decode()
    assert "Donnerstag, 10. Dezember 2026" in html


def test_time_zones_are_offered_by_offset_and_city_in_the_readers_language(settings):
    with translation.override("pl"):
        choices = dict(zone_choices())
        assert choices["Europe/Warsaw"].endswith(") Warszawa")
        assert choices["America/New_York"].endswith(") Nowy Jork")
    with translation.override("de"):
        assert zone_label("Europe/Berlin") in ("(UTC+01:00) Berlin", "(UTC+02:00) Berlin")
        assert zone_label("Asia/Kolkata") == "(UTC+05:30) Kalkutta"
        assert zone_label("America/New_York").startswith("(UTC−0")
    names = [name for name, _label in zone_choices()]
    # No legacy aliases, no "localtime" or "Factory"; each zone once.
    assert "US/Eastern" not in names and "Factory" not in names and "localtime" not in names
    assert len(names) == len(set(names))
    assert "UTC" in names and "Europe/Kyiv" in names


def test_the_readers_own_zone_leads_and_a_stored_legacy_zone_stays_choosable():
    names = [name for name, _label in zone_choices("Asia/Tokyo", "US/Eastern")]
    assert names[:2] == ["Asia/Tokyo", "US/Eastern"]
    assert names.count("Asia/Tokyo") == 1


def test_the_settings_form_keeps_a_legacy_zone_and_saves_a_listed_one(client, owner):
    from accounts.forms import PreferencesForm

    owner.timezone = "US/Eastern"
    owner.save()
    form = PreferencesForm(user=owner)
    assert form.fields["timezone"].choices[0][0] == "US/Eastern"
    data = {"full_name": "Alice Owner", "timezone": "US/Eastern", "language": "it"}
    assert PreferencesForm(data, user=owner).is_valid()
    data["timezone"] = "Mars/Olympus_Mons"
    bad = PreferencesForm(data, user=owner)
    assert not bad.is_valid() and "timezone" in bad.errors


def test_the_first_sign_in_adopts_the_browsers_language(owner):
    from conftest import PASSWORD

    assert owner.language == "en" and owner.last_login is None
    browser = Client(HTTP_ACCEPT_LANGUAGE="pl-PL,pl;q=0.9,en;q=0.8")
    browser.post("/accounts/signin/", {"username": owner.email, "password": PASSWORD})
    owner.refresh_from_db()
    assert owner.language == "pl"
    assert '<html lang="pl">' in browser.get("/calendar/").content.decode()


def test_later_sign_ins_keep_the_chosen_language(owner):
    from conftest import PASSWORD

    Client().post("/accounts/signin/", {"username": owner.email, "password": PASSWORD})
    owner.refresh_from_db()
    owner.language = "it"
    owner.save()
    Client(HTTP_ACCEPT_LANGUAGE="de").post(
        "/accounts/signin/", {"username": owner.email, "password": PASSWORD}
    )
    owner.refresh_from_db()
    assert owner.language == "it"


def test_a_failed_sign_in_changes_no_language(owner):
    Client(HTTP_ACCEPT_LANGUAGE="es").post(
        "/accounts/signin/", {"username": owner.email, "password": "wrong"}
    )
    owner.refresh_from_db()
    assert owner.language == "en" and owner.last_login is None


def test_the_api_answers_in_english_whatever_the_employees_language(client, owner, owner_token):
    owner.language = "de"
    owner.save()
    response = client.post(
        "/api/v1/events",
        {"title": "", "start": "2031-06-03T10:00:00+02:00", "end": "2031-06-03T09:00:00+02:00"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code in (400, 422)
    body = response.json()
    messages = " ".join(e["message"] for e in body["errors"])
    assert "Dieses Feld" not in messages and "Das Ende" not in messages
    assert any(w in messages for w in ("required", "after", "must", "Enter", "Give"))


def test_the_booking_language_switcher_keeps_the_day_and_the_picked_time(client, link_token):
    from django.utils import timezone

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    day = timezone.now().astimezone(berlin).date() + dt.timedelta(days=3)
    start = dt.datetime(day.year, day.month, day.day, 10, tzinfo=berlin).astimezone(dt.UTC)
    query = "?" + urlencode(
        {
            "tz": "Europe/Berlin",
            "month": f"{day:%Y-%m}",
            "day": day,
            "lang": "es",
            "start": start.isoformat(),
        }
    )
    html = client.get(f"/b/{link_token}{query}").content.decode()
    assert '<html lang="es">' in html and "Reservar esta hora" in html
    # The picked time is still picked, and the language rides along in the forms.
    assert f'value="{start.isoformat()}" required checked' in html
    assert '<input type="hidden" name="lang" value="es">' in html
    assert "lang=es" in html  # the month and day links keep it too


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "xx", "fr", "", "de\r\nX: 1"])
def test_a_booking_page_ignores_a_language_we_do_not_speak(client, link_token, value):
    html = (
        Client(HTTP_ACCEPT_LANGUAGE="de")
        .get(f"/b/{link_token}?" + urlencode({"lang": value}))
        .content.decode()
    )
    assert '<html lang="de">' in html  # the browser's language, as if nothing was asked
    assert "<script>alert" not in html
    assert 'name="lang" value=' not in html


def test_a_very_long_accept_language_header_falls_back_to_english(client, link_token):
    header = ",".join(["de;q=0.1"] * 200)
    response = Client(HTTP_ACCEPT_LANGUAGE=header).get(f"/b/{link_token}")
    assert response.status_code == 200
