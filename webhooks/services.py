"""The verbs of webhooks: register and remove an endpoint, report a change (``emit``,
inside the change's own transaction), and send what is due (the worker's side).

Delivery is at least once, in order per subject: the receiver tells repeats apart by the
``webhook-id`` header, which a message keeps across retries. A receiver that fails is
retried as a whole with growing pauses (at most ``MAX_PAUSE``), so one that was down for
an hour gets everything, oldest first, within minutes of coming back; one that keeps
failing for ``WEBHOOK_DISABLE_AFTER_HOURS`` is switched off and the account's admins are
told once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from base64 import b64encode
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from accounts.emails import render_and_queue
from accounts.models import User
from sources import crypto
from sources.safe_http import FetchError, check_destination, fetch, normalize

from .models import EVENT_TYPES, PAYLOAD_VERSION, Delivery, Endpoint

logger = logging.getLogger(__name__)

MAX_PER_ACCOUNT = 20
#: Pauses after the 1st, 2nd, ... failure in a row; the last repeats.
PAUSES = [dt.timedelta(seconds=s) for s in (10, 30, 60, 120, 300, 600)]
MAX_PAUSE = PAUSES[-1]
#: An endpoint is held by one worker for at most this long per round.
LEASE = dt.timedelta(minutes=2)
#: Messages sent per endpoint and round (the next round follows at once).
BATCH = 100


def _require_admin(user: User) -> None:
    """Webhooks belong to the account and carry its bookers' details: admins only."""
    if not user.is_account_admin:
        raise PermissionDenied(_("Only an account admin can manage webhooks."))


def endpoints_of(user: User) -> list[Endpoint]:
    _require_admin(user)
    return list(Endpoint.objects.filter(account_id=user.account_id))


