"""Fetching from an address someone typed: only where it may go, within time and size."""

from __future__ import annotations

import pytest

from sources import safe_http
from sources.safe_http import FetchError, fetch

from .conftest import Answer


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/feed.ics",
        "http://localhost:9/feed.ics",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]:9/feed.ics",
        "http://10.1.2.3/feed.ics",
        "http://192.168.0.10/feed.ics",
        "http://100.64.0.1/feed.ics",  # carrier-grade NAT
        "http://[::ffff:127.0.0.1]:9/feed.ics",
        "webcal://127.0.0.1:9/feed.ics",
    ],
)
def test_private_and_local_addresses_are_refused_before_connecting(settings, url):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(FetchError, match="private or local address"):
        fetch(url)


@pytest.mark.parametrize("url", ["ftp://example.org/x.ics", "file:///etc/passwd", "gopher://x/"])
def test_only_http_https_and_webcal(url):
    with pytest.raises(FetchError, match="Only http, https and webcal"):
        fetch(url)


def test_a_redirect_is_checked_again_where_it_leads(feeds, settings, monkeypatch):
    # The first hop must be allowed for the redirect to be seen at all, and here it can
    # only be loopback: the policy is narrowed to loopback (the network is real).
    settings.OUTBOUND_ALLOW_PRIVATE = False
    monkeypatch.setattr(safe_http, "_allowed", lambda address: address == "127.0.0.1")
    url = feeds.serve("/moved", Answer(302, headers={"Location": "http://10.0.0.1/feed.ics"}))
    with pytest.raises(FetchError, match=r"10\.0\.0\.1 is a private or local address"):
        fetch(url)
    url = feeds.serve("/loop", Answer(302, headers={"Location": "/loop"}))
    with pytest.raises(FetchError, match="redirects more than 3 times"):
        fetch(url)


def test_credentials_never_follow_a_redirect_to_another_origin(feeds):
    other = f"http://localhost:{feeds.port}/elsewhere"
    url = feeds.serve("/caldav", Answer(307, headers={"Location": other}))
    feeds.serve("/elsewhere", Answer(200, b"ok"))
    assert fetch(url, auth=("maria", "secret")).body == b"ok"
    (first, first_headers), (second, second_headers) = feeds.requests
    assert first == "/caldav" and "Authorization" in first_headers
    assert second == "/elsewhere" and "Authorization" not in second_headers


def test_a_server_that_hangs_or_sends_too_much_is_cut_off(feeds, monkeypatch):
    monkeypatch.setattr(safe_http, "TIMEOUT", 0.5)
    url = feeds.serve("/slow", Answer(200, b"x", delay=2))
    with pytest.raises(FetchError, match="did not answer within"):
        fetch(url)
    monkeypatch.setattr(safe_http, "MAX_BYTES", 1000)
    url = feeds.serve("/big", Answer(200, b"x" * 5000))
    with pytest.raises(FetchError, match="larger than"):
        fetch(url)
