"""App passwords: made on the settings page or by the API, shown once, the only way in
to CalDAV; and the hostile side of signing in there."""

from __future__ import annotations

import base64
import json
import plistlib
import re

import pytest
from django.core import signing
from django.test import override_settings
from django.urls import reverse

from dav import apple_profile
from dav.app_passwords import create_app_password
from dav.models import AppPassword

pytestmark = pytest.mark.django_db

PROPFIND = '<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>'


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def propfind(client, path: str, auth: str | None, body: str = PROPFIND, depth: str = "0"):
    extra = {"HTTP_DEPTH": depth}
    if auth is not None:
        extra["HTTP_AUTHORIZATION"] = auth
    return client.generic("PROPFIND", path, body.encode(), content_type="application/xml", **extra)


def test_made_on_the_page_shown_once_then_it_signs_a_calendar_app_in(client, owner):
    client.force_login(owner)
    page = client.get(reverse("dav:settings"))
    html = page.content.decode()
    assert "http://127.0.0.1:8000/dav/" in html or "/dav/" in html
    assert owner.email in html and "You have no app passwords yet." in html

    made = client.post(reverse("dav:app_password_create"), {"name": "Alice's iPhone"})
    assert made.status_code == 200 and "no-cache" in made["Cache-Control"]
    password = re.search(r'id="app-password" type="text" readonly value="([^"]+)"',
                         made.content.decode()).group(1)  # fmt: skip
    assert re.fullmatch(r"([a-z2-9]{4}-){6}[a-z2-9]{4}", password)
    row = AppPassword.objects.get(user=owner)
    assert password not in row.digest and password.replace("-", "") not in row.digest

    listed = client.get(reverse("dav:settings")).content.decode()
    assert "Alice&#x27;s iPhone" in listed and password not in listed

    client.logout()
    answer = propfind(client, "/dav/", basic(owner.email, password))
    assert answer.status_code == 207 and f"/dav/principals/{owner.pk}/".encode() in answer.content
    # Typed without the dashes, in capitals, with the e-mail in capitals: still in.
    typed = password.replace("-", "").upper()
    assert propfind(client, "/dav/", basic(owner.email.upper(), typed)).status_code == 207
    assert AppPassword.objects.get(pk=row.pk).last_used_at is not None

    client.force_login(owner)
    client.post(reverse("dav:app_password_revoke", args=[row.pk]))
    client.logout()
    assert propfind(client, "/dav/", basic(owner.email, password)).status_code == 401


def test_a_nameless_device_is_refused_with_the_reason(client, owner):
    client.force_login(owner)
    answer = client.post(reverse("dav:app_password_create"), {"name": "  "})
    assert answer.status_code == 400 and "This field is required." in answer.content.decode()
    assert not AppPassword.objects.exists()


def test_only_an_app_password_of_that_very_person_opens_caldav(client, owner, colleague):
    _row, password = create_app_password(owner, "Phone")
    challenge = propfind(client, "/dav/", None)
    assert challenge.status_code == 401 and "Basic" in challenge["WWW-Authenticate"]
    # The web password is never accepted here.
    owner.set_password("correct horse battery staple")
    owner.save()
    assert (
        propfind(client, "/dav/", basic(owner.email, "correct horse battery staple")).status_code
        == 401
    )
    # My password under a colleague's name opens nothing.
    assert propfind(client, "/dav/", basic(colleague.email, password)).status_code == 401
    # A browser session is no way in either (so no page can ride on it).
    client.force_login(owner)
    assert propfind(client, "/dav/", None).status_code == 401
    # Garbage in the header is the same challenge, not an error.
    assert propfind(client, "/dav/", "Basic !!!notbase64").status_code == 401
    assert propfind(client, "/dav/", "Bearer " + password).status_code == 401


def test_another_persons_calendar_is_the_404_of_a_missing_path(client, owner, colleague, stranger):
    _row, password = create_app_password(owner, "Phone")
    auth = basic(owner.email, password)
    missing = propfind(client, "/dav/calendars/999999/calendar/", auth)
    assert missing.status_code == 404
    for other in (colleague, stranger):
        for path in (f"/dav/calendars/{other.pk}/", f"/dav/calendars/{other.pk}/calendar/",
                     f"/dav/calendars/{other.pk}/calendar/x@y.ics"):  # fmt: skip
            answer = propfind(client, path, auth)
            assert answer.status_code == 404 and answer.content == missing.content, path
    # A colleague's principal says who they are (as the planner does); a stranger's is 404.
    stranger_principal = propfind(client, f"/dav/principals/{stranger.pk}/", auth)
    assert stranger_principal.status_code == 404 and stranger_principal.content == missing.content
    seen = propfind(client, f"/dav/principals/{colleague.pk}/", auth, PROPFIND.replace(
        "<d:current-user-principal/>", "<d:current-user-principal/><d:displayname/>"))  # fmt: skip
    assert seen.status_code == 207 and colleague.full_name.encode() in seen.content
    assert f"/dav/principals/{owner.pk}/".encode() in seen.content  # I am still me