def get_endpoint(user: User, endpoint_id: int) -> Endpoint:
    """Another account's endpoint is the same 404 as a missing one."""
    _require_admin(user)
    endpoint = Endpoint.objects.filter(account_id=user.account_id, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


def _clean(url: Any, event_types: Any, description: Any) -> tuple[str, list[str], str]:
    errors: dict[str, str] = {}
    clean_url = ""
    if not isinstance(url, str) or not url.strip():
        errors["url"] = _("Give the address that receives the webhooks.")
    elif len(url) > 2000:
        errors["url"] = _("At most 2000 characters.")
    else:
        try:
            if urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
                raise FetchError(_("Only http and https addresses can receive webhooks."))
            clean_url = normalize(url)
            check_destination(clean_url)
        except FetchError as exc:
            errors["url"] = str(exc)
    types: list[str] = []
    if not isinstance(event_types, list | tuple) or not event_types:
        errors["events"] = _("Choose at least one kind of event.")
    else:
        unknown = [t for t in event_types if t not in EVENT_TYPES]
        if unknown:
            errors["events"] = _("Unknown kind of event: %(names)s.") % {
                "names": ", ".join(str(t) for t in unknown)
            }
        types = [t for t in EVENT_TYPES if t in event_types]
    if description is None:
        description = ""
    if not isinstance(description, str) or len(description) > 200:
        errors["description"] = _("At most 200 characters.")
    if errors:
        raise ValidationError(errors)
    return clean_url, types, description.strip()


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + b64encode(secrets.token_bytes(32)).decode()


@transaction.atomic
def register_endpoint(
    admin: User, *, url: Any, event_types: Any, description: Any = ""
) -> tuple[Endpoint, str]:
    """The endpoint and its signing secret, which is shown this once and never again."""
    _require_admin(admin)
    url, types, description = _clean(url, event_types, description)
    if Endpoint.objects.filter(account_id=admin.account_id).count() >= MAX_PER_ACCOUNT:
        raise ValidationError(
            {"url": _("The account has %(n)d webhooks; remove one first.") % {"n": MAX_PER_ACCOUNT}}
        )
    secret = new_secret()
    endpoint = Endpoint.objects.create(
        account_id=admin.account_id,
        created_by=admin,
        url=url,
        description=description,
        event_types=types,
        secret_encrypted=crypto.encrypt(secret),
    )
    return endpoint, secret


@transaction.atomic
def delete_endpoint(admin: User, endpoint_id: int) -> None:
    get_endpoint(admin, endpoint_id).delete()


@transaction.atomic
def switch_on(admin: User, endpoint_id: int) -> Endpoint:
    """Back on after it was switched off: what waited is sent, oldest first."""
    endpoint = get_endpoint(admin, endpoint_id)
    endpoint.active = True
    endpoint.disabled_at = None
    endpoint.failing_since = None
    endpoint.consecutive_failures = 0
    endpoint.next_attempt_at = timezone.now()
    endpoint.save()
    _ask_worker()
    return endpoint


def deliveries_of(admin: User, endpoint_id: int, limit: int = 100) -> list[Delivery]:
    """The delivery log, newest first."""
    endpoint = get_endpoint(admin, endpoint_id)
    return list(endpoint.deliveries.order_by("-pk")[:limit])


# --- reporting a change ------------------------------------------------------------------


def emit(account_id: int, event_type: str, subject: str, data: dict[str, Any]) -> int:
    """Write one message per endpoint of the account that wants ``event_type``, in the
    caller's transaction (the change and its report commit together or not at all);
    the worker is asked to send once it commits. Returns how many were written."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoints = [
        e
        for e in Endpoint.objects.filter(account_id=account_id).only("pk", "event_types")
        if event_type in e.event_types
    ]
    if not endpoints:
        return 0
    body = json.dumps(
        {
            "type": event_type,
            "version": PAYLOAD_VERSION,
            "timestamp": timezone.now().isoformat(),
            "data": data,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    Delivery.objects.bulk_create(
        [
            Delivery(endpoint=e, event_type=event_type, subject=subject[:80], body=body)
            for e in endpoints
        ]
    )
    _ask_worker()
    return len(endpoints)


def _ask_worker() -> None:
    from .tasks import ask_worker_to_deliver

    ask_worker_to_deliver()


# --- sending -----------------------------------------------------------------------------


def due_endpoints(now: dt.datetime) -> list[int]:
    """Endpoints with something waiting, whose pause is over and that no worker holds."""
    return list(
        Endpoint.objects.filter(active=True, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(deliveries__status=Delivery.Status.PENDING)
        .values_list("pk", flat=True)
        .distinct()
    )


def _take_lease(endpoint_id: int, now: dt.datetime) -> bool:
    """One worker per endpoint: the conditional update succeeds for one of them."""
    return bool(
        Endpoint.objects.filter(pk=endpoint_id, active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )


def signed_headers(secret: str, message_id: str, body: str, now: dt.datetime) -> dict[str, str]:
    """The three headers of the Standard Webhooks scheme, signed when sent (receivers
    refuse a timestamp more than five minutes off, so a retry is signed anew)."""
    signature = Webhook(secret).sign(message_id, now, body.encode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


def _send(endpoint: Endpoint, secret: str, delivery: Delivery) -> str:
    """Empty when the receiver took it (2xx); otherwise why not, in plain words."""
    now = timezone.now()
    headers = signed_headers(secret, delivery.message_id, delivery.body, now)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    try:
        answer = fetch(endpoint.url, method="POST", headers=headers, body=delivery.body.encode())
    except FetchError as exc:
        delivery.last_status_code = None
        delivery.last_error = str(exc)[:500]
        return delivery.last_error
    delivery.last_status_code = answer.status
    if 200 <= answer.status < 300:
        delivery.last_error = ""
        return ""
    delivery.last_error = (_("The receiver answered %(status)d.") % {"status": answer.status})[:500]
    return delivery.last_error


def deliver_endpoint(endpoint_id: int, now: dt.datetime | None = None) -> int:
    """Send what waits for one endpoint, oldest first, until one fails; returns how
    many were delivered. A failure ends the round: what follows waits its turn, so a
    booking's messages arrive in the order they happened."""
    now = now or timezone.now()
    if not _take_lease(endpoint_id, now):
        return 0
    endpoint = Endpoint.objects.get(pk=endpoint_id)
    delivered = 0
    failure = ""
    try:
        secret = crypto.decrypt(endpoint.secret_encrypted)
        waiting = list(
            endpoint.deliveries.filter(status=Delivery.Status.PENDING).order_by("pk")[:BATCH]
        )
        for delivery in waiting:
            try:
                failure = _send(endpoint, secret, delivery)
            except Exception:  # a fault of ours: the message waits, the round ends
                logger.exception("webhook %s: sending %s failed", endpoint.pk, delivery.pk)
                failure = _("Rendezvous could not send it this time; it tries again.")
                delivery.last_error = failure
            if failure:
                delivery.save(
                    update_fields=["attempts", "last_attempt_at", "last_status_code", "last_error"]
                )
                break
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.save(
                update_fields=[
                    "status", "attempts", "last_attempt_at", "last_status_code", "last_error",
                    "delivered_at",
                ]
            )  # fmt: skip
            delivered += 1
    finally:
        _after_round(endpoint, failure, timezone.now())
    return delivered


def _after_round(endpoint: Endpoint, failure: str, now: dt.datetime) -> None:
    if not failure:
        Endpoint.objects.filter(pk=endpoint.pk).update(
            lease_until=None, consecutive_failures=0, failing_since=None, last_error="",
            next_attempt_at=now,
        )  # fmt: skip
        return
    failures = endpoint.consecutive_failures + 1
    since = endpoint.failing_since or now
    pause = PAUSES[min(failures, len(PAUSES)) - 1]
    give_up = now - since >= dt.timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            lease_until=None,
            consecutive_failures=failures,
            failing_since=since,
            last_error=failure[:500],
            next_attempt_at=now + pause,
            **({"active": False, "disabled_at": now} if give_up else {}),
        )
        if give_up:
            endpoint.refresh_from_db()
            _mail_switched_off(endpoint)


def _mail_switched_off(endpoint: Endpoint) -> None:
    """Once, when it is switched off: to every admin of the account."""
    admins = User.objects.filter(
        account_id=endpoint.account_id, is_account_admin=True, is_active=True
    )
    for admin in admins:
        render_and_queue(
            user=admin,
            to_email=admin.email,
            subject_template="webhooks/email/switched_off_subject.txt",
            text_template="webhooks/email/switched_off.txt",
            context={
                "user": admin,
                "endpoint": endpoint,
                "settings_url": settings.BASE_URL.rstrip("/") + "/accounts/settings/webhooks/",
            },
        )


def pending_count(endpoint_ids: Iterable[int]) -> dict[int, int]:
    """Messages not yet delivered, per endpoint (one query for a whole page)."""
    rows = (
        Delivery.objects.filter(endpoint_id__in=list(endpoint_ids), status=Delivery.Status.PENDING)
        .values("endpoint_id")
        .annotate(n=Count("pk"))
    )
    return {r["endpoint_id"]: r["n"] for r in rows}
