"""``/webhooks``: where other systems hear of bookings, answers and changes (account
admins only). The signing secret is in the answer to POST and nowhere else, ever."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from webhooks import services
from webhooks.models import EVENT_TYPES, Delivery, Endpoint

from ..schemas import Id, _Input, answers

router = Router(tags=["webhooks"])


class WebhookIn(_Input):
    url: str = Field(description="The receiver's https (or http) address.")
    events: list[str] = Field(description="Kinds of event to send: " + ", ".join(EVENT_TYPES))
    description: str = Field("", description="A note for the admins (≤ 200).")


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool = Field(description="Switched off after failing for too long.")
    failing_since: dt.datetime | None
    last_error: str
    waiting: int = Field(description="Messages not yet delivered.")
    created_at: dt.datetime


class NewWebhookOut(WebhookOut):
    secret: str = Field(
        description="Shown this once: verify each message's webhook-signature with it "
        "(Standard Webhooks)."
    )


class DeliveryOut(Schema):
    message_id: str = Field(description="The webhook-id header; the same on every retry.")
    type: str
    status: str = Field(description="pending or delivered")
    created_at: dt.datetime
    attempts: int
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: dt.datetime | None


def _out(endpoint: Endpoint, waiting: int) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.event_types,
        "active": endpoint.active,
        "failing_since": endpoint.failing_since,
        "last_error": endpoint.last_error,
        "waiting": waiting,
        "created_at": endpoint.created_at,
    }


def _delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "message_id": delivery.message_id,
        "type": delivery.event_type,
        "status": delivery.status,
        "created_at": delivery.created_at,
        "attempts": delivery.attempts,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at,
    }


@router.get(
    "/webhooks", response=answers(200, list[WebhookOut], 403), summary="The account's webhooks"
)
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    endpoints = services.endpoints_of(request.auth)
    waiting = services.pending_count(e.pk for e in endpoints)
    return [_out(e, waiting.get(e.pk, 0)) for e in endpoints]


@router.post(
    "/webhooks", response=answers(201, NewWebhookOut, 400, 403, 422), summary="Add a webhook"
)
def add_webhook(request: HttpRequest, payload: WebhookIn) -> Status:
    endpoint, secret = services.register_endpoint(
        request.auth, url=payload.url, event_types=payload.events, description=payload.description
    )
    return Status(201, _out(endpoint, 0) | {"secret": secret})


@router.delete(
    "/webhooks/{webhook_id}", response=answers(204, None, 403, 404, 422), summary="Remove a webhook"
)
def delete_webhook(request: HttpRequest, webhook_id: Id) -> Status:
    """What had not been delivered yet is dropped with it."""
    services.delete_endpoint(request.auth, webhook_id)
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response=answers(200, list[DeliveryOut], 403, 404, 422),
    summary="The delivery log (newest first, at most 100)",
)
def list_deliveries(request: HttpRequest, webhook_id: Id) -> list[dict[str, Any]]:
    return [_delivery_out(d) for d in services.deliveries_of(request.auth, webhook_id)]
