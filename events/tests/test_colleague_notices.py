"""Colleagues on an event are told: invited, changed, taken off, cancelled; the organizer
is told of their answers. In-app always; by e-mail unless they turned it off."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.test import Client
from django.urls import reverse

from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.colleague_notices import NOTICE_HEADER
from events.services import event_create, event_update
from mail.models import OutboxMessage
from notifications.models import Notification

from .guest_helpers import at

pytestmark = pytest.mark.django_db


def notices_to(address: str) -> list[email.message.EmailMessage]:
    mails = [
        email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
        for row in OutboxMessage.objects.order_by("pk")
        if row.recipients == [address]
    ]
    return [m for m in mails if m[NOTICE_HEADER]]


def texts_for(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("text", flat=True)
    )


@pytest.fixture
def carla(acme):
    from accounts.models import User

    return User.objects.create_user(
        "carla@acme.test", None, account=acme, full_name="Carla Nuova", language="it"
    )


@pytest.fixture
def event(owner, colleague):
    return event_create(
        owner, title="Budget", start=at(2, 10), end=at(2, 11), attendee_ids=[colleague.pk]
    )


def test_an_invited_colleague_is_told_in_the_app_and_by_mail(event, owner, colleague):
    assert texts_for(colleague) == ["Alice Owner invited you to “Budget”"]
    (mail,) = notices_to(colleague.email)
    assert mail["Subject"] == "Alice Owner invited you to “Budget”"
    assert mail[NOTICE_HEADER] == "invited"
    body = mail.get_body(("plain",)).get_content()
    assert reverse("events:detail", args=[event.pk]) in body and "Accept or decline" in body
    assert texts_for(owner) == [] and notices_to(owner.email) == []  # not told of own acts


def test_the_notice_is_in_the_colleagues_language(owner, carla):
    event_create(owner, title="Budget", start=at(2, 10), end=at(2, 11), attendee_ids=[carla.pk])
    (mail,) = notices_to(carla.email)
    assert mail["Subject"] == "Alice Owner ti ha invitato a «Budget»"
    assert "Puoi disattivare queste e-mail" in mail.get_body(("plain",)).get_content()


def test_a_colleague_who_turned_mail_off_is_told_in_the_app_only(owner, colleague):
    colleague.event_mail = False
    colleague.save()
    event_create(owner, title="Budget", start=at(2, 10), end=at(2, 11), attendee_ids=[colleague.pk])
    assert texts_for(colleague) == ["Alice Owner invited you to “Budget”"]
    assert notices_to(colleague.email) == []


def test_changes_additions_and_removals(event, owner, colleague, carla):
    OutboxMessage.objects.all().delete()
    Notification.objects.all().delete()

    event_update(event, owner, location="Room 4")
    assert texts_for(colleague) == ["Alice Owner changed “Budget”"]

    event_update(event, owner, notify_on_decision=True)  # nothing a colleague sees
    assert texts_for(colleague) == ["Alice Owner changed “Budget”"]

    event_update(event, owner, attendee_ids=[carla.pk])
    assert texts_for(carla) == ["Alice Owner ti ha invitato a «Budget»"]
    assert texts_for(colleague)[-1] == "Alice Owner took you off “Budget”"
    assert [m[NOTICE_HEADER] for m in notices_to(colleague.email)] == ["changed", "removed"]


def test_a_cancellation_reaches_them(event, owner, colleague):
    event_cancel(event, owner)
    assert texts_for(colleague)[-1] == "Alice Owner cancelled “Budget”"
    assert notices_to(colleague.email)[-1][NOTICE_HEADER] == "cancelled"


def test_one_cancelled_date_of_a_series_names_that_date(owner, colleague):
    series = event_create(
        owner,
        title="Weekly",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;COUNT=4",
        attendee_ids=[colleague.pk],
    )
    event_cancel(series, owner, scope="this", occurrence=at(8, 10))
    mail = notices_to(colleague.email)[-1]
    assert mail["Subject"] == "Alice Owner cancelled “Weekly”"
    assert "8 June 2026" in mail.get_body(("plain",)).get_content()


def test_the_organizer_sees_a_colleagues_answer(event, owner, colleague):
    attendee_respond(event, colleague, "declined")
    assert texts_for(owner) == ["Bob Colleague declined “Budget”."]
    attendee_respond(event, colleague, "declined")  # the same again: nothing new
    assert texts_for(owner) == ["Bob Colleague declined “Budget”."]


def test_the_setting_is_on_the_settings_page_and_in_the_api(colleague, colleague_token):
    client = Client()
    client.force_login(colleague)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert 'name="event_mail"' in page and "checked" in page

    api = Client()
    headers = {"Authorization": f"Bearer {colleague_token}"}
    response = api.patch(
        "/api/v1/me", {"event_mail": False}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200 and response.json()["event_mail"] is False
    colleague.refresh_from_db()
    assert colleague.event_mail is False
    refused = api.patch(
        "/api/v1/me", {"event_mail": "maybe"}, content_type="application/json", headers=headers
    )
    assert refused.status_code == 422 and "event_mail" in refused.content.decode()
