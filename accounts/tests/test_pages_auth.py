"""Sign-in, sign-out and password reset pages (mail goes through the outbox)."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.core import mail as django_mail
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from mail.models import OutboxMessage
from mail.tests import conftest as mail_fixtures

pytestmark = pytest.mark.django_db

# The real SMTP peer and the real worker from the mail app's fixtures.
smtp_server = mail_fixtures.smtp_server
smtp_settings = mail_fixtures.smtp_settings
run_worker = mail_fixtures.run_worker

PROTECTED = [
    ("events:week", []),
    ("events:week_of", ["2026-05-04"]),
    ("events:create", []),
    ("events:detail", [1]),
    ("events:edit", [1]),
    ("events:cancel", [1]),
    ("accounts:settings", []),
    ("accounts:employees", []),
    ("notifications:list", []),
]


def mail_text(raw: bytes) -> str:
    message = email.message_from_bytes(bytes(raw), policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


def _link_from(raw: bytes) -> str:
    text = mail_text(raw)
    match = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", text)
    assert match, text
    return match.group(1)


def test_sign_in_page_has_labelled_fields(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_username">E-mail' in body
    assert '<label for="id_password">' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert '<html lang="en">' in body


def test_sign_in_with_email_any_case_lands_on_the_week(client, owner):
    response = client.post(
        reverse("accounts:login"), {"username": "ALICE@acme.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("events:week")
    assert client.get(reverse("events:week")).status_code == 200


def test_wrong_password_shows_an_error_and_signs_nobody_in(client, owner):
    response = client.post(
        reverse("accounts:login"), {"username": owner.email, "password": "wrong"}
    )
    assert response.status_code == 200
    assert 'class="errorlist nonfield"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_refuses_a_foreign_next_url(client, owner):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": owner.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("events:week")


@pytest.mark.parametrize(("name", "args"), PROTECTED)
def test_anonymous_is_sent_to_sign_in(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_sign_out_is_post_only(client, owner):
    client.force_login(owner)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_sign_out_needs_the_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("accounts:logout")).status_code == 403
    assert "_auth_user_id" in client.session


def test_password_reset_queues_one_outbox_row_and_sends_nothing_yet(
    client,
    owner,
    smtp_settings,
):
    response = client.post(reverse("accounts:password_reset"), {"email": "Alice@Acme.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    row = OutboxMessage.objects.get()
    assert row.recipients == ["alice@acme.test"]
    assert row.status == OutboxMessage.Status.PENDING
    assert row.attempts == 0 and row.sent_at is None
    assert "Reset your Rendezvous password" in row.subject
    # Nothing left the machine: the transaction of this request (the test's) is open.
    assert smtp_settings.messages == []
    assert django_mail.outbox == []
    assert _link_from(row.raw_bytes).startswith("/accounts/password/reset/")


def test_password_reset_for_an_unknown_address_looks_the_same_and_queues_nothing(client, owner):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@acme.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert OutboxMessage.objects.count() == 0


def test_password_reset_rejects_a_malformed_address(client, owner):
    response = client.post(reverse("accounts:password_reset"), {"email": "not-an-address"})
    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()
    assert OutboxMessage.objects.count() == 0


def test_reset_link_sets_a_new_password_once(client, owner):
    client.post(reverse("accounts:password_reset"), {"email": owner.email})
    link = _link_from(OutboxMessage.objects.get().raw_bytes)
    page = client.get(link, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0]
    new_password = "a much longer new password 42"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    owner.refresh_from_db()
    assert owner.check_password(new_password)
    # The link is spent: using it again shows the "expired" page and changes nothing.
    again = Client().get(link, follow=True)
    assert "expired or was already used" in again.content.decode()


def test_reset_confirm_with_a_forged_token_is_refused(client, owner):
    response = client.get(
        reverse("accounts:password_reset_confirm", args=["MQ", "forged-token"]), follow=True
    )
    assert "expired or was already used" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_reset_mail_is_delivered_by_the_worker_after_commit(
    owner,
    smtp_settings,
    run_worker,
):
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": owner.email})
    assert smtp_settings.messages == []  # committed, but only the worker sends
    run_worker()
    assert len(smtp_settings.messages) == 1
    received = smtp_settings.messages[0]
    assert received.rcpt_tos == [owner.email]
    link = _link_from(received.raw)
    assert Client().get(link).status_code == 302  # to the set-password form
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT
