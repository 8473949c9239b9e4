"""``/events/{id}/attachments``: files attached to an event.

Anyone who can see the event lists them; only its organizer uploads (multipart field
``file``, at most ``ATTACHMENT_MAX_BYTES``) and deletes. An event the caller cannot see,
or an attachment of another event, is the same 404. Guests download through their own
links (``/i/<token>/attachments/<id>/``), never through the API.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Status
from ninja.files import UploadedFile

from events.attachments import attachment_add, attachment_delete
from events.selectors import get_event_for_user

from ..schemas import AttachmentOut, Id, answers, attachment_out

router = Router(tags=["attachments"])


@router.get(
    "/events/{event_id}/attachments",
    response=answers(200, list[AttachmentOut], 404, 422),
    summary="An event's attachments",
)
def list_attachments(request: HttpRequest, event_id: Id) -> list[dict[str, Any]]:
    event = get_event_for_user(request.auth, event_id)
    return [attachment_out(a) for a in event.attachments.all()]


@router.post(
    "/events/{event_id}/attachments",
    response=answers(201, AttachmentOut, 400, 403, 404, 422),
    summary="Attach a file",
)
def upload_attachment(request: HttpRequest, event_id: Id, file: File[UploadedFile]) -> Status:
    """Organizer only; multipart/form-data with the file in ``file``. 400 names ``file``
    when it is empty or larger than the limit."""
    event = get_event_for_user(request.auth, event_id)
    return Status(201, attachment_out(attachment_add(event, request.auth, file)))


@router.delete(
    "/events/{event_id}/attachments/{attachment_id}",
    response=answers(204, None, 403, 404, 422),
    summary="Remove an attachment",
)
def delete_attachment(request: HttpRequest, event_id: Id, attachment_id: Id) -> Status:
    event = get_event_for_user(request.auth, event_id)
    attachment_delete(event, request.auth, attachment_id)
    return Status(204, None)
