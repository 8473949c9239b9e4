"""Sender mailbox pages and the default-sender card of the settings page."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from mail import senders
from mail.models import MailboxConfirmation, OutboxMessage, SenderMailbox
from mail.tests.test_senders import last_code

PAGE = "/accounts/settings/sender-mailboxes/"


@pytest.fixture
def alice(client, owner) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def bob(colleague) -> Client:
    c = Client()
    c.force_login(colleague)
    return c


@pytest.fixture
def sam(stranger) -> Client:
    c = Client()
    c.force_login(stranger)
    return c


def confirmed(user, address="sales@acme.test", **kw):
    mailbox = senders.add_sender_mailbox(
        user, name=kw.pop("name", "Acme Sales"), email=address, **kw
    )
    return senders.confirm_sender_mailbox(user, mailbox.pk, last_code(address))


@pytest.mark.django_db
def test_url_name_and_login_required(client):
    assert reverse("mail:sender_mailboxes") == PAGE
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/signin/" in response["Location"]
    assert client.post(PAGE, {"name": "x", "email": "a@b.test"}).status_code == 302
    assert not SenderMailbox.objects.exists()


@pytest.mark.django_db
def test_add_then_confirm_with_the_code_and_return_to_next(alice, owner):
    page = alice.get(PAGE + "?next=/calendar/events/new/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "No sender mailbox yet." in body
    assert 'name="next" value="/calendar/events/new/"' in body

    response = alice.post(
        PAGE,
        {"name": "Acme Sales", "email": "sales@acme.test", "next": "/calendar/events/new/"},
    )
    assert response.status_code == 302
    mailbox = SenderMailbox.objects.get()
    assert response["Location"] == f"{PAGE}?next=%2Fcalendar%2Fevents%2Fnew%2F#mailbox-{mailbox.pk}"
    page = alice.get(response["Location"]).content.decode()
    assert "We sent a 6-digit code to sales@acme.test" in page
    assert "waiting for the code" in page
    assert f'action="{PAGE}{mailbox.pk}/confirm/"' in page

    code = last_code("sales@acme.test")
    wrong = "000000" if code != "000000" else "111111"
    confirm_url = reverse("mail:sender_mailbox_confirm", args=[mailbox.pk])
    response = alice.post(confirm_url, {"code": wrong, "next": "/calendar/events/new/"})
    assert response.status_code == 400
    assert "This code is not right; 4 tries left." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()

    response = alice.post(confirm_url, {"code": code, "next": "/calendar/events/new/"})
    assert response.status_code == 302 and response["Location"] == "/calendar/events/new/"
    assert SenderMailbox.objects.get().is_confirmed
    page = alice.get(PAGE).content.decode()
    assert "sales@acme.test is confirmed" in page
    assert "your only sender mailbox" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)"]
)
def test_next_never_leads_off_site(alice, owner, target):
    mailbox = senders.add_sender_mailbox(owner, name="A", email="a@acme.test")
    response = alice.post(
        reverse("mail:sender_mailbox_confirm", args=[mailbox.pk]),
        {"code": last_code("a@acme.test"), "next": target},
    )
    assert response.status_code == 302 and response["Location"] == PAGE
    assert "evil" not in alice.get(PAGE + "?next=" + target).content.decode()


@pytest.mark.django_db
def test_bad_input_is_shown_next_to_the_field(alice):
    response = alice.post(PAGE, {"name": "Sales\r\nBcc: x@evil.test", "email": "not-an-address"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid e-mail address." in body
    assert "Line breaks and control characters are not allowed." in body
    assert not SenderMailbox.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_names_are_escaped(alice, bob, owner):
    confirmed(owner, name="<script>alert(1)</script>", shared=True)
    for client in (alice, bob):
        body = client.get(PAGE).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.django_db
def test_resend_and_delete(alice, owner):
    mailbox = senders.add_sender_mailbox(owner, name="A", email="a@acme.test")
    response = alice.post(reverse("mail:sender_mailbox_resend", args=[mailbox.pk]))
    assert response.status_code == 302
    assert MailboxConfirmation.objects.filter(mailbox=mailbox).count() == 2
    response = alice.post(reverse("mail:sender_mailbox_delete", args=[mailbox.pk]))
    assert response.status_code == 302
    assert not SenderMailbox.objects.exists()
    assert alice.get(reverse("mail:sender_mailbox_delete", args=[mailbox.pk])).status_code == 405


@pytest.mark.django_db
def test_shared_mailbox_for_colleagues_and_nothing_for_another_account(
    alice, bob, sam, owner, colleague, stranger
):
    shared = confirmed(owner, shared=True)
    private = confirmed(owner, "alice@acme.test", name="Alice private")
    pending = senders.add_sender_mailbox(owner, name="Later", email="later@acme.test", shared=True)

    body = bob.get(PAGE).content.decode()
    assert "sales@acme.test" in body and "added by Alice Owner" in body
    assert "alice@acme.test" not in body and "later@acme.test" not in body
    assert reverse("mail:sender_mailbox_delete", args=[shared.pk]) not in body
    assert bob.post(reverse("mail:sender_mailbox_delete", args=[shared.pk])).status_code == 403
    for mailbox in (private, pending):
        assert bob.post(reverse("mail:sender_mailbox_delete", args=[mailbox.pk])).status_code == 404
    response = bob.post(
        reverse("mail:sender_mailbox_confirm", args=[pending.pk]),
        {"code": last_code("later@acme.test")},
    )
    assert response.status_code == 404
    # The colleague can make the shared one their default.
    bob.post(reverse("mail:sender_mailbox_default"), {"mailbox": str(shared.pk)})
    assert User.objects.get(pk=colleague.pk).default_sender_mailbox_id == shared.pk

    body = sam.get(PAGE).content.decode()
    assert "acme.test" not in body.replace("sam@globex.test", "")
    for mailbox in (shared, private, pending):
        for name in ("mail:sender_mailbox_delete", "mail:sender_mailbox_resend"):
            assert sam.post(reverse(name, args=[mailbox.pk])).status_code == 404
        assert (
            sam.post(
                reverse("mail:sender_mailbox_confirm", args=[mailbox.pk]), {"code": "123456"}
            ).status_code
            == 404
        )
        sam.post(reverse("mail:sender_mailbox_default"), {"mailbox": str(mailbox.pk)})
        assert User.objects.get(pk=stranger.pk).default_sender_mailbox_id is None
    assert SenderMailbox.objects.count() == 3
    assert SenderMailbox.objects.get(pk=pending.pk).confirmed_at is None


@pytest.mark.django_db
def test_settings_page_offers_the_default_choice(alice, owner):
    settings_url = reverse("accounts:settings")
    body = alice.get(settings_url).content.decode()
    assert "Sender mailbox for invitations" in body
    assert "You have no confirmed sender mailbox yet" in body
    assert PAGE in body

    first = confirmed(owner)
    body = alice.get(settings_url).content.decode()
    assert "your only sender mailbox" in body and "Acme Sales &lt;sales@acme.test&gt;" in body

    second = confirmed(owner, "ceo@acme.test", name="The CEO")
    body = alice.get(settings_url).content.decode()
    assert "choose the one your invitations are sent from" in body
    assert f'<option value="{second.pk}">The CEO &lt;ceo@acme.test&gt;</option>' in body
    response = alice.post(
        reverse("mail:sender_mailbox_default"), {"mailbox": str(second.pk), "next": settings_url}
    )
    assert response.status_code == 302 and response["Location"] == settings_url
    assert User.objects.get(pk=owner.pk).default_sender_mailbox_id == second.pk
    body = alice.get(settings_url).content.decode()
    assert "Your default sender mailbox was saved." in body
    assert f'<option value="{second.pk}" selected>' in body

    # A bad choice is reported with the field and changes nothing.
    response = alice.post(reverse("mail:sender_mailbox_default"), {"mailbox": "999999"})
    body = alice.get(response["Location"]).content.decode()
    assert "Default sender mailbox: Choose one of your confirmed sender mailboxes." in body
    assert User.objects.get(pk=owner.pk).default_sender_mailbox_id == second.pk
    # Clearing it.
    alice.post(reverse("mail:sender_mailbox_default"), {"mailbox": ""})
    assert User.objects.get(pk=owner.pk).default_sender_mailbox_id is None
    assert first.pk  # still there, still usable


@pytest.mark.django_db
def test_forms_need_the_csrf_token(owner):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(PAGE, {"name": "A", "email": "a@acme.test"}).status_code == 403
    assert strict.post(reverse("mail:sender_mailbox_default"), {"mailbox": ""}).status_code == 403
    assert not SenderMailbox.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_code_is_read_from_the_eml_file_written_without_smtp(settings, tmp_path, run_worker):
    """The development path of the issue: no SMTP_HOST, the code is in DATA_DIR/mail/*.eml."""
    from accounts.services import create_account

    settings.SMTP_HOST = None
    settings.MAIL_FILE_DIR = tmp_path / "mail"
    _account, user, _token = create_account("Acme", "alice@acme.test", password="x" * 16)
    client = Client()
    client.force_login(user)
    client.post(PAGE, {"name": "Alice", "email": "alice@acme.test"})
    run_worker()
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "alice@acme.test"
    code = re.search(r"^\s+(\d{6})\s*$", message.get_body(("plain",)).get_content(), re.M)[1]
    mailbox = SenderMailbox.objects.get()
    response = client.post(
        reverse("mail:sender_mailbox_confirm", args=[mailbox.pk]), {"code": code}
    )
    assert response.status_code == 302
    assert senders.sender_for(User.objects.get(pk=user.pk)) == SenderMailbox.objects.get()
