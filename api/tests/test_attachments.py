"""/events/{id}/attachments: list, upload (multipart), delete; attachments in the event JSON."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from events.models import Attachment
from events.tests.guest_helpers import GINA, make_mailbox

from .conftest import at, errors_by_field

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


@pytest.fixture
def event(owner, colleague):
    from events.services import event_create

    make_mailbox(owner)
    return event_create(
        owner,
        title="Review",
        start=at(4, 9),
        end=at(4, 10),
        timezone="Europe/Berlin",
        attendee_ids=[colleague.pk],
        guests=[GINA],
    )


def post_file(client, token, event_id, name="agenda.pdf", content=b"%PDF-1.4 x", **extra):
    data = {"file": SimpleUploadedFile(name, content, content_type="application/pdf"), **extra}
    return client.post(
        f"/api/v1/events/{event_id}/attachments", data, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_upload_list_show_in_event_and_delete(client, api, event, owner_token, colleague_token):
    response = post_file(client, owner_token, event.pk, name="Agenda März.pdf")
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "filename": "Agenda März.pdf",
        "content_type": "application/pdf",
        "size": 10,
        "created_at": body["created_at"],
    }
    status, listing = api.json("GET", f"/events/{event.pk}/attachments", colleague_token)
    assert status == 200 and listing == [body]
    status, shown = api.json("GET", f"/events/{event.pk}", owner_token)
    assert shown["attachments"] == [body]
    response = api.call("DELETE", f"/events/{event.pk}/attachments/{body['id']}", owner_token)
    assert response.status_code == 204 and response.content == b""
    assert api.json("GET", f"/events/{event.pk}/attachments", owner_token) == (200, [])
    missing = api.json("DELETE", f"/events/{event.pk}/attachments/{body['id']}", owner_token)
    assert missing[0] == 404


def test_events_list_carries_attachments_without_extra_queries_per_event(
    client, api, owner, owner_token, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.services import event_create

    for day in (4, 5, 6):
        created = event_create(owner, title=f"E{day}", start=at(day, 9), end=at(day, 10))
        post_file(client, owner_token, created.pk, name=f"{day}.pdf")
    path = "/events?start=2026-05-01T00:00:00Z&end=2026-06-01T00:00:00Z"
    with CaptureQueriesContext(connection) as three:
        status, events = api.json("GET", path, owner_token)
    assert status == 200, events
    queries = len(three)  # now: the next request resets the connection's query log
    assert [[a["filename"] for a in e["attachments"]] for e in events] == [
        ["4.pdf"],
        ["5.pdf"],
        ["6.pdf"],
    ]
    for day in (7, 8, 9, 10):
        created = event_create(owner, title=f"E{day}", start=at(day, 9), end=at(day, 10))
        post_file(client, owner_token, created.pk, name=f"{day}.pdf")
    with django_assert_max_num_queries(queries):
        assert len(api.json("GET", path, owner_token)[1]) == 7


def test_too_large_or_empty_is_400_naming_file(client, event, owner_token, settings):
    settings.ATTACHMENT_MAX_BYTES = 5
    response = post_file(client, owner_token, event.pk, content=b"123456")
    assert response.status_code == 400
    assert "at most 5" in errors_by_field(response.json())["file"]
    response = post_file(client, owner_token, event.pk, content=b"")
    assert response.status_code == 400
    assert errors_by_field(response.json()) == {"file": "The file is empty."}
    assert not Attachment.objects.exists()


def test_missing_file_is_422_naming_file(client, event, owner_token):
    response = client.post(
        f"/api/v1/events/{event.pk}/attachments", {}, HTTP_AUTHORIZATION=f"Bearer {owner_token}"
    )
    assert response.status_code == 422
    assert "file" in errors_by_field(response.json())


def test_only_the_organizer_changes_attachments(
    client, api, event, owner_token, colleague_token, stranger_token
):
    attachment_id = post_file(client, owner_token, event.pk).json()["id"]
    # An invited colleague may list but not change (403).
    assert post_file(client, colleague_token, event.pk).status_code == 403
    path = f"/events/{event.pk}/attachments/{attachment_id}"
    assert api.json("DELETE", path, colleague_token)[0] == 403
    # Another account: the same 404 as a missing event, whatever the verb.
    missing = api.json("GET", "/events/999999/attachments", stranger_token)
    assert missing[0] == 404
    assert api.json("GET", f"/events/{event.pk}/attachments", stranger_token) == missing
    assert post_file(client, stranger_token, event.pk).json() == missing[1]
    assert api.json("DELETE", path, stranger_token) == missing
    assert Attachment.objects.count() == 1


def test_an_attachment_of_another_event_is_a_404(client, api, event, owner, owner_token):
    from events.services import event_create

    other = event_create(owner, title="Other", start=at(5, 9), end=at(5, 10))
    attachment_id = post_file(client, owner_token, event.pk).json()["id"]
    status, _body = api.json(
        "DELETE", f"/events/{other.pk}/attachments/{attachment_id}", owner_token
    )
    assert status == 404
    assert Attachment.objects.filter(pk=attachment_id).exists()


def test_needs_a_token(client, api, event):
    assert api.json("GET", f"/events/{event.pk}/attachments")[0] == 401
    response = client.post(
        f"/api/v1/events/{event.pk}/attachments",
        {"file": SimpleUploadedFile("a.txt", b"a")},
    )
    assert response.status_code == 401
    assert not Attachment.objects.exists()


def test_an_oversized_upload_is_counted_not_stored(client, event, owner_token, settings, uploads):
    """Past the limit the bytes are only counted: the refusal names the real size and
    nothing (not even a truncated copy) is kept."""
    settings.ATTACHMENT_MAX_BYTES = 100_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000  # larger uploads would go to temp files
    response = post_file(client, owner_token, event.pk, name="big.bin", content=b"x" * 300_000)
    assert response.status_code == 400
    assert errors_by_field(response.json()) == {
        "file": "The file is 293.0\xa0KB; at most 97.7\xa0KB are allowed."
    }
    assert not Attachment.objects.exists()
    assert not uploads.exists() or not any(uploads.rglob("*"))
    # Just within the limit it is stored whole.
    response = post_file(client, owner_token, event.pk, name="ok.bin", content=b"y" * 100_000)
    assert response.status_code == 201 and response.json()["size"] == 100_000


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=x"],
)
def test_a_broken_multipart_body_gets_the_json_error(client, event, owner_token, content_type):
    response = client.post(
        f"/api/v1/events/{event.pk}/attachments",
        data=b"--y\r\nnot really\r\n",
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )

    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["detail"]
    assert not Attachment.objects.exists()