@override_settings(DAV_FAILURES_PER_ACCOUNT=(3, 3600))
def test_guessing_is_slowed_down_even_for_the_right_password_afterwards(client, owner):
    _row, password = create_app_password(owner, "Phone")
    for _ in range(3):
        assert (
            propfind(client, "/dav/", basic(owner.email, "aaaa-" * 6 + "aaaa")).status_code == 401
        )
    blocked = propfind(client, "/dav/", basic(owner.email, password))
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0


def test_hostile_xml_is_refused_before_anything_is_expanded_or_fetched(client, owner, tmp_path):
    _row, password = create_app_password(owner, "Phone")
    auth = basic(owner.email, password)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    external = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>
<d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&x;</d:displayname></d:prop></d:propfind>"""
    laughs = """<?xml version="1.0"?>
<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&c;</d:displayname></d:prop></d:propfind>"""
    for body in (external, laughs, "<d:propfind", "x" * 1_000_001):
        answer = propfind(client, "/dav/", auth, body)
        assert answer.status_code == 400, body[:40]
        assert b"TOP-SECRET" not in answer.content and b"aaaaaaaaaa" not in answer.content
    assert propfind(client, "/dav/", auth, depth="infinity").status_code == 403


def test_a_client_cannot_make_or_remove_calendars(client, owner):
    _row, password = create_app_password(owner, "Phone")
    auth = basic(owner.email, password)
    calendar, home = f"/dav/calendars/{owner.pk}/calendar/", f"/dav/calendars/{owner.pk}/"
    for method, path in (("MKCALENDAR", calendar), ("DELETE", calendar), ("MKCOL", calendar),
                         ("PROPPATCH", home), ("MKCALENDAR", home + "second/")):  # fmt: skip
        answer = client.generic(method, path, b"", HTTP_AUTHORIZATION=auth)
        assert answer.status_code == 403 and b"need-privileges" in answer.content, (method, path)
    assert (
        client.generic("PROPFIND", home + "second/", b"", HTTP_AUTHORIZATION=auth).status_code
        == 404
    )


def test_the_api_makes_lists_and_revokes_app_passwords(client, owner, owner_token, colleague_token):
    def call(method, path, token, body=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(client, method)("/api/v1/app-passwords" + path, **kwargs)

    made = call("post", "", owner_token, {"name": "Laptop"})
    assert made.status_code == 201
    out = made.json()
    assert out["name"] == "Laptop" and out["username"] == owner.email
    assert out["server"].endswith("/dav/")
    assert propfind(client, "/dav/", basic(owner.email, out["password"])).status_code == 207

    listed = call("get", "", owner_token).json()
    assert [p["name"] for p in listed] == ["Laptop"] and "password" not in listed[0]
    assert call("get", "", colleague_token).json() == []
    assert call("post", "", owner_token, {"name": ""}).status_code in (400, 422)
    assert call("post", "", owner_token, {"name": "x", "admin": True}).status_code == 422
    assert call("delete", f"/{out['id']}", colleague_token).status_code == 404
    assert call("delete", f"/{out['id']}", owner_token).status_code == 204
    assert propfind(client, "/dav/", basic(owner.email, out["password"])).status_code == 401


def test_the_apple_profile_names_the_server_and_me_but_holds_no_password(client, owner):
    create_app_password(owner, "Phone")
    url = apple_profile.profile_url(owner)
    answer = client.get(url.removeprefix("http://127.0.0.1:8000").removeprefix("http://testserver"))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/x-apple-aspen-config"
    profile = plistlib.loads(answer.content)
    (account,) = profile["PayloadContent"]
    assert account["PayloadType"] == "com.apple.caldav.account"
    assert account["CalDAVUsername"] == owner.email
    assert account["CalDAVPrincipalURL"].endswith(f"/dav/principals/{owner.pk}/")
    assert not any("Password" in key for key in account)
    # The same identifiers again: installing twice replaces, not duplicates.
    assert plistlib.loads(client.get(answer.request["PATH_INFO"]).content) == profile

    missing = client.get("/no-such-page/")
    forged = signing.dumps(owner.pk, salt="something else", compress=True)
    for token in (forged, "x", url.rsplit("/", 1)[1].replace(".mobileconfig", "")[:-2] + "zz"):
        dead = client.get(reverse("dav:apple_profile", args=[token]))
        assert dead.status_code == 404 and dead.content == missing.content
