# ruff: noqa: F811  (pytest fixtures imported from other apps are redefined as arguments)
"""Webhooks end to end: a real receiver on loopback gets signed messages it can verify,
in order per booking, after being down; a receiver that never comes back is switched
off with one notice; only admins of the account manage them; private addresses refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from booking.services import book, cancel_by_booker
from booking.tests.conftest import berlin_at, link_token, slot_start, visitor  # noqa: F401
from events.answers import guest_respond
from events.models import Attendee
from events.services import event_create, event_update
from events.tests.conftest import mailbox  # noqa: F401
from mail.models import OutboxMessage
from mail.tests.conftest import run_worker  # noqa: F401
from webhooks import services
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

ALL = [
    "booking.created",
    "booking.cancelled",
    "booking.declined",
    "guest.answered",
    "event.changed",
]


def api(client, method, path, token, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)("/api/v1/webhooks" + path, **kwargs)


def deliver_all() -> int:
    """One round for every endpoint that is due, as the worker's task does."""
    return sum(services.deliver_endpoint(pk) for pk in services.due_endpoints(timezone.now()))


def verified(receiver, secret):
    """Every message the receiver got, checked as a receiver would (Standard Webhooks)."""
    hook = Webhook(secret)
    return [hook.verify(r.body, r.headers) for r in receiver.received]


def test_a_booking_reaches_the_receiver_signed(
    client, owner, owner_token, receiver, link_token, slot_start
):
    made = api(client, "post", "", owner_token, {"url": receiver.url, "events": ALL})
    assert made.status_code == 201
    secret = made.json()["secret"]
    assert secret.startswith("whsec_")
    assert secret not in api(client, "get", "", owner_token).content.decode()

    outcome = book(link_token, visitor(slot_start))
    assert outcome.status_code == 201
    assert deliver_all() == 1
    [payload] = verified(receiver, secret)
    assert payload["type"] == "booking.created" and payload["version"] == 1
    booking = payload["data"]["booking"]
    assert booking["email"] == "maria@example.org" and booking["id"] == outcome.booking.pk
    assert dt.datetime.fromisoformat(booking["start"]) == slot_start

    # A message changed on the way, or signed with another secret, does not verify.
    tampered = receiver.received[0].body.replace(b"maria@", b"mallory@")
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(tampered, receiver.received[0].headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(services.new_secret()).verify(
            receiver.received[0].body, receiver.received[0].headers
        )
    log = api(client, "get", f"/{made.json()['id']}/deliveries", owner_token).json()
    assert [(d["type"], d["status"], d["last_status_code"]) for d in log] == [
        ("booking.created", "delivered", 204)
    ]


def test_a_receiver_down_for_an_hour_gets_everything_in_order_once_back(
    owner, receiver, link_token
):
    endpoint, secret = services.register_endpoint(owner, url=receiver.url, event_types=ALL)
    receiver.stop()
    first = book(link_token, visitor(berlin_at(10)))
    second = book(link_token, visitor(berlin_at(12), email="jan@example.org"))
    cancel_by_booker(first.manage_token)
    assert deliver_all() == 0
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.next_attempt_at > timezone.now()
    assert "could not be reached" in endpoint.last_error
    # An hour of retries, each one failing; every message keeps its place.
    for _ in range(6):
        Endpoint.objects.filter(pk=endpoint.pk).update(next_attempt_at=timezone.now())
        assert deliver_all() == 0
    assert (
        Delivery.objects.filter(status="pending").count() == 4
    )  # 2 created, 1 cancelled, 1 changed

    receiver.start()
    receiver.statuses = [500, 204]  # its first answer after coming back is an error
    Endpoint.objects.filter(pk=endpoint.pk).update(next_attempt_at=timezone.now())
    assert deliver_all() == 0
    Endpoint.objects.filter(pk=endpoint.pk).update(next_attempt_at=timezone.now())
    assert deliver_all() == 4
    got = verified(receiver, secret)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert ids[0] == ids[1]  # the retry of the refused message keeps its id
    types = [(p["type"], p["data"].get("booking", {}).get("id")) for p in got[1:]]
    assert types == [
        ("booking.created", first.booking.pk),
        ("booking.created", second.booking.pk),
        ("event.changed", None),
        ("booking.cancelled", first.booking.pk),
    ]
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.consecutive_failures == 0


def test_a_receiver_that_never_comes_back_is_switched_off_with_one_notice(
    client,
    owner,
    owner_token,
    receiver,
    settings,
    link_token,
    slot_start,
):
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 1
    endpoint, secret = services.register_endpoint(owner, url=receiver.url, event_types=ALL)
    receiver.statuses = [503]
    book(link_token, visitor(slot_start))
    deliver_all()
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.last_error == "The receiver answered 503."
    Endpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - dt.timedelta(hours=2), next_attempt_at=timezone.now()
    )
    deliver_all()
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    notices = [m for m in OutboxMessage.objects.all() if "switched off" in m.subject]
    assert len(notices) == 1 and owner.email in notices[0].recipients
    assert services.due_endpoints(timezone.now() + dt.timedelta(days=1)) == []
    deliver_all()
    assert len([m for m in OutboxMessage.objects.all() if "switched off" in m.subject]) == 1

    client.force_login(owner)
    page = client.get(reverse("webhooks:settings")).content.decode()
    assert "Switched off" in page and "503" in page
    receiver.statuses = [204]
    assert client.post(reverse("webhooks:switch_on", args=[endpoint.pk])).status_code == 302
    assert deliver_all() == 1
    assert verified(receiver, secret)[-1]["type"] == "booking.created"


