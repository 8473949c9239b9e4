"""Sender mailboxes: a 6-digit code proves the address; only confirmed mailboxes are used.

The code travels through the outbox like every other mail; these tests read it back out of
the queued message, exactly as the employee would read it in their inbox.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from events.exceptions import Conflict
from mail import senders
from mail.models import MailboxConfirmation, OutboxMessage, SenderMailbox

pytestmark = pytest.mark.django_db


def code_in(row: OutboxMessage) -> str:
    message = email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    found = re.findall(r"^\s+(\d{6})\s*$", body, re.M)
    assert len(found) == 1, body
    return found[0]


def last_code(address: str) -> str:
    rows = [r for r in OutboxMessage.objects.order_by("-id") if address in r.recipients]
    assert rows, f"no mail to {address}"
    return code_in(rows[0])


def add(user: User, email_address: str = "sales@acme.test", **kw) -> SenderMailbox:
    return senders.add_sender_mailbox(
        user, name=kw.pop("name", "Acme Sales"), email=email_address, **kw
    )


def confirmed(user: User, email_address: str = "sales@acme.test", **kw) -> SenderMailbox:
    mailbox = add(user, email_address, **kw)
    return senders.confirm_sender_mailbox(user, mailbox.pk, last_code(email_address))


# --------------------------------------------------------------------------- the code


def test_adding_a_mailbox_mails_a_six_digit_code_through_the_outbox(owner):
    mailbox = add(owner, "Sales@ACME.test")
    assert mailbox.email == "sales@acme.test"  # stored lower-case
    assert not mailbox.is_confirmed
    (row,) = OutboxMessage.objects.all()
    assert row.recipients == ["sales@acme.test"]
    code = code_in(row)
    assert re.fullmatch(r"\d{6}", code)
    message = email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert "Alice Owner" in body and "10 minutes" in body
    assert code in message["Subject"]


def test_the_code_is_stored_only_as_a_keyed_hash(owner):
    mailbox = add(owner)
    code = last_code("sales@acme.test")
    (confirmation,) = MailboxConfirmation.objects.filter(mailbox=mailbox)
    assert code not in confirmation.code_digest
    assert len(confirmation.code_digest) == 64
    # No column of any mailbox/confirmation row holds the code in clear.
    with connection.cursor() as cursor:
        for table in (SenderMailbox._meta.db_table, MailboxConfirmation._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")
            for row in cursor.fetchall():
                assert all(code not in str(value) for value in row), row
    # The hash is keyed: a plain SHA-256 of the code would be reversible by brute force.
    import hashlib

    assert confirmation.code_digest != hashlib.sha256(code.encode()).hexdigest()


def test_the_right_code_confirms_and_works_only_once(owner):
    mailbox = add(owner)
    code = last_code("sales@acme.test")
    result = senders.confirm_sender_mailbox(owner, mailbox.pk, f" {code[:3]} {code[3:]} ")
    assert result.is_confirmed
    assert MailboxConfirmation.objects.get(mailbox=mailbox).used_at is not None
    with pytest.raises(Conflict) as exc:
        senders.confirm_sender_mailbox(owner, mailbox.pk, code)
    assert exc.value.code == "already_confirmed"


def test_a_code_works_only_for_its_own_mailbox(owner):
    first = add(owner, "one@acme.test")
    second = add(owner, "two@acme.test")
    with pytest.raises(ValidationError) as exc:
        senders.confirm_sender_mailbox(owner, second.pk, last_code("one@acme.test"))
    assert "code" in exc.value.message_dict
    assert not SenderMailbox.objects.get(pk=second.pk).is_confirmed
    assert senders.confirm_sender_mailbox(owner, first.pk, last_code("one@acme.test"))


def test_five_wrong_tries_use_up_the_code_even_for_the_right_one_afterwards(owner):
    mailbox = add(owner)
    code = last_code("sales@acme.test")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    messages = []
    for _ in range(5):
        with pytest.raises(ValidationError) as exc:
            senders.confirm_sender_mailbox(owner, mailbox.pk, wrong)
        messages.append(exc.value.message_dict["code"][0])
    assert "4 tries left" in messages[0] and "1 try left" in messages[3]
    assert "last try" in messages[4]
    # Each wrong try was counted although the call failed.
    assert MailboxConfirmation.objects.get(mailbox=mailbox).attempts == 5
    with pytest.raises(ValidationError, match="Too many wrong tries"):
        senders.confirm_sender_mailbox(owner, mailbox.pk, code)
    assert not SenderMailbox.objects.get(pk=mailbox.pk).is_confirmed
    # A new code starts afresh.
    senders.resend_confirmation_code(owner, mailbox.pk)
    assert senders.confirm_sender_mailbox(owner, mailbox.pk, last_code("sales@acme.test"))


def test_a_malformed_code_is_refused_without_using_a_try(owner):
    mailbox = add(owner)
    for bad in ("12345", "1234567", "abcdef", "", None, "12 34 5x", "１２３４５６"):
        with pytest.raises(ValidationError) as exc:
            senders.confirm_sender_mailbox(owner, mailbox.pk, bad)
        assert exc.value.message_dict == {"code": ["Enter the 6-digit code from the e-mail."]}
    assert MailboxConfirmation.objects.get(mailbox=mailbox).attempts == 0


def test_the_code_expires_after_ten_minutes(owner, monkeypatch):
    sent = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: sent)
    mailbox = add(owner)
    code = last_code("sales@acme.test")
    other = add(owner, "other@acme.test")
    monkeypatch.setattr(timezone, "now", lambda: sent + dt.timedelta(minutes=9, seconds=59))
    senders.confirm_sender_mailbox(owner, other.pk, last_code("other@acme.test"))
    monkeypatch.setattr(timezone, "now", lambda: sent + dt.timedelta(minutes=10, seconds=1))
    with pytest.raises(ValidationError, match="expired"):
        senders.confirm_sender_mailbox(owner, mailbox.pk, code)
    assert not SenderMailbox.objects.get(pk=mailbox.pk).is_confirmed


def test_a_new_code_retires_the_old_one(owner):
    mailbox = add(owner)
    old = last_code("sales@acme.test")
    add(owner, name="Sales team", shared=True)  # adding again: new code, name and switch
    new = last_code("sales@acme.test")
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.shared) == ("Sales team", True)
    assert SenderMailbox.objects.filter(owner=owner).count() == 1
    if old != new:
        with pytest.raises(ValidationError):
            senders.confirm_sender_mailbox(owner, mailbox.pk, old)
    assert senders.confirm_sender_mailbox(owner, mailbox.pk, new).is_confirmed


def test_codes_per_mailbox_are_limited_per_hour(owner):
    mailbox = add(owner)
    for _ in range(senders.MAX_CODES_PER_HOUR - 1):
        senders.resend_confirmation_code(owner, mailbox.pk)
    before = OutboxMessage.objects.count()
    with pytest.raises(ValidationError, match="Too many codes"):
        senders.resend_confirmation_code(owner, mailbox.pk)
    assert OutboxMessage.objects.count() == before


def test_adding_a_confirmed_address_again_is_refused(owner):
    confirmed(owner)
    with pytest.raises(ValidationError) as exc:
        add(owner)
    assert "already added" in exc.value.message_dict["email"][0]


def test_resending_for_a_confirmed_mailbox_is_a_conflict(owner):
    mailbox = confirmed(owner)
    with pytest.raises(Conflict):
        senders.resend_confirmation_code(owner, mailbox.pk)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "", "email": "a@acme.test"}, "name"),
        ({"name": "Sales\r\nBcc: victim@evil.test", "email": "a@acme.test"}, "name"),
        ({"name": "x" * 201, "email": "a@acme.test"}, "name"),
        ({"name": "Sales", "email": "not an address"}, "email"),
        ({"name": "Sales", "email": "a@acme.test\r\nBcc: victim@evil.test"}, "email"),
        ({"name": "Sales", "email": "a@acme.test\x00"}, "email"),
        ({"name": "Sales", "email": ""}, "email"),
        ({"name": "Sales", "email": "a@acme.test", "shared": "yes"}, "shared"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(owner, fields, field):
    with pytest.raises(ValidationError) as exc:
        senders.add_sender_mailbox(owner, **fields)
    assert field in exc.value.message_dict
    assert not SenderMailbox.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_rolled_back_addition_sends_nothing(owner):
    with pytest.raises(RuntimeError), transaction.atomic():
        add(owner)
        raise RuntimeError("the surrounding change failed")
    assert not SenderMailbox.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_display_names_with_specials_make_a_valid_from_header(owner):
    mailbox = confirmed(owner, name='Zoë "Sales", Acme')
    assert mailbox.formatted.endswith("<sales@acme.test>")
    from mail.services import queue_email

    row = queue_email(to=["guest@example.org"], subject="s", text="t", from_email=mailbox.formatted)
    message = email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
    assert message["From"].addresses[0].display_name == 'Zoë "Sales", Acme'
    assert message["From"].addresses[0].addr_spec == "sales@acme.test"
    assert row.from_email == "sales@acme.test"


# --------------------------------------------------------------------------- who uses what


def test_unconfirmed_mailboxes_are_never_used(owner):
    add(owner)
    assert list(senders.usable_mailboxes(owner)) == []
    assert senders.sender_for(owner) is None
    with pytest.raises(ValidationError) as exc:
        senders.set_default_sender_mailbox(owner, SenderMailbox.objects.get().pk)
    assert "default_sender_mailbox_id" in exc.value.message_dict


def test_exactly_one_usable_mailbox_needs_no_choice(owner):
    mailbox = confirmed(owner)
    assert senders.sender_for(owner) == mailbox
    second = confirmed(owner, "ceo@acme.test")
    assert senders.sender_for(owner) is None  # two: the employee must choose
    senders.set_default_sender_mailbox(owner, second.pk)
    assert senders.sender_for(owner) == second
    senders.set_default_sender_mailbox(owner, None)
    assert senders.sender_for(owner) is None


def test_shared_mailbox_is_usable_by_colleagues_but_never_by_another_account(
    owner, colleague, stranger
):
    shared = confirmed(owner, shared=True)
    private = confirmed(owner, "alice@acme.test", name="Alice")
    assert list(senders.usable_mailboxes(colleague)) == [shared]
    assert senders.sender_for(colleague) == shared
    assert list(senders.visible_mailboxes(colleague)) == [shared]
    senders.set_default_sender_mailbox(colleague, shared.pk)
    assert User.objects.get(pk=colleague.pk).default_sender_mailbox_id == shared.pk
    with pytest.raises(ValidationError):
        senders.set_default_sender_mailbox(colleague, private.pk)

    assert list(senders.usable_mailboxes(stranger)) == []
    assert list(senders.visible_mailboxes(stranger)) == []
    assert senders.sender_for(stranger) is None
    for mailbox in (shared, private):
        with pytest.raises(ValidationError) as exc:
            senders.set_default_sender_mailbox(stranger, mailbox.pk)
        assert exc.value.message_dict == {
            "default_sender_mailbox_id": ["Choose one of your confirmed sender mailboxes."]
        }
        with pytest.raises(Http404):
            senders.delete_sender_mailbox(stranger, mailbox.pk)
        with pytest.raises(Http404):
            senders.confirm_sender_mailbox(stranger, mailbox.pk, "123456")
        with pytest.raises(Http404):
            senders.resend_confirmation_code(stranger, mailbox.pk)
    assert User.objects.get(pk=stranger.pk).default_sender_mailbox_id is None


def test_a_shared_mailbox_is_not_shared_before_it_is_confirmed(owner, colleague):
    add(owner, shared=True)
    assert list(senders.visible_mailboxes(colleague)) == []
    assert senders.sender_for(colleague) is None


def test_a_colleague_can_neither_confirm_nor_delete_someone_elses_mailbox(owner, colleague):
    pending = add(owner, "new@acme.test", shared=True)
    with pytest.raises(Http404):
        senders.confirm_sender_mailbox(colleague, pending.pk, last_code("new@acme.test"))
    shared = confirmed(owner, shared=True)
    with pytest.raises(PermissionDenied):
        senders.delete_sender_mailbox(colleague, shared.pk)
    with pytest.raises(Http404):
        senders.delete_sender_mailbox(colleague, pending.pk)
    assert SenderMailbox.objects.count() == 2


def test_deleting_a_mailbox_clears_it_as_everyones_default(owner, colleague):
    shared = confirmed(owner, shared=True)
    other = confirmed(owner, "alice@acme.test")
    senders.set_default_sender_mailbox(owner, shared.pk)
    senders.set_default_sender_mailbox(colleague, shared.pk)
    senders.delete_sender_mailbox(owner, shared.pk)
    assert not SenderMailbox.objects.filter(pk=shared.pk).exists()
    assert User.objects.get(pk=owner.pk).default_sender_mailbox_id is None
    assert User.objects.get(pk=colleague.pk).default_sender_mailbox_id is None
    assert senders.sender_for(owner) == other  # the only one left needs no choice
    assert senders.sender_for(colleague) is None


@pytest.mark.parametrize("bad", ["abc", 0, -1, 2**70, True, 1.5])
def test_odd_ids_are_refused_like_missing_ones(owner, bad):
    with pytest.raises(ValidationError):
        senders.set_default_sender_mailbox(owner, bad)
    with pytest.raises(Http404):
        senders.delete_sender_mailbox(owner, bad)
