"""mail.mime: what a reader parses back is what went in, for any value we may be handed."""

from __future__ import annotations

import email
import email.policy
import re
from email.header import decode_header, make_header
from email.message import EmailMessage as ParsedMessage

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.imip import IMipMessage
from mail.mime import MessageError, message_bytes

MESSAGE_ID = "<mime-test@rendezvous.test>"

# What a person may type into a name, a title or a file name: any printable text,
# quotes, brackets, encoded-word look-alikes, non-Latin scripts, emoji.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
    max_size=120,
) | st.sampled_from(
    [
        '"Ann <Sales> \\"Team\\""',
        "=?utf-8?b?SGk=?=",
        "Smith, Bo",
        "x" * 200,
        "Zażółć gęślą jaźń – 会議 📅",
        "a  b   c",
        "back\\slash",
    ]
)
BODY = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400) | st.just(
    "long line " * 300
)


def parse(raw: bytes) -> ParsedMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def lf(text: str) -> str:
    return re.sub(r"\r\n|\r", "\n", text)


def check_lines(raw: bytes) -> None:
    """No line past SMTP's limit; header lines within 78 unless one unbreakable word."""
    head, _sep, _body = raw.partition(b"\r\n\r\n")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    for line in head.split(b"\r\n"):
        assert line.strip(), "an empty header line would end the headers"
        assert len(line) <= 78 or b" " not in line.strip(), line


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=TEXT, name=TEXT, body=BODY, html=BODY, filename=TEXT, content=st.binary())
def test_what_goes_in_comes_back(subject, name, body, html, filename, content):
    filename = filename.strip() or "file.bin"
    if filename[0] == filename[-1] == '"':  # Python's reader takes such quotes off
        filename = f"x{filename}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email="Rendezvous <noreply@rendezvous.test>",
        to=[
            f'"{name.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}" <gina@example.org>'
        ],
        cc=["bo@münchen.example"],
        reply_to=["reply+tok@in.rendezvous.test"],
    )
    message.attach_alternative(html, "text/html")
    message.attach(filename, content, "application/octet-stream")
    raw = message_bytes(message, message_id=MESSAGE_ID)
    check_lines(raw)
    parsed = parse(raw)

    assert parsed["Subject"] == subject.strip()
    assert parsed["Message-ID"] == MESSAGE_ID
    (to,) = parsed["To"].addresses
    # Python's reader keeps the space between two encoded words of a name (RFC 2047
    # says to drop it; mail clients do): compared without spaces, and exactly below.
    assert "".join(to.display_name.split()) == "".join(name.split())
    assert to.addr_spec == "gina@example.org"
    assert [a.addr_spec for a in parsed["Cc"].addresses] == ["bo@xn--mnchen-3ya.example"]
    assert parsed["Bcc"] is None
    alternative, attachment = parsed.iter_parts()
    plain, rich = alternative.iter_parts() if body else (None, *alternative.iter_parts())
    if body:
        assert lf(plain.get_content()) == lf(body)
    assert lf(rich.get_content()) == lf(html)
    assert attachment.get_filename() == filename
    assert attachment.get_content() == content


def test_the_subject_starts_on_its_own_line():
    """Never "Subject:" and the text on the next line (shown with a leading space)."""
    for subject in ("Einladung: Präsentation der Ergebnisse des dritten Quartals " * 3, "x" * 90):
        message = EmailMessage(subject=subject, body="b", to=["a@b.example"])
        raw = message_bytes(message, message_id=MESSAGE_ID)
        line = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
        assert line.startswith(b"Subject: ") and len(line) > len(b"Subject: ")
        assert parse(raw)["Subject"] == subject.strip()


def test_plain_ascii_stays_readable_and_folds_at_spaces():
    subject = "Invitation: " + " ".join(f"word{n}" for n in range(30))
    raw = message_bytes(EmailMessage(subject, "b", to=["a@b.example"]), message_id=MESSAGE_ID)
    assert b"=?" not in raw.partition(b"\r\n\r\n")[0]
    assert parse(raw)["Subject"] == subject


def test_a_long_line_in_a_body_goes_quoted_printable():
    body = "Grüße " * 400
    raw = message_bytes(EmailMessage("s", body, to=["a@b.example"]), message_id=MESSAGE_ID)
    check_lines(raw)
    parsed = parse(raw)
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert lf(parsed.get_content()).rstrip("\n") == body


def test_short_utf8_lines_stay_8bit_as_django_writes_them():
    raw = message_bytes(EmailMessage("s", "Grüße\n", to=["a@b.example"]), message_id=MESSAGE_ID)
    assert parse(raw)["Content-Transfer-Encoding"] == "8bit"
    assert "Grüße\r\n".encode() in raw