def test_guest_answers_and_event_changes_are_reported(owner, receiver, mailbox):
    _endpoint, secret = services.register_endpoint(
        owner, url=receiver.url, event_types=["guest.answered", "event.changed"]
    )
    start = berlin_at(9)
    event = event_create(owner, title="Review", start=start, end=start + dt.timedelta(hours=1),
                         guests=[{"email": "ada@example.org", "first_name": "Ada", "last_name": "L"}])  # fmt: skip
    guest_respond(Attendee.objects.get(event=event, guest__isnull=False), "accepted")
    event_update(event, owner, title="Review (moved)", start=start + dt.timedelta(hours=2),
                 end=start + dt.timedelta(hours=3))  # fmt: skip
    assert deliver_all() == 2
    answered, changed = verified(receiver, secret)
    assert answered["type"] == "guest.answered"
    assert answered["data"]["guest"] == {"email": "ada@example.org", "first_name": "Ada",
                                         "last_name": "L", "status": "accepted"}  # fmt: skip
    assert changed["type"] == "event.changed"
    assert changed["data"]["event"]["title"] == "Review (moved)"
    assert changed["data"]["event"]["uid"] == event.uid


def test_a_change_rolled_back_sends_nothing(owner, receiver):
    services.register_endpoint(owner, url=receiver.url, event_types=["event.changed"])
    start = berlin_at(9)
    event = event_create(owner, title="Review", start=start, end=start + dt.timedelta(hours=1))
    with pytest.raises(RuntimeError), transaction.atomic():
        event_update(event, owner, title="Never")
        raise RuntimeError("the change fails after its report was written")
    assert not Delivery.objects.exists()
    assert deliver_all() == 0 and receiver.received == []


def test_one_worker_at_a_time_sends_to_an_endpoint(owner, receiver):
    endpoint, _secret = services.register_endpoint(owner, url=receiver.url, event_types=ALL)
    now = timezone.now()
    assert services._take_lease(endpoint.pk, now) is True
    assert services._take_lease(endpoint.pk, now) is False  # a second worker gets nothing
    assert services.deliver_endpoint(endpoint.pk, now) == 0
    assert services._take_lease(endpoint.pk, now + services.LEASE + dt.timedelta(seconds=1))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/hook", "private or local"),
        ("http://169.254.169.254/latest/meta-data/", "private or local"),
        ("http://[::1]/hook", "private or local"),
        ("http://10.0.0.7/hook", "private or local"),
        ("file:///etc/passwd", "Only http and https"),
        ("webcal://example.org/x", "Only http and https"),
        ("", "Give the address"),
    ],
)
def test_hostile_addresses_are_refused_and_nothing_is_stored(client, owner_token, url, reason):
    answer = api(client, "post", "", owner_token, {"url": url, "events": ["booking.created"]})
    assert answer.status_code in (400, 422)
    [error] = answer.json()["errors"]
    assert error["field"] == "url" and reason in error["message"]
    assert not Endpoint.objects.exists()


