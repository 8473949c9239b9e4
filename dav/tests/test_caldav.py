"""The CalDAV server spoken to as a client does: raw requests, checked answers."""

from __future__ import annotations

import base64
import datetime as dt
import zoneinfo
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from dav.app_passwords import create_app_password
from dav.davxml import CALDAV, CS, DAV, tag
from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.services import event_create, event_update
from mail.ical import parse_calendar

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def soon(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.now().astimezone(BERLIN).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def basic(user, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user.email}:{password}".encode()).decode()


@pytest.fixture
def owner_auth(owner) -> str:
    _row, password = create_app_password(owner, "Phone")
    return basic(owner, password)


def dav(
    client, method: str, path: str, auth: str, body: str = "", depth: str | None = None, **headers
):
    extra = {"HTTP_AUTHORIZATION": auth, **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    if depth is not None:
        extra["HTTP_DEPTH"] = depth
    return client.generic(method, path, body.encode(), content_type="application/xml", **extra)


def responses(answer) -> dict[str, ET.Element]:
    assert answer.status_code == 207, answer.content
    root = ET.fromstring(answer.content)
    return {r.findtext(tag(DAV, "href")): r for r in root.findall(tag(DAV, "response"))}


def prop(response: ET.Element, namespace: str, name: str) -> ET.Element | None:
    for propstat in response.findall(tag(DAV, "propstat")):
        if "200" in propstat.findtext(tag(DAV, "status")):
            found = propstat.find(f"{tag(DAV, 'prop')}/{tag(namespace, name)}")
            if found is not None:
                return found
    return None


PROPFIND = """<?xml version="1.0"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">
  <d:prop>{}</d:prop>
</d:propfind>"""


def test_discovery_leads_from_the_well_known_address_to_my_calendar(client, owner, owner_auth):
    answer = client.generic("PROPFIND", "/.well-known/caldav", HTTP_AUTHORIZATION=owner_auth)
    assert answer.status_code == 301 and answer["Location"] == "/dav/"

    found = responses(dav(client, "PROPFIND", "/dav/", owner_auth,
                          PROPFIND.format("<d:current-user-principal/>"), depth="0"))  # fmt: skip
    principal = prop(found["/dav/"], DAV, "current-user-principal").findtext(tag(DAV, "href"))
    assert principal == f"/dav/principals/{owner.pk}/"

    found = responses(dav(client, "PROPFIND", principal, owner_auth, PROPFIND.format(
        "<c:calendar-home-set/><c:calendar-user-address-set/><d:displayname/>"), depth="0"))  # fmt: skip
    me = found[principal]
    home = prop(me, CALDAV, "calendar-home-set").findtext(tag(DAV, "href"))
    addresses = [h.text for h in prop(me, CALDAV, "calendar-user-address-set")]
    assert f"mailto:{owner.email}" in addresses

    found = responses(dav(client, "PROPFIND", home, owner_auth, PROPFIND.format(
        "<d:resourcetype/><c:supported-calendar-component-set/><cs:getctag/><d:sync-token/>"
    ), depth="1"))  # fmt: skip
    calendars = [
        href for href, r in found.items()
        if prop(r, DAV, "resourcetype") is not None
        and prop(r, DAV, "resourcetype").find(tag(CALDAV, "calendar")) is not None
    ]  # fmt: skip
    assert calendars == [f"/dav/calendars/{owner.pk}/calendar/"]
    calendar = found[calendars[0]]
    assert [c.get("name") for c in prop(calendar, CALDAV, "supported-calendar-component-set")] == [
        "VEVENT"
    ]
    assert prop(calendar, CS, "getctag").text
    assert prop(calendar, DAV, "sync-token").text.startswith("urn:")


def calendar_path(user) -> str:
    return f"/dav/calendars/{user.pk}/calendar/"


QUERY = """<?xml version="1.0"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">
    <c:time-range start="{start}" end="{end}"/>
  </c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>"""


def utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def test_a_time_range_query_finds_the_series_by_its_occurrences_not_by_its_span(
    client, owner, colleague, owner_auth
):
    weekly = event_create(owner, title="Stand-up", start=soon(1, 9), end=soon(1, 10),
                          timezone="Europe/Berlin", recurrence="FREQ=WEEKLY")  # fmt: skip
    event_update(weekly, owner, scope="this", occurrence=soon(8, 9), title="Stand-up (moved)")
    invited = event_create(colleague, title="Colleague's", start=soon(3), end=soon(3, 11),
                           attendee_ids=[owner.pk])  # fmt: skip
    attendee_respond(invited, owner, "accepted")
    event_create(owner, title="Far away", start=soon(40), end=soon(40, 11))
    event_create(colleague, title="Not mine", start=soon(3), end=soon(3, 11))

    # Days 2 to 4: no occurrence of the series (they fall on days 1, 8, ...), one event.
    body = QUERY.format(start=utc(soon(2, 0)), end=utc(soon(5, 0)))
    found = responses(dav(client, "REPORT", calendar_path(owner), owner_auth, body, depth="1"))
    assert len(found) == 1
    (only,) = found.values()
    text = prop(only, CALDAV, "calendar-data").text
    (vevent,) = [c for c in parse_calendar(text.encode()).walk() if c.name == "VEVENT"]
    assert str(vevent["SUMMARY"]) == "Colleague's"
    assert prop(only, DAV, "getetag").text.startswith('"')

    # Days 7 to 9: the series, as its master and its changed date in one object.
    body = QUERY.format(start=utc(soon(7, 0)), end=utc(soon(9, 0)))
    found = responses(dav(client, "REPORT", calendar_path(owner), owner_auth, body, depth="1"))
    (only,) = found.values()
    calendar = parse_calendar(prop(only, CALDAV, "calendar-data").text.encode())
    summaries = sorted(str(c["SUMMARY"]) for c in calendar.walk() if c.name == "VEVENT")
    assert summaries == ["Stand-up", "Stand-up (moved)"]
    assert weekly.uid in next(iter(found))


def test_get_multiget_and_etags_follow_changes(client, owner, owner_auth):
    event = event_create(owner, title="Review", start=soon(3), end=soon(3, 11))
    path = calendar_path(owner) + f"{event.uid}.ics"
    first = client.get(path, HTTP_AUTHORIZATION=owner_auth)
    assert first.status_code == 200 and first["Content-Type"].startswith("text/calendar")
    assert b"SUMMARY:Review" in first.content
    again = client.get(path, HTTP_AUTHORIZATION=owner_auth, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304

    event_update(event, owner, title="Review, moved")
    changed = client.get(path, HTTP_AUTHORIZATION=owner_auth, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]

    body = f"""<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
      <d:prop><d:getetag/><c:calendar-data/></d:prop>
      <d:href>{path}</d:href><d:href>{calendar_path(owner)}nobody@example.com.ics</d:href>
    </c:calendar-multiget>"""
    found = responses(dav(client, "REPORT", calendar_path(owner), owner_auth, body, depth="1"))
    assert prop(found[path], DAV, "getetag").text == changed["ETag"]
    assert "SUMMARY:Review\\, moved" in prop(found[path], CALDAV, "calendar-data").text
    missing = found[f"{calendar_path(owner)}nobody@example.com.ics"]
    assert "404" in missing.findtext(tag(DAV, "status"))


SYNC = """<d:sync-collection xmlns:d="DAV:"><d:sync-token>{}</d:sync-token>
<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"""


def sync(client, user, auth, token: str = "") -> tuple[dict, str]:
    answer = dav(client, "REPORT", calendar_path(user), auth, SYNC.format(token))
    root = ET.fromstring(answer.content)
    assert answer.status_code == 207, answer.content
    found = {
        r.findtext(tag(DAV, "href")).rsplit("/", 1)[1]: (
            "gone" if "404" in (r.findtext(tag(DAV, "status")) or "") else "changed"
        )
        for r in root.findall(tag(DAV, "response"))
    }
    return found, root.findtext(tag(DAV, "sync-token"))


def test_sync_collection_reports_only_what_changed_and_what_left(
    client, owner, colleague, owner_auth
):
    mine = event_create(owner, title="Mine", start=soon(3), end=soon(3, 11))
    theirs = event_create(colleague, title="Theirs", start=soon(4), end=soon(4, 11),
                          attendee_ids=[owner.pk])  # fmt: skip
    quiet = event_create(owner, title="Quiet", start=soon(5), end=soon(5, 11))
    everything, token = sync(client, owner, owner_auth)
    assert everything == {f"{e.uid}.ics": "changed" for e in (mine, theirs, quiet)}

    same, same_token = sync(client, owner, owner_auth, token)
    assert same == {} and same_token == token

    event_update(mine, owner, title="Mine, renamed")
    event_update(theirs, colleague, attendee_ids=[])  # I am no longer invited
    added = event_create(owner, title="New", start=soon(6), end=soon(6, 11))
    changes, newer = sync(client, owner, owner_auth, token)
    assert changes == {
        f"{mine.uid}.ics": "changed",
        f"{added.uid}.ics": "changed",
        f"{theirs.uid}.ics": "gone",
    }
    assert newer != token

    event_cancel(quiet, owner)
    attendee_respond_count = sync(client, owner, owner_auth, newer)[0]
    assert attendee_respond_count == {f"{quiet.uid}.ics": "gone"}

    bad = dav(client, "REPORT", calendar_path(owner), owner_auth, SYNC.format("urn:x:nonsense"))
    assert bad.status_code == 403 and b"valid-sync-token" in bad.content


def test_free_busy_query_gives_busy_periods_only(client, owner, owner_auth):
    event_create(owner, title="Secret talks", start=soon(3), end=soon(3, 11))
    body = f"""<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav">
      <c:time-range start="{utc(soon(3, 0))}" end="{utc(soon(4, 0))}"/></c:free-busy-query>"""
    answer = dav(client, "REPORT", calendar_path(owner), owner_auth, body, depth="1")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    assert b"Secret" not in answer.content
    (freebusy,) = [c for c in parse_calendar(answer.content).walk() if c.name == "VFREEBUSY"]
    periods = freebusy.get("FREEBUSY")
    periods = periods if isinstance(periods, list) else [periods]
    (period,) = [value.dt for value in periods]
    assert period == (soon(3).astimezone(dt.UTC), soon(3, 11).astimezone(dt.UTC))


def query(client, user, auth, filter_xml: str) -> set[str]:
    body = f"""<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
      <d:prop><d:getetag/></d:prop><c:filter>{filter_xml}</c:filter></c:calendar-query>"""
    found = responses(dav(client, "REPORT", calendar_path(user), auth, body, depth="1"))
    return {href.rsplit("/", 1)[1].removesuffix(".ics") for href in found}


def test_queries_filter_exactly_on_text_absence_and_components(client, owner, owner_auth):
    review = event_create(owner, title="Budget review", start=soon(3), end=soon(3, 11),
                          location="Room 4")  # fmt: skip
    lunch = event_create(owner, title="Lunch", start=soon(4), end=soon(4, 11))
    weekly = event_create(owner, title="Stand-up", start=soon(1, 9), end=soon(1, 10),
                          timezone="Europe/Berlin", recurrence="FREQ=WEEKLY")  # fmt: skip
    everything = {review.uid, lunch.uid, weekly.uid}

    def text(value: str, **attrs) -> str:
        extra = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        return (f'<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
                f'<c:prop-filter name="SUMMARY"><c:text-match {extra}>{value}</c:text-match>'
                f"</c:prop-filter></c:comp-filter></c:comp-filter>")  # fmt: skip

    assert query(client, owner, owner_auth, text("BUDGET")) == {review.uid}
    assert query(client, owner, owner_auth, text("BUDGET", collation="i;octet")) == set()
    assert query(client, owner, owner_auth, text("Lunch", match_type="equals")) == {lunch.uid}
    assert query(client, owner, owner_auth, text("u", negate_condition="yes")) == set()
    no_place = ('<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
                '<c:prop-filter name="LOCATION"><c:is-not-defined/></c:prop-filter>'
                "</c:comp-filter></c:comp-filter>")  # fmt: skip
    assert query(client, owner, owner_auth, no_place) == {lunch.uid, weekly.uid}
    tasks = '<c:comp-filter name="VCALENDAR"><c:comp-filter name="VTODO"/></c:comp-filter>'
    assert query(client, owner, owner_auth, tasks) == set()
    alarms = ('<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
              '<c:comp-filter name="VALARM"/></c:comp-filter></c:comp-filter>')  # fmt: skip
    assert query(client, owner, owner_auth, alarms) == set()
    # Without a component type the events are meant (as common servers read it).
    loose = ('<c:comp-filter name="VCALENDAR"><c:prop-filter name="SUMMARY">'
             "<c:text-match>stand</c:text-match></c:prop-filter></c:comp-filter>")  # fmt: skip
    assert query(client, owner, owner_auth, loose) == {weekly.uid}
    # All of time: the open series is found by its occurrences, 150 years on.
    far = ('<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
           '<c:time-range start="21700101T000000Z"/></c:comp-filter></c:comp-filter>')  # fmt: skip
    assert query(client, owner, owner_auth, far) == {weekly.uid}
    every = ('<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
             '<c:time-range start="19000101T000000Z" end="22000101T000000Z"/>'
             "</c:comp-filter></c:comp-filter>")  # fmt: skip
    assert query(client, owner, owner_auth, every) == everything

    body = f"""<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
      <d:prop><d:getetag/></d:prop><c:filter>{text("x", collation="i;klingon")}</c:filter>
    </c:calendar-query>"""
    refused = dav(client, "REPORT", calendar_path(owner), owner_auth, body, depth="1")
    assert refused.status_code == 403 and b"supported-collation" in refused.content


PATCH = """<d:propertyupdate xmlns:d="DAV:" xmlns:ical="http://apple.com/ns/ical/">
  <d:set><d:prop>{}</d:prop></d:set></d:propertyupdate>"""


def test_a_calendar_app_names_and_colours_the_calendar_for_every_device(
    client, owner, owner_auth, colleague
):
    path = calendar_path(owner)
    body = PATCH.format("<d:displayname>Work</d:displayname>"
                        "<ical:calendar-color>#ff2968ff</ical:calendar-color>"
                        "<ical:calendar-order>3</ical:calendar-order>")  # fmt: skip
    answer = dav(client, "PROPPATCH", path, owner_auth, body)
    assert answer.status_code == 207 and answer.content.count(b"200 OK") == 3
    found = responses(dav(client, "PROPFIND", path, owner_auth, PROPFIND.format(
        '<d:displayname/><x:calendar-color xmlns:x="http://apple.com/ns/ical/"/>'), depth="0"))  # fmt: skip
    (mine,) = found.values()
    assert prop(mine, DAV, "displayname").text == "Work"
    assert prop(mine, "http://apple.com/ns/ical/", "calendar-color").text == "#FF2968FF"

    # All or nothing: a bad colour fails, the good name beside it is not taken (424).
    bad = PATCH.format("<d:displayname>Other</d:displayname>"
                       "<ical:calendar-color>red; background:url(x)</ical:calendar-color>")  # fmt: skip
    answer = dav(client, "PROPPATCH", path, owner_auth, bad)
    assert b"424 Failed Dependency" in answer.content and b"409 Conflict" in answer.content
    # What Rendezvous says about the calendar cannot be set.
    protected = PATCH.format("<d:resourcetype/><d:sync-token>x</d:sync-token>")
    answer = dav(client, "PROPPATCH", path, owner_auth, protected)
    assert answer.content.count(b"cannot-modify-protected-property") == 2
    found = responses(dav(client, "PROPFIND", path, owner_auth,
                          PROPFIND.format("<d:displayname/>"), depth="0"))  # fmt: skip
    assert prop(next(iter(found.values())), DAV, "displayname").text == "Work"
    # Each person's own: the colleague's calendar keeps its name.
    other = basic(colleague, create_app_password(colleague, "Phone")[1])
    found = responses(dav(client, "PROPFIND", calendar_path(colleague), other,
                          PROPFIND.format("<d:displayname/>"), depth="0"))  # fmt: skip
    assert prop(next(iter(found.values())), DAV, "displayname").text == "Rendezvous"


def test_a_sync_cut_short_by_the_clients_limit_sends_the_rest_next_time(client, owner, owner_auth):
    made = [event_create(owner, title=f"E{n}", start=soon(3 + n), end=soon(3 + n, 11))
            for n in range(3)]  # fmt: skip
    body = """<d:sync-collection xmlns:d="DAV:"><d:sync-token>{}</d:sync-token>
      <d:sync-level>1</d:sync-level><d:limit><d:nresults>2</d:nresults></d:limit>
      <d:prop><d:getetag/></d:prop></d:sync-collection>"""
    first = dav(client, "REPORT", calendar_path(owner), owner_auth, body.format(""))
    root = ET.fromstring(first.content)
    statuses = [r.findtext(tag(DAV, "status")) or "200" for r in root.findall(tag(DAV, "response"))]
    assert len(statuses) == 3 and sum("507" in s for s in statuses) == 1
    token = root.findtext(tag(DAV, "sync-token"))
    rest, newer = sync(client, owner, owner_auth, token)
    sent_first = {
        r.findtext(tag(DAV, "href")).rsplit("/", 1)[1] for r in root.findall(tag(DAV, "response"))
    }
    assert len(rest) == 1 and set(rest) | sent_first >= {f"{e.uid}.ics" for e in made}
    assert sync(client, owner, owner_auth, newer)[0] == {}


def test_colleagues_are_found_by_name_or_address_and_strangers_never(
    client, owner, colleague, stranger, owner_auth
):
    def search(text: str, prop: str = "<d:displayname/>") -> set[str]:
        body = f"""<d:principal-property-search xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
          <d:property-search><d:prop>{prop}</d:prop><d:match>{text}</d:match></d:property-search>
          <d:prop><d:displayname/><c:calendar-user-address-set/></d:prop>
        </d:principal-property-search>"""
        return set(
            responses(dav(client, "REPORT", "/dav/principals/", owner_auth, body, depth="0"))
        )

    bob = f"/dav/principals/{colleague.pk}/"
    assert search(colleague.full_name.split()[0].upper()) == {bob}
    assert search(colleague.email.split("@")[0], "<c:calendar-user-address-set/>") == {bob}
    assert search(stranger.full_name.split()[0]) == set()
    assert search(stranger.email, "<c:calendar-user-address-set/>") == set()
    everyone = search("")
    assert bob in everyone and f"/dav/principals/{owner.pk}/" in everyone
    assert f"/dav/principals/{stranger.pk}/" not in everyone
