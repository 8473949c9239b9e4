"""Booking link end to end in Chromium: switch on, book from a phone in another zone,
see the confirmation, find the meeting in the employee's week; and without JavaScript."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest

from booking.models import Booking, BookingLink
from booking.services import configure_link

from .conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixtures live there
from .test_calendar import no_horizontal_overflow, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
KATHMANDU = zoneinfo.ZoneInfo("Asia/Kathmandu")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Other tests in this process counted requests from 127.0.0.1 in the same cache."""
    from django.core.cache import cache

    cache.clear()


def open_first_free_day(page) -> None:
    """Click the first day with free times (this month, else the next)."""
    days = page.locator("a.day.has-slots")
    if days.count() == 0:
        page.get_by_role("link", name="Next month").click()
        days = page.locator("a.day.has-slots")
    days.first.click()


def test_switch_on_book_from_a_phone_and_find_it_in_the_week(
    browser, page, live_server, owner, screenshot_dir, settings
):
    settings.BASE_URL = live_server.url  # links in pages and mail point at this server
    # The employee switches the link on and copies it.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, live_server.url, owner, next_path="/booking/")
    page.get_by_role("button", name="Switch on").click()
    page.locator("#booking-url").wait_for(state="visible")
    link = page.locator("#booking-url").input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/b/[a-z2-7]{52}", link)
    assert page.locator("figure.qr svg").is_visible()
    page.get_by_role("button", name="Copy").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == link
    page.screenshot(path=str(screenshot_dir / "rendezvous-booking-settings.png"), full_page=True)

    # A visitor in Kathmandu opens it on a phone.
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Asia/Kathmandu",
    )
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    try:
        phone.goto(link)
        # The browser's zone, detected (Chromium reports the old name Asia/Katmandu).
        phone.wait_for_url(re.compile(r"tz=Asia%2FKath?mandu"))
        assert phone.locator("select#tz").input_value() == "Asia/Kathmandu"
        assert phone.get_by_role("heading", name="Book a meeting with Alice Owner").is_visible()
        open_first_free_day(phone)
        first_time = phone.locator("label.time").first
        shown = first_time.inner_text().strip()[:5]
        assert shown.endswith(":45")  # Berlin's full hours seen from +05:45
        first_time.click()
        phone.get_by_label("Full name").fill("Maria Rossi")
        phone.get_by_label("E-mail").fill("maria@example.org")
        phone.get_by_label("Comment (optional)").fill("About the offer")
        assert no_horizontal_overflow(phone)
        phone.screenshot(path=str(screenshot_dir / "rendezvous-booking-phone.png"), full_page=True)
        phone.get_by_role("button", name="Book this time").click()
        phone.wait_for_url(re.compile(r"/b/manage/[A-Za-z0-9_-]{43}/\?booked=1$"))
        assert phone.get_by_text("You're booked.").is_visible()
        assert phone.get_by_role("link", name="Add to Google Calendar").is_visible()
        assert phone.get_by_role("link", name=re.compile("Download .ics")).is_visible()
        assert no_horizontal_overflow(phone)
        phone.screenshot(path=str(screenshot_dir / "rendezvous-booking-done.png"), full_page=True)
    finally:
        context.close()

    booking = Booking.objects.select_related("event").get()
    assert booking.timezone == "Asia/Kathmandu"
    assert booking.start.astimezone(KATHMANDU).strftime("%H:%M") == shown

    # The meeting is in the employee's week, with its video link.
    local = booking.start.astimezone(BERLIN)
    monday = local.date() - dt.timedelta(days=local.weekday())
    page.goto(f"{live_server.url}/calendar/week/{monday.isoformat()}/")
    block = page.locator(
        f'.timeline[data-date="{local.date().isoformat()}"] a.event',
        has_text="Meeting with Maria Rossi",
    )
    assert block.is_visible()
    block.click()
    page.wait_for_url(f"{live_server.url}/calendar/events/{booking.event_id}/")
    page.get_by_role("heading", name="Meeting with Maria Rossi").wait_for(state="visible")
    assert page.get_by_text("Booked through your link").is_visible()
    assert page.get_by_role("link", name="Decline this meeting").is_visible()
    assert page.get_by_role("link", name="Edit").count() == 0
    page.screenshot(path=str(screenshot_dir / "rendezvous-booking-event.png"), full_page=True)
    assert page.get_by_role("link", name=booking.event.video_url).is_visible()


def test_booking_works_without_javascript(browser, live_server, owner):
    _link, token = configure_link(owner, {"min_notice_minutes": 0}, switch_on=True)
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/b/{token}")
        # No script: the owner's zone, changeable with a plain form.
        assert page.locator("select#tz").input_value() == "Europe/Berlin"
        page.locator("select#tz").select_option("America/New_York")
        page.get_by_role("button", name="Show").click()
        assert page.locator("select#tz").input_value() == "America/New_York"
        open_first_free_day(page)
        page.locator("label.time").first.click()
        page.get_by_label("Full name").fill("Noscript Visitor")
        page.get_by_label("E-mail").fill("noscript@example.org")
        page.get_by_role("button", name="Book this time").click()
        page.wait_for_url(re.compile(r"/b/manage/"))
        assert page.get_by_text("You're booked.").is_visible()
    finally:
        context.close()
    assert Booking.objects.get().timezone == "America/New_York"


def test_own_hours_are_editable_only_without_the_working_hours_and_saved_as_typed(
    page, live_server, owner
):
    sign_in(page, live_server.url, owner, next_path="/booking/")
    monday = page.get_by_label("Monday")
    working = page.get_by_label("Bookable during my working hours")
    assert working.is_checked()
    assert monday.is_disabled() and monday.input_value() == "09:00-18:00"
    working.uncheck()
    assert monday.is_enabled()
    monday.fill("9:00-12:30, 14-17")
    page.get_by_label("Tuesday").fill("9.00–10.30")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Your booking settings are saved.").wait_for()
    assert page.get_by_label("Monday").input_value() == "09:00-12:30, 14:00-17:00"
    assert page.get_by_label("Tuesday").input_value() == "09:00-10:30"
    link = BookingLink.objects.get(owner=owner)
    assert link.hours["mon"] == [["09:00", "12:30"], ["14:00", "17:00"]]
    # Ticked again, the typed hours are kept but greyed out: the working hours apply.
    page.get_by_label("Bookable during my working hours").check()
    assert page.get_by_label("Monday").is_disabled()
