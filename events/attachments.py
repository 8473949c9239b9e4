"""Files attached to events: the organizer adds and removes them, guests download them.

Uploads are stored in the default storage (``DATA_DIR/uploads``) under random names, so
nothing a user typed reaches the file system; the original name is cleaned and kept for
the download only. Each file may be at most ``ATTACHMENT_MAX_BYTES``.

A guest reaches an attachment only through their own link token and only for their own
event; a removed guest's token finds nothing, so access ends at once. Every miss (unknown
token, another event's attachment, a deleted file) is the same ``None`` → the same 404.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.models import User

from . import invitation_queue, invitations, selectors
from .models import Attachment, Event

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS_PER_EVENT = 20
MAX_FILENAME = 150
FALLBACK_NAME = "attachment"
OCTET_STREAM = "application/octet-stream"
#: Types a download may keep. Anything else (HTML, SVG, XML, scripts, unknown) is served
#: as application/octet-stream. Downloads are never shown inline in any case.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/plain",
        "text/csv",
        "text/calendar",
    }
)
# Control characters, line/paragraph separators and bidirectional overrides (which can
# make "invoice‮fdp.exe" look like a PDF).
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_RESERVED = re.compile(r'[<>:"|?*;]')


def clean_filename(value: Any) -> str:
    """A file name safe to show and to put in Content-Disposition.

    Only the last path component is kept; control and direction-changing characters go;
    characters some systems reserve become "_"; the length is bounded (the extension kept).
    """
    if not isinstance(value, str):
        return FALLBACK_NAME
    name = unicodedata.normalize("NFC", value)
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_CHARS.sub("", name)
    name = _RESERVED.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return FALLBACK_NAME
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16 and stem:
            name = stem[: MAX_FILENAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_FILENAME].rstrip(" .")
    return name or FALLBACK_NAME


def stored_type(filename: str) -> str:
    """The MIME type guessed from the (cleaned) name; the client's claim is not trusted."""
    guessed, encoding = mimetypes.guess_type(filename, strict=False)
    if not guessed or encoding:
        return OCTET_STREAM
    return guessed[:100]


def download_type(attachment: Attachment) -> str:
    """What the download says it is: the stored type if harmless, else octet-stream."""
    return attachment.content_type if attachment.content_type in SAFE_TYPES else OCTET_STREAM


class OversizedUpload(UploadedFile):
    """Stands for a file that passed ATTACHMENT_MAX_BYTES while it was being received: its
    size is known, its content was dropped, so ``attachment_add`` refuses it by size."""

    def __init__(self, name: str, size: int, content_type: str | None) -> None:
        super().__init__(
            file=io.BytesIO(), name=name, content_type=content_type or OCTET_STREAM, size=size
        )


class AttachmentSizeLimitHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: nothing beyond ATTACHMENT_MAX_BYTES reaches memory
    or disk. Past the limit the bytes are only counted, and the upload becomes an
    ``OversizedUpload`` that is refused with its real size."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received = start + len(raw_data)
        if self.received > settings.ATTACHMENT_MAX_BYTES:
            return None  # the handlers after this one never see it
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if file_size > settings.ATTACHMENT_MAX_BYTES:
            return OversizedUpload(self.file_name or "", file_size, self.content_type)
        return None  # the next handler (memory or temporary file) supplies the file


def _check_organizer(event: Event, actor: User) -> None:
    if event.organizer_id != actor.pk:
        raise PermissionDenied(_("Only the organizer can change the attachments of this event."))


@transaction.atomic
def attachment_add(event: Event, actor: User, upload: UploadedFile | None) -> Attachment:
    """Attach an uploaded file to the event (organizer only); refused beyond the size limit.

    The file is written before the row; if writing the row fails, the file is removed.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    _check_organizer(event, actor)
    if event.is_cancelled:
        raise ValidationError({"file": _("A cancelled event cannot be changed.")})
    if selectors.is_booked(event):
        # The booker has a manage page, not a guest page: they could never download it.
        raise ValidationError(
            {"file": _("A meeting booked through your link cannot have attachments.")}
        )
    if upload is None or not hasattr(upload, "size"):
        raise ValidationError({"file": _("Choose a file to attach.")})
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size <= 0:
        raise ValidationError({"file": _("The file is empty.")})
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; at most %(limit)s are allowed.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            }
        )
    if Attachment.objects.filter(event=event).count() >= MAX_ATTACHMENTS_PER_EVENT:
        raise ValidationError(
            {
                "file": _("An event can have at most %(count)d attachments.")
                % {"count": MAX_ATTACHMENTS_PER_EVENT}
            }
        )
    filename = clean_filename(getattr(upload, "name", ""))
    attachment = Attachment(
        event=event,
        filename=filename,
        content_type=stored_type(filename),
        size=upload.size,
        uploaded_by=actor,
    )
    attachment.file.save(filename, upload, save=False)  # upload_to gives a random name
    try:
        attachment.save()
        _tell_guests(event)
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def attachment_delete(event: Event, actor: User, attachment_id: Any) -> None:
    """Remove an attachment (organizer only); the file goes once the transaction commits."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    _check_organizer(event, actor)
    attachment = Attachment.objects.filter(event=event, pk=_as_id(attachment_id)).first()
    if attachment is None:
        raise Http404("No such attachment.")
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    _tell_guests(event)
    transaction.on_commit(lambda: _delete_file(storage, name))


def _tell_guests(event: Event) -> None:
    """Every guest gets the event again with its files as they are now (an update: their
    links are in the mail); colleagues see the files on the event page."""
    everyone = invitations.participants(event)
    guests = [(a, "update") for a in everyone if a.is_guest]
    if not guests:
        return
    sender = invitations.Sender.for_event(event, invitations.sender_mailbox_for(event.organizer))
    exceptions = invitations.exception_rows(event)
    invitation_queue.queue_guest_mails(event, guests, everyone, sender, exceptions=exceptions)


def _delete_file(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete attachment file %s", name)


def _as_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Http404("No such attachment.")
    try:
        number = int(value)
    except ValueError:
        raise Http404("No such attachment.") from None
    if not 0 < number < 2**63:
        raise Http404("No such attachment.")
    return number


def attachment_for_guest(token: str, attachment_id: Any) -> Attachment | None:
    """The attachment if ``token`` is a live guest link of the attachment's event, else None."""
    from .guests import attendee_for_link_token

    attendee = attendee_for_link_token(token)
    if attendee is None:
        return None
    try:
        number = _as_id(attachment_id)
    except Http404:
        return None
    return Attachment.objects.filter(event_id=attendee.event_id, pk=number).first()