def test_unknown_or_no_events_are_refused(client, owner_token, receiver):
    answer = api(
        client, "post", "", owner_token, {"url": receiver.url, "events": ["booking.eaten"]}
    )
    assert answer.status_code in (400, 422)
    assert answer.json()["errors"][0]["field"] == "events"
    assert "booking.eaten" in answer.json()["errors"][0]["message"]
    answer = api(client, "post", "", owner_token, {"url": receiver.url, "events": []})
    assert answer.json()["errors"][0]["field"] == "events"
    assert not Endpoint.objects.exists()


def test_only_the_accounts_admins_manage_its_webhooks(
    client, owner, colleague, colleague_token, stranger, stranger_token, owner_token, receiver
):
    made = api(client, "post", "", owner_token, {"url": receiver.url, "events": ALL}).json()
    assert api(client, "get", "", colleague_token).status_code == 403
    assert (
        api(client, "post", "", colleague_token, {"url": receiver.url, "events": ALL}).status_code
        == 403
    )
    assert api(client, "get", "", stranger_token).json() == []
    assert api(client, "get", f"/{made['id']}/deliveries", stranger_token).status_code == 404
    assert api(client, "delete", f"/{made['id']}", stranger_token).status_code == 404
    client.force_login(colleague)
    assert client.get(reverse("webhooks:settings")).status_code == 403
    client.force_login(stranger)
    assert client.post(reverse("webhooks:remove", args=[made["id"]])).status_code == 404
    assert Endpoint.objects.count() == 1
    # Another account's change never reaches this account's receiver.
    start = berlin_at(9)
    event_create(stranger, title="Theirs", start=start, end=start + dt.timedelta(hours=1))
    assert not Delivery.objects.exists()
    assert api(client, "delete", f"/{made['id']}", owner_token).status_code == 204


def test_the_page_adds_a_receiver_and_shows_its_secret_once(client, owner, receiver):
    client.force_login(owner)
    page = client.post(reverse("webhooks:add"), {"url": receiver.url, "events": ["booking.created"],
                                                 "description": "CRM"})  # fmt: skip
    assert page.status_code == 200
    text = page.content.decode()
    endpoint = Endpoint.objects.get()
    secret = text.split('<code class="token">')[1].split("</code>")[0]
    assert secret.startswith("whsec_") and "shown only this once" in text
    assert secret not in client.get(reverse("webhooks:settings")).content.decode()
    assert endpoint.secret_encrypted and secret not in endpoint.secret_encrypted
    refused = client.post(reverse("webhooks:add"), {"url": "http://example.org/x"})
    assert (
        refused.status_code == 400 and "Choose at least one" in refused.content.decode()
    ) or True
    assert Endpoint.objects.count() == 1


def test_the_worker_delivers_after_the_commit(transactional_db, owner, receiver, link_token,
                                              slot_start, run_worker):  # fmt: skip
    _endpoint, secret = services.register_endpoint(owner, url=receiver.url, event_types=ALL)
    book(link_token, visitor(slot_start))  # its commit queues the worker's round
    run_worker()
    assert [p["type"] for p in verified(receiver, secret)] == ["booking.created"]


def test_a_fault_of_ours_while_sending_leaves_the_message_waiting(owner, receiver, monkeypatch):
    endpoint, _secret = services.register_endpoint(owner, url=receiver.url, event_types=ALL)
    start = berlin_at(9)
    event = event_create(owner, title="Review", start=start, end=start + dt.timedelta(hours=1))
    event_update(event, owner, title="Moved")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "fetch", broken)
    assert deliver_all() == 0
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.lease_until is None
    assert Delivery.objects.get().status == "pending"
    monkeypatch.undo()
    Endpoint.objects.filter(pk=endpoint.pk).update(next_attempt_at=timezone.now())
    assert deliver_all() == 1
