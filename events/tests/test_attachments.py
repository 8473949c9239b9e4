"""Attachments: the organizer adds and removes files; employees and guests download them.

Downloads are always downloads (Content-Disposition: attachment, nosniff, sandboxing CSP,
harmless types); a guest reaches only their own event's files through their own link,
and loses them the moment they are removed from the event.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse

from events import attachments
from events.cancelling import event_cancel
from events.guests import link_token
from events.models import Attachment, Attendee
from events.services import event_create, event_update

from .guest_helpers import GINA, HUGO, at, make_mailbox

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a small pdf\n"


@pytest.fixture
def uploads(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


@pytest.fixture
def mailbox(owner):
    return make_mailbox(owner)


@pytest.fixture
def event(owner, colleague, uploads, mailbox):
    return event_create(
        owner,
        title="Contract review",
        start=at(3, 10),
        end=at(3, 11),
        timezone="Europe/Berlin",
        attendee_ids=[colleague.pk],
        guests=[GINA, HUGO],
    )


@pytest.fixture
def other_event(owner, uploads, mailbox):
    return event_create(
        owner,
        title="Other meeting",
        start=at(4, 10),
        end=at(4, 11),
        timezone="Europe/Berlin",
        guests=[{"email": "olga@other.example", "first_name": "Olga", "last_name": "Other"}],
    )


def upload(name: str = "offer.pdf", content: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def guest_token(event, address: str) -> str:
    return link_token(Attendee.objects.get(event=event, guest__email=address))


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --------------------------------------------------------------------------- service


def test_organizer_attaches_a_file_stored_under_a_random_name(event, owner, uploads):
    attachment = attachments.attachment_add(event, owner, upload("Angebot März.pdf"))
    assert attachment.filename == "Angebot März.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert attachment.uploaded_by == owner
    (path,) = stored_files(uploads)
    assert path.read_bytes() == PDF
    assert path.parent.name == "attachments"
    assert len(path.name) == 32 and int(path.name, 16) >= 0  # random hex, nothing typed
    assert "Angebot" not in str(path)


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("a\r\nContent-Type: text/html\r\n.pdf", "html.pdf"),
        ("a\r\nb\tc.pdf", "abc.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ('x"; filename="evil.html', "x__ filename=_evil.html"),
        ("\x00\x01", "attachment"),
        ("...", "attachment"),
        ("  spaced   name .txt  ", "spaced name .txt"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_file_names_are_cleaned(given, cleaned):
    assert attachments.clean_filename(given) == cleaned


def test_the_size_limit_is_exact_and_a_refusal_stores_nothing(event, owner, uploads, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    attachments.attachment_add(event, owner, upload("ten.txt", b"x" * 10))
    with pytest.raises(ValidationError) as exc:
        attachments.attachment_add(event, owner, upload("eleven.txt", b"x" * 11))
    assert "at most 10" in exc.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as exc:
        attachments.attachment_add(event, owner, upload("empty.txt", b""))
    assert exc.value.message_dict == {"file": ["The file is empty."]}
    assert [a.filename for a in Attachment.objects.all()] == ["ten.txt"]
    assert len(stored_files(uploads)) == 1


def test_only_the_organizer_attaches_and_removes(event, owner, colleague, uploads):
    with pytest.raises(PermissionDenied):
        attachments.attachment_add(event, colleague, upload())
    attachment = attachments.attachment_add(event, owner, upload())
    with pytest.raises(PermissionDenied):
        attachments.attachment_delete(event, colleague, attachment.pk)
    assert Attachment.objects.count() == 1 and len(stored_files(uploads)) == 1


def test_removing_deletes_row_and_file_after_commit(
    event, other_event, owner, uploads, django_capture_on_commit_callbacks
):
    attachment = attachments.attachment_add(event, owner, upload())
    with pytest.raises(Http404):  # through another event of the same organizer
        attachments.attachment_delete(other_event, owner, attachment.pk)
    with django_capture_on_commit_callbacks(execute=True):
        attachments.attachment_delete(event, owner, attachment.pk)
    assert not Attachment.objects.exists()
    assert stored_files(uploads) == []
    with pytest.raises(Http404):
        attachments.attachment_delete(event, owner, attachment.pk)


def test_a_cancelled_event_takes_no_new_files(event, owner):
    event_cancel(event, owner)
    with pytest.raises(ValidationError) as exc:
        attachments.attachment_add(event, owner, upload())
    assert "file" in exc.value.message_dict


def test_attachments_per_event_are_bounded(event, owner, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_ATTACHMENTS_PER_EVENT", 2)
    attachments.attachment_add(event, owner, upload("1.txt", b"1"))
    attachments.attachment_add(event, owner, upload("2.txt", b"2"))
    with pytest.raises(ValidationError, match="at most 2 attachments"):
        attachments.attachment_add(event, owner, upload("3.txt", b"3"))


# --------------------------------------------------------------------------- guest download


def _get(path: str):
    return Client().get(path)


def test_guest_downloads_through_their_own_link(event, owner):
    attachment = attachments.attachment_add(event, owner, upload("Angebot März.pdf"))
    token = guest_token(event, GINA["email"])
    url = f"/i/{token}/attachments/{attachment.pk}/"
    assert url == reverse("guest:attachment", args=[token, attachment.pk])
    response = _get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Angebot%20M%C3%A4rz.pdf" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    # Every invited guest has their own working link.
    hugo = guest_token(event, HUGO["email"])
    assert _get(f"/i/{hugo}/attachments/{attachment.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("page.html", b"<script>alert(document.cookie)</script>", "application/octet-stream"),
        ("image.svg", b"<svg onload=alert(1)></svg>", "application/octet-stream"),
        ("data.xml", b"<x/>", "application/octet-stream"),
        ("run.js", b"alert(1)", "application/octet-stream"),
        ("no-extension", b"?", "application/octet-stream"),
        ("notes.txt", b"hello", "text/plain"),
    ],
)
def test_nothing_is_ever_rendered_inline(event, owner, name, content, expected):
    attachment = attachments.attachment_add(
        event, owner, upload(name, content, content_type="text/html")
    )
    response = _get(f"/i/{guest_token(event, GINA['email'])}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == expected
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_every_miss_is_the_same_404(event, other_event, owner, colleague):
    mine = attachments.attachment_add(event, owner, upload())
    theirs = attachments.attachment_add(other_event, owner, upload("other.pdf"))
    token = guest_token(event, GINA["email"])
    baseline = _get("/i/" + "a" * 52 + f"/attachments/{mine.pk}/")
    assert baseline.status_code == 404
    misses = [
        f"/i/{token}/attachments/{theirs.pk}/",  # another event's file with a valid token
        f"/i/{token}/attachments/999999/",  # no such file
        f"/i/{guest_token(other_event, 'olga@other.example')}/attachments/{mine.pk}/",
        f"/i/{token.upper()}/attachments/{mine.pk}/",
        f"/i/{token[:-1]}/attachments/{mine.pk}/",
    ]
    for path in misses:
        response = _get(path)
        assert response.status_code == 404, path
        assert response.content == baseline.content, path
    # Employees' session is no way in either: a guest URL needs the guest's token.
    signed_in = Client()
    signed_in.force_login(owner)
    assert signed_in.get(misses[0]).content == baseline.content


def test_a_removed_guest_loses_access_at_once(event, owner):
    attachment = attachments.attachment_add(event, owner, upload())
    token = guest_token(event, GINA["email"])
    url = f"/i/{token}/attachments/{attachment.pk}/"
    assert _get(url).status_code == 200
    event_update(event, owner, guests=[HUGO])
    response = _get(url)
    assert response.status_code == 404
    assert response.content == _get("/i/" + "a" * 52 + "/").content


def test_a_guest_download_is_read_only(event, owner):
    attachment = attachments.attachment_add(event, owner, upload())
    url = f"/i/{guest_token(event, GINA['email'])}/attachments/{attachment.pk}/"
    client = Client()
    assert client.post(url).status_code == 405
    assert client.delete(url).status_code == 405
    assert Attachment.objects.count() == 1


def test_a_missing_file_on_disk_is_a_404(event, owner, uploads):
    attachment = attachments.attachment_add(event, owner, upload())
    for path in stored_files(uploads):
        path.unlink()
    assert (
        _get(f"/i/{guest_token(event, GINA['email'])}/attachments/{attachment.pk}/").status_code
        == 404
    )


# --------------------------------------------------------------------------- pages


@pytest.fixture
def alice(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_organizer_uploads_and_removes_on_the_event_page(event, alice, uploads):
    detail = reverse("events:detail", args=[event.pk])
    page = alice.get(detail).content.decode()
    assert 'id="attachments"' in page and 'enctype="multipart/form-data"' in page
    assert "At most 25.0\u00a0MB" in page
    response = alice.post(
        reverse("event_attachments:upload", args=[event.pk]),
        {"file": upload("<b>R&D 'plan'.pdf")},
    )
    assert response.status_code == 302 and response["Location"] == detail + "#attachments"
    page = alice.get(detail).content.decode()
    # < and > never survive in a name; what remains is escaped on the page.
    assert "_b_R&amp;D &#x27;plan&#x27;.pdf" in page and "R&D" not in page
    attachment = Attachment.objects.get()
    download = reverse("event_attachments:download", args=[event.pk, attachment.pk])
    assert download in page
    response = alice.get(download)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")

    response = alice.post(reverse("event_attachments:delete", args=[event.pk, attachment.pk]))
    assert response.status_code == 302
    assert not Attachment.objects.exists()


def test_a_too_large_upload_is_reported_with_the_field(event, alice, settings):
    settings.ATTACHMENT_MAX_BYTES = 5
    response = alice.post(
        reverse("event_attachments:upload", args=[event.pk]),
        {"file": upload("big.txt", b"123456")},
        follow=True,
    )
    assert (
        "File: The file is 6\u00a0bytes; at most 5\u00a0bytes are allowed."
        in response.content.decode()
    )
    assert not Attachment.objects.exists()
    response = alice.post(reverse("event_attachments:upload", args=[event.pk]), {}, follow=True)
    assert "File: Choose a file to attach." in response.content.decode()


def test_colleagues_download_but_do_not_change(event, owner, colleague, acme, uploads):
    from accounts.models import User

    attachment = attachments.attachment_add(event, owner, upload())
    bob = Client()
    bob.force_login(colleague)
    page = bob.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "offer.pdf" in page and 'enctype="multipart/form-data"' not in page
    download = reverse("event_attachments:download", args=[event.pk, attachment.pk])
    assert bob.get(download).status_code == 200
    assert (
        bob.post(
            reverse("event_attachments:upload", args=[event.pk]), {"file": upload()}
        ).status_code
        == 403
    )
    assert (
        bob.post(reverse("event_attachments:delete", args=[event.pk, attachment.pk])).status_code
        == 403
    )
    # A colleague not invited, and another account, see nothing.
    carol = User.objects.create_user("carol@acme.test", "x" * 12, account=acme, full_name="Carol")
    for user in (carol,):
        client = Client()
        client.force_login(user)
        assert client.get(download).status_code == 404
        assert (
            client.post(
                reverse("event_attachments:upload", args=[event.pk]), {"file": upload()}
            ).status_code
            == 404
        )
    assert Attachment.objects.count() == 1


def test_strangers_and_anonymous_visitors_get_nothing(event, owner, stranger):
    attachment = attachments.attachment_add(event, owner, upload())
    download = reverse("event_attachments:download", args=[event.pk, attachment.pk])
    sam = Client()
    sam.force_login(stranger)
    assert sam.get(download).status_code == 404
    assert (
        sam.post(reverse("event_attachments:delete", args=[event.pk, attachment.pk])).status_code
        == 404
    )
    anonymous = Client().get(download)
    assert anonymous.status_code == 302 and "/accounts/signin/" in anonymous["Location"]
    assert Attachment.objects.count() == 1


def test_upload_needs_the_csrf_token(event, owner):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    response = strict.post(reverse("event_attachments:upload", args=[event.pk]), {"file": upload()})
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_invitation_mail_links_each_attachment_to_the_guests_own_download(event, owner):
    """An update after attaching carries a working link for each guest."""
    from .guest_helpers import clear_outbox, mails_to, text_body

    attachment = attachments.attachment_add(event, owner, upload())
    clear_outbox()
    event_update(event, owner, location="Room 2", start=at(3, 10), end=at(3, 11) + dt.timedelta(0))
    (mail,) = mails_to(GINA["email"])
    token = guest_token(event, GINA["email"])
    assert f"/i/{token}/attachments/{attachment.pk}/" in text_body(mail)


def test_the_upload_handler_passes_nothing_beyond_the_limit(settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    handler = attachments.AttachmentSizeLimitHandler()
    handler.new_file("file", "a.txt", "text/plain", 100)
    assert handler.receive_data_chunk(b"12345", 0) == b"12345"
    assert handler.receive_data_chunk(b"67890", 5) == b"67890"
    assert handler.receive_data_chunk(b"X", 10) is None
    assert handler.receive_data_chunk(b"Y" * 50, 11) is None
    oversized = handler.file_complete(61)
    assert isinstance(oversized, attachments.OversizedUpload)
    assert (oversized.name, oversized.size, oversized.read()) == ("a.txt", 61, b"")
    within = attachments.AttachmentSizeLimitHandler()
    within.new_file("file", "b.txt", "text/plain", 10)
    within.receive_data_chunk(b"0123456789", 0)
    assert within.file_complete(10) is None  # the next handler supplies the real file


def test_guests_are_told_when_a_file_is_attached_or_removed(event, owner, colleague):
    """Each guest gets the event again with its files as they are now, with their links."""
    from .guest_helpers import clear_outbox, mails_to, outbox, text_body

    clear_outbox()
    attachment = attachments.attachment_add(event, owner, upload("agenda.pdf"))

    for address in (GINA["email"], HUGO["email"]):
        (mail,) = mails_to(address)
        token = guest_token(event, address)
        assert f"/i/{token}/attachments/{attachment.pk}/" in text_body(mail)
        assert "agenda.pdf" in text_body(mail)
    assert len(outbox()) == 2  # the guests; the colleague sees it on the event page

    clear_outbox()
    attachments.attachment_delete(event, owner, attachment.pk)
    (mail,) = mails_to(GINA["email"])
    assert "agenda.pdf" not in text_body(mail)


def test_an_event_without_guests_sends_nothing_for_a_file(owner, uploads, mailbox):
    from .guest_helpers import clear_outbox, outbox

    alone = event_create(owner, title="Solo", start=at(5, 10), end=at(5, 11))
    clear_outbox()
    attachments.attachment_add(alone, owner, upload())
    assert outbox() == []
