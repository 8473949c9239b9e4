"""The floor for bookings per second: a plain Django view writing the rows a booking writes.

No validation, no slot check, no lock, no rendering: one transaction with the same
inserts as ``booking.services.book`` (the meeting, its organizer, the booking, two
outbox rows with their delivery tasks, the owner's notification). ``bench.booking``
serves it beside the real endpoint (``DJANGO_SETTINGS_MODULE=bench.floor_settings``) and
reports the real endpoint's bookings per second as a fraction of this one's.
Never part of the product: the URL exists only under the benchmark's settings.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.tokens import digest
from booking.models import Booking
from booking.selectors import link_for_token
from events.models import Attendee, Event
from mail.services import queue_later
from notifications.models import Notification


@csrf_exempt
@require_POST
def floor_booking(request: HttpRequest, token: str) -> JsonResponse:
    data = json.loads(request.body)
    link = link_for_token(token)
    start = datetime.fromisoformat(data["start"])
    end = start + timedelta(minutes=link.duration_minutes)
    with transaction.atomic():
        event = Event.objects.create(
            account_id=link.owner.account_id,
            organizer=link.owner,
            title=f"Meeting with {data['name']}",
            start=start,
            end=end,
            timezone=link.hours_timezone,
        )
        Attendee.objects.create(event=event, user=link.owner, status=Attendee.Status.ACCEPTED)
        booking = Booking.objects.create(
            link=link,
            owner=link.owner,
            event=event,
            start=start,
            end=end,
            name=data["name"],
            email=data["email"],
            timezone=data["timezone"],
            manage_digest=digest(secrets.token_urlsafe(32)),
        )
        mail = {"booking": booking.pk, "kind": "confirmed", "token": secrets.token_urlsafe(32)}
        queue_later("booking.mail", [(mail, [booking.email])])
        mail = {"booking": booking.pk, "kind": "owner_booked"}
        queue_later("booking.mail", [(mail, [link.owner.email])])
        Notification.objects.create(user=link.owner, text=event.title)
    return JsonResponse({"id": booking.pk}, status=201)
