"""Every kind of mail, in its reader's language: subject, text and HTML parts.

Guests read in the language stored on their contact, bookers in the one they booked in,
employees in their own setting; the mails are read back from the outbox as they will be
sent.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from booking.models import Booking
from events.answers import guest_respond
from events.cancelling import event_cancel
from events.models import Event
from events.services import event_update
from events.tests.guest_helpers import clear_outbox, html_body, mails_to, subject, text_body

from .conftest import GUEST, OTHER_LANGUAGES, english_words, visible_text


def words_of(message) -> str:
    """What the reader reads: subject, text and HTML parts, links left out."""
    parts = [subject(message), text_body(message)]
    if any(part.get_content_type() == "text/html" for part in message.walk()):
        parts.append(visible_text(html_body(message)))
    return re.sub(r"https?://\S+", " ", " ".join(parts))


def assert_reads_in(message, *phrases: str) -> None:
    text = words_of(message)
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    assert not english_words(text), english_words(text)


INVITES = {
    "it": "Alice Owner ti invita a questo evento.",
    "pl": "Alice Owner zaprasza Cię na to wydarzenie.",
    "es": "Alice Owner te invita a este evento.",
    "de": "Alice Owner lädt Sie zu diesem Termin ein.",
}
UPDATES = {
    "it": "Alice Owner ha modificato questo evento.",
    "pl": "Alice Owner zmienił(a) to wydarzenie.",
    "es": "Alice Owner ha cambiado este evento.",
    "de": "Alice Owner hat diesen Termin geändert.",
}
CANCELS = {
    "it": "Alice Owner ha annullato questo evento.",
    "pl": "Alice Owner odwołał(a) to wydarzenie.",
    "es": "Alice Owner ha cancelado este evento.",
    "de": "Alice Owner hat diesen Termin abgesagt.",
}


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_a_guest_gets_invitation_update_and_cancellation_in_the_organizers_language(
    owner, mailbox, language
):
    from events.services import event_create

    from .conftest import at

    owner.language = language
    owner.save()
    event = event_create(
        owner,
        title="Kick-off",
        start=at(3, 10),
        end=at(3, 11),
        timezone="Europe/Berlin",
        guests=[GUEST],
    )
    (invitation,) = mails_to(GUEST["email"])
    assert_reads_in(invitation, INVITES[language])
    clear_outbox()
    event_update(event, owner, start=at(3, 14), end=at(3, 15))
    (update,) = mails_to(GUEST["email"])
    assert_reads_in(update, UPDATES[language])
    clear_outbox()
    event_cancel(Event.objects.get(pk=event.pk), owner)
    (cancellation,) = mails_to(GUEST["email"])
    assert_reads_in(cancellation, CANCELS[language])


def test_a_guest_who_switched_to_spanish_gets_the_next_update_in_spanish(owner, gina, meeting):
    """The organizer reads German; the guest chose Spanish on their page."""
    from events import guests as guest_lib

    owner.language = "de"
    owner.save()
    Client().post(f"/i/{guest_lib.link_token(gina)}/language/", {"language": "es"})
    clear_outbox()
    event_update(Event.objects.get(pk=meeting.pk), owner, location="Sala 5")
    (update,) = mails_to(GUEST["email"])
    assert_reads_in(update, UPDATES["es"], "Lugar", "Sala 5")
    # The date in the mail is written the Spanish way.
    assert "martes, 3 de junio de 2031" in text_body(update)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_organizer_is_told_of_a_decision_in_their_own_language(owner, gina, meeting, language):
    gina.guest.language = "en"  # the guest's language must not leak into the organizer's mail
    gina.guest.save()
    owner.language = language
    owner.save()
    Event.objects.filter(pk=meeting.pk).update(notify_on_decision=True)
    gina.event.notify_on_decision = True
    clear_outbox()
    guest_respond(gina, "accepted")
    (decision,) = mails_to(owner.email)
    assert_reads_in(decision, "Gina Rossi")


ITALIAN_BOOKER = "it-IT,it;q=0.9,en;q=0.5"


def book_as_italian(link_token: str, start: dt.datetime):
    visitor = Client(HTTP_ACCEPT_LANGUAGE=ITALIAN_BOOKER)
    page = visitor.get(f"/b/{link_token}")
    assert '<html lang="it">' in page.content.decode()
    return visitor, visitor.post(
        f"/b/{link_token}",
        {
            "start": start.astimezone(dt.UTC).isoformat(),
            "name": "Paola Bianchi",
            "email": "paola@cliente.example",
            "tz": "Europe/Rome",
            "request_id": "it-1",
        },
    )


def a_slot() -> dt.datetime:
    from django.utils import timezone

    from .conftest import BERLIN

    day = timezone.now().astimezone(BERLIN).date() + dt.timedelta(days=3)
    return dt.datetime(day.year, day.month, day.day, 10, tzinfo=BERLIN)


def test_an_italian_booker_reads_italian_while_the_owner_reads_german(owner, link_token):
    owner.language = "de"
    owner.save()
    clear_outbox()
    visitor, response = book_as_italian(link_token, a_slot())
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.language == "it"
    # The owner's calendar says the title in the owner's language.
    assert booking.event.title == "Besprechung mit Paola Bianchi"
    (confirmation,) = mails_to("paola@cliente.example")
    assert_reads_in(confirmation, "Riunione con Alice Owner", "Confermato")
    (notice,) = mails_to(owner.email)
    assert "Neue Buchung" in subject(notice)
    manage = visitor.get(response["Location"]).content.decode()
    assert '<html lang="it">' in manage and "Annulla questa riunione" in manage
    assert not english_words(visible_text(manage)), english_words(visible_text(manage))
    # Cancelling from the manage page: the booker's mail is Italian again.
    clear_outbox()
    token = response["Location"].split("/")[3]
    visitor.post(f"/b/manage/{token}/cancel/")
    (cancelled,) = mails_to("paola@cliente.example")
    assert_reads_in(cancelled, "Annullato")


def test_a_polish_booker_gets_polish_mails_through_the_api(owner, link_token):
    clear_outbox()
    response = Client().post(
        f"/api/v1/public/booking/{link_token}/bookings",
        {
            "start": a_slot().isoformat(),
            "name": "Jan Kowalski",
            "email": "jan@klient.example",
            "timezone": "Europe/Warsaw",
            "language": "pl",
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 201, response.content
    assert Booking.objects.get().language == "pl"
    (confirmation,) = mails_to("jan@klient.example")
    assert_reads_in(confirmation, "Spotkanie z Alice Owner", "Potwierdzone")


def test_the_api_takes_the_bookers_language_from_the_header_and_refuses_unknown_ones(
    owner, link_token
):
    def book(email, **extra):
        return Client().post(
            f"/api/v1/public/booking/{link_token}/bookings",
            {"start": a_slot().isoformat(), "name": "N N", "email": email, **extra},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9",
        )

    refused = book("x@client.example", language="fr")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "language"
    assert not Booking.objects.exists()
    assert book("y@client.example").status_code == 201
    assert Booking.objects.get().language == "es"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_employee_mails_come_in_their_language(owner, language):
    from accounts.services import add_employee
    from mail.senders import add_sender_mailbox

    owner.language = language
    owner.save()
    clear_outbox()
    add_sender_mailbox(owner, name="Alice", email="alice@mail.acme.test")
    (code,) = mails_to("alice@mail.acme.test")
    assert not english_words(words_of_plain(code)), words_of_plain(code)
    add_employee(owner, email="carla@acme.test", full_name="Carla Nuova", language=language)
    (welcome,) = mails_to("carla@acme.test")
    assert not english_words(words_of_plain(welcome)), words_of_plain(welcome)
    clear_outbox()
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/password/reset/", {"email": "carla@acme.test"}
    )
    (reset,) = mails_to("carla@acme.test")
    assert not english_words(words_of_plain(reset)), words_of_plain(reset)


def words_of_plain(message) -> str:
    return re.sub(r"https?://\S+", " ", f"{subject(message)} {text_body(message)}")
