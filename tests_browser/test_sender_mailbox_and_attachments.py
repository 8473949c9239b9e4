"""In Chromium: add and confirm a sender mailbox from the settings page; attach a file to
an event and download it as the guest (a download, never a page)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import zoneinfo

import pytest

from events.guests import link_token
from events.models import Attachment, Attendee
from events.services import event_create
from mail.models import OutboxMessage, SenderMailbox
from tests_browser.test_calendar import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def code_mailed_to(address: str) -> str:
    row = OutboxMessage.objects.filter(recipients=[address]).latest("id")
    message = email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
    return re.search(r"^\s+(\d{6})\s*$", message.get_body(("plain",)).get_content(), re.M)[1]


def test_add_and_confirm_a_sender_mailbox_from_settings(page, live_server, owner):
    sign_in(page, live_server.url, owner, "/accounts/settings/")
    section = page.get_by_role("region", name="Sender mailbox for invitations")
    assert "no confirmed sender mailbox yet" in section.inner_text()
    section.get_by_role("link", name="Add, confirm or delete sender mailboxes").click()

    page.get_by_label("Display name").fill("Alice at Acme")
    page.get_by_label("E-mail address").fill("alice@mail.acme.test")
    page.get_by_label("Available to all employees").check()
    page.get_by_role("button", name="Add and send the code").click()
    assert (
        "We sent a 6-digit code to alice@mail.acme.test"
        in page.get_by_role("status").first.inner_text()
    )

    code_field = page.get_by_label("Code sent to alice@mail.acme.test")
    code_field.fill("000000" if code_mailed_to("alice@mail.acme.test") != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    assert "4 tries left" in page.get_by_role("alert").inner_text()

    page.get_by_label("Code sent to alice@mail.acme.test").fill(
        code_mailed_to("alice@mail.acme.test")
    )
    page.get_by_role("button", name="Confirm").click()
    assert "alice@mail.acme.test is confirmed" in page.get_by_role("status").first.inner_text()
    assert SenderMailbox.objects.get().is_confirmed

    page.goto(live_server.url + "/accounts/settings/")
    section = page.get_by_role("region", name="Sender mailbox for invitations")
    assert "Alice at Acme <alice@mail.acme.test>" in section.inner_text()
    assert "your only sender mailbox" in section.inner_text()


def test_organizer_attaches_and_the_guest_gets_a_download(
    page, browser, live_server, owner, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    SenderMailbox.objects.create(
        account_id=owner.account_id,
        owner=owner,
        name="Alice at Acme",
        email="alice@mail.acme.test",
        confirmed_at=dt.datetime.now(dt.UTC),
    )
    event = event_create(
        owner,
        title="Contract review",
        start=dt.datetime(2026, 6, 3, 10, tzinfo=BERLIN),
        end=dt.datetime(2026, 6, 3, 11, tzinfo=BERLIN),
        timezone="Europe/Berlin",
        guests=[{"email": "gina@client.example", "first_name": "Gina", "last_name": "Guest"}],
    )
    page_html = tmp_path / "agenda.html"
    page_html.write_text("<h1 id=x>not to be rendered</h1><script>document.title='ran'</script>")

    sign_in(page, live_server.url, owner, f"/calendar/events/{event.pk}/")
    page.get_by_label("Attach a file").set_input_files(str(page_html))
    page.get_by_role("button", name="Upload").click()
    assert "“agenda.html” was attached." in page.get_by_role("status").first.inner_text()
    assert Attachment.objects.get().filename == "agenda.html"

    # The guest, in a browser of their own, with nothing but their link.
    token = link_token(Attendee.objects.get(event=event, guest__isnull=False))
    context = browser.new_context(accept_downloads=True)
    guest = context.new_page()
    try:
        guest.goto(f"{live_server.url}/i/{token}/")
        with guest.expect_download() as info:
            guest.get_by_role("link", name="agenda.html").click()
        download = info.value
        assert download.suggested_filename == "agenda.html"
        assert download.path().read_bytes() == page_html.read_bytes()
        assert guest.title() != "ran"  # the HTML was saved, never rendered
        assert guest.url == f"{live_server.url}/i/{token}/"
    finally:
        context.close()
