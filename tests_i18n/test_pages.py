"""Every page an employee, a guest or a booker reads, in each of the five languages.

A page passes when it carries the translated words we expect and none of a list of
English words (``ENGLISH_WORDS``); user data in these tests avoids those words.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from events import guests as guest_lib

from .conftest import OTHER_LANGUAGES, english_words, visible_text

#: A phrase of the navigation (or of the page itself) in each language.
CALENDAR = {"it": "Calendario", "pl": "Kalendarz", "es": "Calendario", "de": "Kalender"}
SETTINGS = {"it": "Impostazioni", "pl": "Ustawienia", "es": "Configuración", "de": "Einstellungen"}


def employee_pages(meeting, series, receiver, review) -> list[str]:
    return [
        f"/booking/types/{review.pk}/",
        f"/booking/types/{review.pk}/preview/",
        "/calendar/week/2031-06-02/",
        f"/calendar/events/{meeting.pk}/",
        f"/calendar/events/{meeting.pk}/edit/",
        f"/calendar/events/{meeting.pk}/cancel/",
        f"/calendar/events/{series.pk}/",
        f"/calendar/events/{series.pk}/edit/?occurrence=2031-06-09T07:00:00Z",
        "/calendar/events/new/",
        "/calendar/guests/",
        "/accounts/settings/",
        "/accounts/settings/sender-mailboxes/",
        "/accounts/settings/devices/",
        "/accounts/settings/busy-sources/",
        "/accounts/settings/webhooks/",
        f"/accounts/settings/webhooks/{receiver.pk}/",
        "/accounts/employees/",
        "/booking/",
        "/booking/bookings/",
        "/booking/preview/",
        "/planner/",
        "/notifications/",
    ]


def project_review(owner):
    """A second meeting type with two lengths and a question of each kind."""
    from booking.links import create_meeting_type

    questions = [
        {"label": "Azienda", "kind": "short", "required": True},
        {"label": "Argomento", "kind": "choice", "choices": ["Vendite", "Assistenza"]},
        {"label": "Note", "kind": "long"},
        {"label": "Privacy", "kind": "checkbox"},
    ]
    link, _token = create_meeting_type(
        owner, {"name": "Revisione", "more_durations": [30], "questions": questions,
                "location": "Milano"},
    )  # fmt: skip
    return link


def failing_webhook(owner):
    """A receiver with a waiting message and an error, so its page shows every state."""
    from sources import crypto
    from webhooks.models import Delivery, Endpoint

    endpoint = Endpoint.objects.create(
        account=owner.account, url="https://hooks.example.org/rdv", event_types=["event.changed"],
        secret_encrypted=crypto.encrypt("whsec_x"), failing_since=timezone.now(),
    )  # fmt: skip
    Delivery.objects.create(endpoint=endpoint, event_type="event.changed", subject="e", body="{}")
    return endpoint


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_employee_page_speaks_the_employees_language(
    client, owner, meeting, series, link_token, language
):
    owner.language = language
    owner.save()
    client.force_login(owner)
    receiver = failing_webhook(owner)
    review = project_review(owner)
    for path in employee_pages(meeting, series, receiver, review):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert f'<html lang="{language}">' in html, path
        if not path.endswith("/preview/"):  # the public page as visitors see it: no menu
            assert CALENDAR[language] in html and SETTINGS[language] in html, path
        assert not english_words(visible_text(html)), (path, english_words(visible_text(html)))


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_public_pages_follow_the_browser(client, owner, gina, link_token, language):
    visitor = Client(HTTP_ACCEPT_LANGUAGE=f"{language}-XX,{language};q=0.9,en;q=0.5")
    for path in [
        f"/b/{link_token}",
        "/accounts/signin/",
        "/accounts/password/reset/",
        "/no-such-page/",
    ]:
        response = visitor.get(path)
        html = response.content.decode()
        assert f'<html lang="{language}">' in html, path
        assert not english_words(visible_text(html)), (path, english_words(visible_text(html)))


def test_an_english_browser_gets_english(client, link_token):
    html = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").get(f"/b/{link_token}").content.decode()
    assert "Book a meeting with Alice Owner" in html


def test_a_missing_page_is_the_same_whatever_the_link(client, link_token):
    """The branded 404 names nothing: a revoked token and a typo read alike."""
    visitor = Client(HTTP_ACCEPT_LANGUAGE="de")
    typo = visitor.get("/b/" + "x" * 52)
    other = visitor.get("/i/" + "y" * 52 + "/")
    assert typo.status_code == other.status_code == 404
    assert typo.content == other.content
    assert "Dieser Link ist nicht mehr aktiv" in typo.content.decode()


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_guest_page_speaks_the_guests_language(client, owner, gina, language):
    gina.guest.language = language
    gina.guest.save()
    html = Client().get(f"/i/{guest_lib.link_token(gina)}/").content.decode()
    assert f'<html lang="{language}">' in html
    assert not english_words(visible_text(html)), english_words(visible_text(html))


def test_a_guest_reads_the_organizers_language_until_they_choose(client, owner, mailbox):
    from events.models import Attendee
    from events.services import event_create

    from .conftest import GUEST, at

    owner.language = "de"
    owner.save()
    event = event_create(
        owner,
        title="Jour fixe",
        start=at(4, 10),
        end=at(4, 11),
        timezone="Europe/Berlin",
        guests=[GUEST],
    )
    gina = Attendee.objects.select_related("guest").get(event=event, guest__email=GUEST["email"])
    assert gina.guest.language == "de"
    # The organizer changes their own language later: the guest keeps theirs.
    owner.language = "it"
    owner.save()
    page = f"/i/{guest_lib.link_token(gina)}/"
    assert "Ihre Antwort" in Client(HTTP_ACCEPT_LANGUAGE="pl").get(page).content.decode()


def test_the_guest_switcher_stores_the_choice(owner, gina):
    visitor = Client(enforce_csrf_checks=True)
    page = f"/i/{guest_lib.link_token(gina)}/"
    html = visitor.get(page).content.decode()
    import re

    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = visitor.post(page + "language/", {"language": "es", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302 and response["Location"] == page
    gina.guest.refresh_from_db()
    assert gina.guest.language == "es"
    html = visitor.get(page).content.decode()
    assert '<html lang="es">' in html and "Tu respuesta" in html


@pytest.mark.parametrize("value", ["xx", "", "EN", "de-DE", "<script>"])
def test_the_guest_switcher_refuses_other_languages_and_changes_nothing(owner, gina, value):
    gina.guest.language = "pl"
    gina.guest.save()
    page = f"/i/{guest_lib.link_token(gina)}/"
    response = Client().post(page + "language/", {"language": value})
    assert response.status_code == 302
    gina.guest.refresh_from_db()
    assert gina.guest.language == "pl"


def test_an_unknown_token_cannot_switch_anything(owner, gina):
    response = Client().post("/i/" + "z" * 52 + "/language/", {"language": "es"})
    assert response.status_code == 404
    gina.guest.refresh_from_db()
    assert gina.guest.language != "es"


def test_the_switcher_is_a_post_with_csrf(owner, gina):
    page = f"/i/{guest_lib.link_token(gina)}/"
    assert Client().get(page + "language/?language=es").status_code == 405
    refused = Client(enforce_csrf_checks=True).post(page + "language/", {"language": "es"})
    assert refused.status_code == 403
    gina.guest.refresh_from_db()
    assert gina.guest.language != "es"


def test_the_thanks_after_an_answer_is_in_the_guests_language_not_the_browsers(owner, gina):
    gina.guest.language = "pl"
    gina.guest.save()
    visitor = Client(HTTP_ACCEPT_LANGUAGE="es")
    page = f"/i/{guest_lib.link_token(gina)}/"
    response = visitor.post(page, {"status": "accepted"}, follow=True)
    html = response.content.decode()
    assert "Dziękujemy, Twoja odpowiedź została zapisana" in html
    assert response.redirect_chain and response.redirect_chain[0][0] == page
