"""handle_inbound_message called directly: the plain function under the SMTP listener."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail import inbound
from mail.inbound import MAX_BYTES, handle_inbound_message
from mail.tests.test_inbound_smtp import DOMAIN, GUEST, PLUS, reply_mail


@pytest.fixture
def domain(settings):
    settings.INBOUND_DOMAIN = DOMAIN
    return DOMAIN


def test_without_inbound_domain_everything_is_ignored_and_logged(settings, caplog):
    settings.INBOUND_DOMAIN = None
    caplog.set_level(logging.INFO, logger="mail.inbound")
    assert handle_inbound_message(reply_mail(), mail_from=GUEST, rcpt_tos=[PLUS]) == [
        "inbound-disabled"
    ]
    assert "reason=inbound-disabled" in caplog.text


def test_too_large_is_refused_before_parsing(domain, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="mail.inbound")
    parsed = []
    monkeypatch.setattr(inbound.inbound_parse, "extract_replies", lambda *a, **k: parsed.append(1))
    raw = reply_mail() + b"x" * (MAX_BYTES + 1)
    assert handle_inbound_message(raw, mail_from=GUEST, rcpt_tos=[PLUS]) == ["too-large"]
    assert parsed == []
    (record,) = [r for r in caplog.records if "reason=too-large" in r.getMessage()]
    assert record.levelno == logging.WARNING


def test_mail_to_an_address_without_a_token_is_ignored(domain, caplog):
    caplog.set_level(logging.INFO, logger="mail.inbound")
    to = f"hello@{DOMAIN}"
    assert handle_inbound_message(reply_mail(to=to), mail_from=GUEST, rcpt_tos=[to]) == ["no-token"]
    assert "reason=no-token" in caplog.text and "<reply-1@example.org>" in caplog.text


def test_the_envelope_not_the_headers_says_where_it_was_sent(domain, caplog):
    """A To: header naming a plus-address does not count when the envelope says otherwise."""
    other = f"hello@{DOMAIN}"
    assert handle_inbound_message(reply_mail(to=PLUS), mail_from=GUEST, rcpt_tos=[other]) == [
        "no-token"
    ]


@pytest.mark.django_db
def test_a_reply_is_applied_and_its_message_id_remembered(domain, owner):
    from events.models import Attendee, GuestReplyReceipt
    from mail.tests.test_inbound_smtp import _client_reply, _invite_gina

    event, _invitation, vevent = _invite_gina(owner)
    raw, address = _client_reply(
        vevent, "TENTATIVE", dtstamp="20260520T100000Z", message_id="<maybe@client.example>"
    )
    assert handle_inbound_message(raw, mail_from=GUEST, rcpt_tos=[address]) == ["applied"]
    gina = Attendee.objects.get(event=event, guest__email=GUEST)
    assert gina.status == Attendee.Status.TENTATIVE
    (receipt,) = GuestReplyReceipt.objects.filter(attendee=gina)
    assert receipt.message_id == "<maybe@client.example>"
    assert handle_inbound_message(raw, mail_from=GUEST, rcpt_tos=[address]) == ["duplicate"]


@pytest.mark.django_db
def test_an_unexpected_error_is_logged_not_raised(domain, monkeypatch, caplog):
    from mail import inbound_handlers

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setitem(inbound_handlers._HANDLERS, "reply", broken)
    caplog.set_level(logging.INFO, logger="mail.inbound")
    assert handle_inbound_message(reply_mail(), mail_from=GUEST, rcpt_tos=[PLUS]) == ["error"]
    assert "inbound mail failed unexpectedly" in caplog.text
    assert "database went away" in caplog.text


@given(
    raw=st.binary(max_size=4000),
    mail_from=st.text(max_size=50),
    rcpt=st.lists(st.text(max_size=80), max_size=4),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_never_raises_for_any_bytes(db, domain, raw, mail_from, rcpt):
    result = handle_inbound_message(raw, mail_from=mail_from, rcpt_tos=[*rcpt, PLUS])
    assert isinstance(result, list) and result and all(isinstance(r, str) for r in result)
    assert result != ["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", [b"<m\xffb@client.example>", b"<m\x00b@client.example>"])
def test_a_message_id_that_is_not_text_does_not_stop_the_reply(domain, owner, bad_id):
    from accounts.text import text_problem
    from events.models import Attendee, GuestReplyReceipt
    from mail.tests.test_inbound_smtp import _client_reply, _invite_gina

    event, _invitation, vevent = _invite_gina(owner)
    raw, address = _client_reply(
        vevent, "DECLINED", dtstamp="20260520T100000Z", message_id="<maybe@client.example>"
    )
    raw = raw.replace(b"<maybe@client.example>", bad_id)

    assert handle_inbound_message(raw, mail_from=GUEST, rcpt_tos=[address]) == ["applied"]
    gina = Attendee.objects.get(event=event, guest__email=GUEST)
    assert gina.status == Attendee.Status.DECLINED
    # What is remembered of the Message-ID is text (U+FFFD for a byte that is not), or
    # nothing.
    for receipt in GuestReplyReceipt.objects.filter(attendee=gina):
        assert text_problem(receipt.message_id) is None