def test_the_calendar_alternative_carries_its_method():
    message = IMipMessage(
        subject="s", body="b", to=["a@b.example"], from_email="o@x.example", itip_method="CANCEL"
    )
    message.attach_alternative("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    raw = message_bytes(message, message_id=MESSAGE_ID)
    assert b"\r\nContent-Type: text/calendar; method=CANCEL; charset=UTF-8\r\n" in raw


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Hello\r\nBcc: victim@example.org"),
        ("subject", "Hello\nX: y"),
        ("to", "gina@example.org\r\nBcc: victim@example.org"),
        ("to", "not an address"),
        ("to", "Ännchen@example.org"),
    ],
)
def test_what_cannot_be_a_header_is_refused_naming_it(field, value):
    arguments = {"subject": "s", "body": "b", "to": ["a@b.example"]}
    arguments[field] = [value] if field == "to" else value
    with pytest.raises(MessageError) as caught:
        message_bytes(EmailMessage(**arguments), message_id=MESSAGE_ID)
    assert caught.value.field == {"subject": "Subject", "to": "To"}[field]


def test_filenames_a_quoted_string_cannot_carry_use_rfc_2231():
    message = EmailMessage("s", "b", to=["a@b.example"])
    message.attach('Angebot "final" – Müller.pdf', b"%PDF", "application/pdf")
    raw = message_bytes(message, message_id=MESSAGE_ID)
    assert b"filename*=utf-8''Angebot%20%22final%22%20%E2%80%93%20M%C3%BCller.pdf" in raw
    (_body, attachment) = parse(raw).iter_parts()
    assert attachment.get_filename() == 'Angebot "final" – Müller.pdf'


def summary(part: ParsedMessage):
    """What a reader sees of a message, whoever wrote it."""
    if part.is_multipart():
        return (part.get_content_type(), [summary(child) for child in part.iter_parts()])
    content = part.get_content()
    return (
        part.get_content_type(),
        part.get_content_charset(),
        part.get_filename(),
        lf(content) if isinstance(content, str) else content,
    )


def people(value) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in value.addresses] if value else []


@pytest.mark.parametrize("variant", ["plain", "html", "attachments", "html+attachments"])
def test_agrees_with_djangos_own_writer(variant):
    """The same message written by Django (through ``email``) and by us reads the same."""
    message = EmailMultiAlternatives(
        subject="Rückfrage: “Angebot” für Müller, Smith & Co.",
        body="Hallo Gina,\n\ndanke – bis Montag.\n",
        from_email='"Müller, Anna" <anna@acme.test>',
        to=["Gina Guest <gina@example.org>", "bo@example.org"],
        cc=['"Smith, Bo" <bo.smith@example.org>'],
        reply_to=["Anna <reply+x@in.acme.test>"],
        headers={"X-Rendezvous-Event": "evt-1", "Auto-Submitted": "auto-generated"},
    )
    if "html" in variant:
        message.attach_alternative("<p>Hallo <b>Gina</b></p>", "text/html")
    if "attachments" in variant:
        message.attach("agenda.pdf", b"%PDF-1.4\x00\xff", "application/pdf")
        message.attach("notes.txt", "a;b\nÜbersicht", "text/plain")
    ours = parse(message_bytes(message, message_id=MESSAGE_ID))
    message.extra_headers["Message-ID"] = MESSAGE_ID
    django = parse(message.message().as_bytes(linesep="\r\n"))

    assert summary(ours) == summary(django)
    for header in ("X-Rendezvous-Event", "Auto-Submitted", "Message-ID"):
        assert ours[header] == django[header]
    # Django folds this Subject right after the colon: readers show a leading space.
    assert django["Subject"] == " " + message.subject
    assert ours["Subject"] == message.subject
    for header in ("From", "To", "Cc", "Reply-To"):
        assert people(ours[header]) == people(django[header])
    assert ours["MIME-Version"] == "1.0"


def test_a_long_name_splits_after_its_spaces():
    name = "Zażółć Gęślą Jaźń Müller-Lüdenscheidt Ørsted"
    raw = message_bytes(
        EmailMessage("s", "b", to=[f"{name} <z@example.org>"]), message_id=MESSAGE_ID
    )
    check_lines(raw)
    assert raw.count(b"=?utf-8?b?") > 1
    assert str(make_header(decode_header(raw.split(b"To: ")[1].split(b" <")[0].decode()))) == name
    assert " ".join(parse(raw)["To"].addresses[0].display_name.split()) == name


def test_addresses_keep_their_order_and_names():
    message = EmailMessage(
        "s",
        "b",
        to=[f'"Guest, Number {n}" <guest{n}@example.org>' for n in range(12)],
    )
    raw = message_bytes(message, message_id=MESSAGE_ID)
    check_lines(raw)
    assert people(parse(raw)["To"]) == [
        (f"Guest, Number {n}", f"guest{n}@example.org") for n in range(12)
    ]
