"""The account admin's employee list and "add an employee" (with a set-password mail)."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from mail.models import OutboxMessage

pytestmark = pytest.mark.django_db

NEW = {
    "email": "Carol@Acme.test",
    "full_name": "Carol New",
    "timezone": "Europe/Paris",
    "language": "pl",
}


@pytest.fixture
def admin_client(client, owner):
    client.force_login(owner)
    return client


def test_admin_sees_only_own_accounts_employees(admin_client, owner, colleague, stranger):
    response = admin_client.get(reverse("accounts:employees"))
    assert response.status_code == 200
    body = response.content.decode()
    assert colleague.email in body and owner.email in body
    assert stranger.email not in body
    assert 'href="/accounts/employees/"' in body  # the nav link exists for admins


def test_non_admin_gets_403_and_no_nav_link(client, colleague):
    client.force_login(colleague)
    assert client.get(reverse("accounts:employees")).status_code == 403
    response = client.post(reverse("accounts:employees"), {**NEW})
    assert response.status_code == 403
    assert not User.objects.filter(email="carol@acme.test").exists()
    assert 'href="/accounts/employees/"' not in client.get(reverse("events:week")).content.decode()


def test_adding_an_employee_queues_a_set_password_mail(admin_client, owner):
    response = admin_client.post(reverse("accounts:employees"), NEW)
    assert response.status_code == 302
    carol = User.objects.get(email="carol@acme.test")
    assert carol.account_id == owner.account_id
    assert carol.timezone == "Europe/Paris" and carol.language == "pl"
    assert not carol.has_usable_password()
    assert not carol.is_account_admin
    row = OutboxMessage.objects.get()
    assert row.recipients == ["carol@acme.test"]
    assert row.status == OutboxMessage.Status.PENDING
    message = email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", text).group(1)
    # The new employee chooses a password through the link and can then sign in.
    carol_client = Client()
    form_url = carol_client.get(link, follow=True).redirect_chain[-1][0]
    password = "a fresh password for carol 7"
    carol_client.post(form_url, {"new_password1": password, "new_password2": password})
    assert (
        carol_client.post(
            reverse("accounts:login"), {"username": "carol@acme.test", "password": password}
        ).status_code
        == 302
    )


def test_an_existing_address_is_refused_even_from_another_account(admin_client, stranger):
    response = admin_client.post(reverse("accounts:employees"), {**NEW, "email": stranger.email})
    assert response.status_code == 400
    body = response.content.decode()
    error = body.split('id="id_email_error">', 1)[1].split("</ul>", 1)[0]
    assert "already exists" in error
    assert User.objects.filter(email=stranger.email).count() == 1
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"), [("email", "not an address"), ("full_name", ""), ("timezone", "Nowhere")]
)
def test_bad_input_names_the_field_and_writes_nothing(admin_client, field, value):
    before = User.objects.count()
    response = admin_client.post(reverse("accounts:employees"), {**NEW, field: value})
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert User.objects.count() == before
    assert OutboxMessage.objects.count() == 0


def test_html_in_names_is_escaped(admin_client):
    admin_client.post(
        reverse("accounts:employees"), {**NEW, "full_name": "<b>Carol</b><script>x()</script>"}
    )
    body = admin_client.get(reverse("accounts:employees")).content.decode()
    assert "<script>x()" not in body
    assert "&lt;b&gt;Carol&lt;/b&gt;" in body


def test_if_the_mail_cannot_be_queued_the_employee_is_not_added(admin_client, monkeypatch):
    """Employee and welcome mail share one transaction: one never exists without the other."""
    from django.core.exceptions import ValidationError

    import mail.services

    def refuse(**kwargs):
        raise ValidationError({"to": ["The outbox refused this address."]})

    monkeypatch.setattr(mail.services, "queue_email", refuse)
    response = admin_client.post(reverse("accounts:employees"), NEW)
    assert response.status_code == 400
    assert "The outbox refused this address." in response.content.decode()
    assert not User.objects.filter(email="carol@acme.test").exists()
    assert OutboxMessage.objects.count() == 0
