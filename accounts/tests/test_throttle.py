"""Sign-in and password-reset budgets: a guessing run stops, the right password included,
and nothing tells which addresses are accounts."""

from __future__ import annotations

import re

from django.urls import reverse

from conftest import PASSWORD
from mail.models import OutboxMessage

SIGNIN = "accounts:login"
RESET = "accounts:password_reset"
WAIT = re.compile(r"Too many failed sign-ins\. Try again in \d+ minutes?\.")


def sign_in(client, email: str, password: str, address: str = "192.0.2.1"):
    return client.post(
        reverse(SIGNIN), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_after_ten_failures_even_the_right_password_waits(client, owner, settings):
    settings.SIGNIN_FAILURES_PER_ACCOUNT = (10, 3600)
    for _ in range(10):
        assert "Please enter a correct" in sign_in(client, owner.email, "wrong").content.decode()

    response = sign_in(client, owner.email, PASSWORD)

    assert response.status_code == 200
    assert WAIT.search(response.content.decode())
    assert "_auth_user_id" not in client.session


def test_an_unknown_address_gets_the_same_answers(client, owner):
    answers = set()
    for email in (owner.email, "nobody@acme.test"):
        for _ in range(11):
            body = sign_in(client, email, "wrong", address=f"192.0.2.{len(email)}").content
        form = body.decode().split("<form", 1)[1].replace(email, "EMAIL")
        answers.add(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", form))
    assert len(answers) == 1
    assert "Too many failed sign-ins" in answers.pop()


def test_one_address_guessing_many_accounts_is_stopped(client, owner, colleague, settings):
    settings.SIGNIN_FAILURES_PER_ADDRESS = (5, 3600)
    for n in range(5):
        sign_in(client, f"guess{n}@acme.test", "wrong")

    response = sign_in(client, colleague.email, PASSWORD)

    assert "Too many failed sign-ins" in response.content.decode()
    # Another address is not affected.
    assert sign_in(client, colleague.email, PASSWORD, address="198.51.100.7").status_code == 302


def test_successful_sign_ins_do_not_count(client, owner, settings):
    settings.SIGNIN_FAILURES_PER_ACCOUNT = (2, 3600)
    for _ in range(5):
        assert sign_in(client, owner.email, PASSWORD).status_code == 302
        client.logout()


def test_password_reset_requests_have_a_budget(client, owner, settings):
    settings.PASSWORD_RESETS_PER_ACCOUNT = (3, 3600)
    for _ in range(3):
        response = client.post(reverse(RESET), {"email": owner.email})
        assert response.status_code == 302
    mails = OutboxMessage.objects.count()

    response = client.post(reverse(RESET), {"email": owner.email})

    assert response.status_code == 200
    assert re.search(
        r"Too many password-reset requests\. Try again in \d+ minutes?\.",
        response.content.decode(),
    )
    assert OutboxMessage.objects.count() == mails
