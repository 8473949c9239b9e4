"""Any printable name works wherever it is shown or mailed: quoted in headers, escaped in
pages, a parameter value in the calendar (issue 10: "Ann <Sales>" once broke things)."""

from __future__ import annotations

from events.services import event_create
from events.tests.guest_helpers import at, calendar_of, html_body, mails_to, make_mailbox

NAME = 'Ann "Boss" <Sales>, Ltd.'
GUEST = {"email": "gina@client.example", "first_name": "Gina <G>", "last_name": '"Guest"'}


def test_names_with_brackets_quotes_and_commas_survive_every_header(owner):
    owner.full_name = NAME
    owner.save()
    make_mailbox(owner, name=NAME)

    event_create(
        owner, title="Review", start=at(1, 10), end=at(1, 11), timezone="Europe/Berlin",
        guests=[GUEST],
    )  # fmt: skip

    (message,) = mails_to(GUEST["email"])
    assert message["From"].addresses[0].display_name == NAME
    assert message["To"].addresses[0].display_name == 'Gina <G> "Guest"'
    assert message["To"].addresses[0].addr_spec == GUEST["email"]
    assert "Ann &quot;Boss&quot; &lt;Sales&gt;" in html_body(message)
    vevent = calendar_of(message).walk("VEVENT")[0]
    assert str(vevent["ORGANIZER"]).startswith("mailto:")
    # In the calendar a double quote cannot be a parameter's (RFC 6868's ^' is shown as
    # is by Outlook and Gmail): it becomes an apostrophe there, and only there.
    assert vevent["ORGANIZER"].params["CN"] == NAME.replace('"', "'")
