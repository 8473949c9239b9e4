"""Planner in Chromium: pick three colleagues, find a time, open the prefilled event form."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import PASSWORD
from planner.tests.conftest import (
    BERLIN,
    FIRST_TEN_HOUR_SLOTS,
    berlin_slots,
    future_monday,
    hours,
    known_week,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = future_monday()


@pytest.fixture
def team(owner, colleague, acme):
    from accounts.models import User

    owner.working_hours = hours("09:00", "17:00")
    owner.save()
    colleague.working_hours = hours("08:00", "16:00")
    colleague.save()
    carol = User.objects.create_user(
        "carol@acme.test",
        PASSWORD,
        account=acme,
        full_name="Carol Third",
        timezone="Europe/London",
        working_hours=hours("10:00", "18:00", wed=[["10:00", "15:30"]]),
    )
    known_week(owner, colleague, carol, MONDAY)
    return owner, colleague, carol


def sign_in(page, base_url: str, user, next_path: str) -> None:
    page.goto(base_url + next_path)
    assert "/accounts/signin/" in page.url
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + next_path)


def test_find_a_time_and_open_the_event_form(page, live_server, team, screenshot_dir):
    alice, bob, carol = team
    sign_in(page, live_server.url, alice, "/planner/")
    me = page.get_by_label(f"{alice.full_name} ({alice.timezone})")
    assert me.is_checked()  # me, checked by default
    page.get_by_label(f"{bob.full_name} ({bob.timezone})").check()
    page.get_by_label(f"{carol.full_name} ({carol.timezone})").check()
    page.get_by_label("Date").fill(MONDAY.isoformat())
    page.get_by_label("Week").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector(f'section.planner-day[data-date="{MONDAY.isoformat()}"]')
    assert page.locator("section.planner-day").count() == 7
    monday = page.locator(f'section.planner-day[data-date="{MONDAY.isoformat()}"]')
    assert monday.locator(".planner-row[data-user]").count() == 3
    # My own event by name; Carol's appointment only as busy time.
    assert monday.get_by_text("Alice 1:1").is_visible()
    carol_row = monday.locator(f'.planner-row[data-user="{carol.pk}"]')
    assert carol_row.locator(".busy").first.inner_text().startswith("busy")
    assert "dentist" not in page.content()
    # Bob's working hours (08:00-16:00 New York) sit at 14:00-22:00 on my Berlin grid.
    work = monday.locator(f'.planner-row[data-user="{bob.pk}"] .work').bounding_box()
    scale = monday.locator(".planner-scale span")
    fourteen = scale.get_by_text("14", exact=True).bounding_box()
    twenty_two = scale.get_by_text("22", exact=True).bounding_box()
    assert abs(work["x"] - fourteen["x"]) <= 2
    assert abs(work["x"] + work["width"] - twenty_two["x"]) <= 2
    page.screenshot(path=str(screenshot_dir / "rendezvous-planner-week.png"), full_page=True)

    page.get_by_label("Length (minutes)").fill("60")
    page.get_by_label("From").fill(MONDAY.isoformat())
    page.get_by_label("To").fill((MONDAY + dt.timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Find a time").click()
    slots = page.locator(".planner-slots ol.slots a")
    slots.first.wait_for()
    expected = berlin_slots(MONDAY, FIRST_TEN_HOUR_SLOTS, 60)
    assert slots.count() == 5  # the first time of each day, Monday to Friday
    first_start, first_end = expected[0]
    local_start = first_start.astimezone(BERLIN)
    assert slots.first.inner_text() == (
        f"{local_start.strftime('%a')} {local_start.day} {local_start.strftime('%b %Y')}, "
        "14:30–15:30"
    )
    page.screenshot(path=str(screenshot_dir / "rendezvous-planner-slots.png"), full_page=True)

    slots.first.click()
    page.wait_for_url("**/calendar/events/new/?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["start"] == [local_start.isoformat()]
    assert query["end"] == [first_end.astimezone(BERLIN).isoformat()]
    assert query["attendees"] == [f"{bob.pk},{carol.pk}"]
    # The event form takes the prefill (helper "pages"): that time and those people.
    assert page.get_by_label("Start date").input_value() == MONDAY.isoformat()
    assert page.get_by_label("Start time").input_value() == "14:30"
    assert page.get_by_label("End date").input_value() == MONDAY.isoformat()
    assert page.get_by_label("End time").input_value() == "15:30"
    assert page.get_by_label(bob.full_name).is_checked()
    assert page.get_by_label(carol.full_name).is_checked()
    page.screenshot(path=str(screenshot_dir / "rendezvous-planner-prefill.png"), full_page=True)


def test_planner_on_a_phone(phone_page, live_server, team, screenshot_dir):
    alice, bob, _ = team
    sign_in(phone_page, live_server.url, alice, "/planner/")
    phone_page.get_by_label(f"{bob.full_name} ({bob.timezone})").check()
    phone_page.get_by_role("button", name="Show").click()
    phone_page.wait_for_selector(f'.planner-row[data-user="{bob.pk}"]')
    # The page itself never scrolls sideways; the day grid scrolls inside its own box.
    assert phone_page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    phone_page.get_by_label("Length (minutes)").fill("60")
    phone_page.get_by_label("From").fill(MONDAY.isoformat())
    phone_page.get_by_label("To", exact=True).fill((MONDAY + dt.timedelta(days=4)).isoformat())
    phone_page.get_by_role("button", name="Find a time").click()
    phone_page.locator(".planner-found .found").first.wait_for()
    assert phone_page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    # The arrows (and "Today": the day shown is not today) share one line.
    arrows = phone_page.locator(".planner-nav a")
    tops = {round(arrows.nth(n).bounding_box()["y"]) for n in range(arrows.count())}
    assert arrows.count() == 3 and len(tops) == 1
    # The day opens scrolled to the first time found (14:30), the names still beside it.
    day = phone_page.locator("section.planner-day").first
    first = day.locator(".planner-found .found").first.bounding_box()
    name = day.locator(f'.planner-row[data-user="{bob.pk}"] .planner-person').bounding_box()
    assert name["x"] >= 0 and name["x"] + name["width"] <= first["x"]
    assert first["x"] + first["width"] <= 390
    day.screenshot(path=str(screenshot_dir / "rendezvous-planner-phone-day.png"))
    phone_page.screenshot(
        path=str(screenshot_dir / "rendezvous-planner-phone-found.png"), full_page=True
    )


def test_a_search_moves_the_timeline_to_the_times_found(page, live_server, team, screenshot_dir):
    """A new user leaves "Date" on today and searches a week ahead: the timeline moves to
    the day of the first time found, and the times found sit on it, lined up with the
    busy blocks that bound them."""
    alice, bob, carol = team
    sign_in(page, live_server.url, alice, "/planner/")
    today = page.get_by_label("Date").input_value()
    assert today != MONDAY.isoformat()
    page.get_by_label(f"{bob.full_name} ({bob.timezone})").check()
    page.get_by_label(f"{carol.full_name} ({carol.timezone})").check()
    page.get_by_label("Length (minutes)").fill("60")
    page.get_by_label("From").fill(MONDAY.isoformat())
    page.get_by_label("To", exact=True).fill((MONDAY + dt.timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Find a time").click()
    page.locator(".planner-slots ol.slots a").first.wait_for()

    days = page.locator("section.planner-day")
    assert days.count() == 1
    assert days.first.get_attribute("data-date") == MONDAY.isoformat()
    assert page.get_by_label("Date").input_value() == MONDAY.isoformat()
    found = days.first.locator(".planner-found .found")
    assert found.count() == 1  # Monday 14:30-15:30: one time a day
    # The start at least; the whole time where the block is wide enough, and on hover.
    assert found.first.inner_text().startswith("14:30")
    label = found.first.locator("a")
    assert label.evaluate("el => el.scrollWidth <= el.getBoundingClientRect().width + 1")  # not cut
    assert found.first.get_attribute("title") == "Free for everyone · 14:30–15:30"
    # Alice's 1:1 (14:00-14:30) ends where the time begins; Carol's dentist (16:00
    # Berlin) begins half an hour after it ends (an hour of 15:30's width).
    first_box = found.nth(0).bounding_box()
    one_to_one = days.first.locator(".busy", has_text="Alice 1:1").bounding_box()
    dentist = days.first.locator(f'.planner-row[data-user="{carol.pk}"] .busy').bounding_box()
    assert abs(one_to_one["x"] + one_to_one["width"] - first_box["x"]) <= 2
    assert abs(dentist["x"] - (first_box["x"] + first_box["width"] * 1.5)) <= 3
    # The same stretch is outlined down through everyone's rows.
    span = days.first.locator(".planner-spans span").first.bounding_box()
    grid = days.first.locator(".planner-grid").bounding_box()
    assert abs(span["x"] - first_box["x"]) <= 2
    assert abs(span["x"] + span["width"] - (first_box["x"] + first_box["width"])) <= 2
    assert span["height"] >= grid["height"] - 2
    assert page.get_by_text("the times found are outlined in green").is_visible()
    page.screenshot(path=str(screenshot_dir / "rendezvous-planner-found.png"), full_page=True)
    days.first.screenshot(path=str(screenshot_dir / "rendezvous-planner-found-day.png"))

    # A block is a link to the same prefilled event form as the list.
    found.first.locator("a").click()
    page.wait_for_url("**/calendar/events/new/?**")
    assert page.get_by_label("Start time").input_value() == "14:30"


def test_show_and_the_arrows_keep_the_search(page, live_server, team):
    alice, bob, carol = team
    sign_in(page, live_server.url, alice, "/planner/")
    page.get_by_label(f"{bob.full_name} ({bob.timezone})").check()
    page.get_by_label(f"{carol.full_name} ({carol.timezone})").check()
    page.get_by_label("From").fill(MONDAY.isoformat())
    page.get_by_label("To", exact=True).fill((MONDAY + dt.timedelta(days=4)).isoformat())
    # Enter in the length field finds a time (the form's first button is "Show").
    page.get_by_label("Length (minutes)").fill("60")
    page.get_by_label("Length (minutes)").press("Enter")
    slots = page.locator(".planner-slots ol.slots a")
    slots.first.wait_for()
    listed = slots.all_inner_texts()
    assert len(listed) == 5  # one a day
    assert page.locator("section.planner-day").get_attribute("data-date") == MONDAY.isoformat()

    wednesday = (MONDAY + dt.timedelta(days=2)).isoformat()
    page.get_by_label("Date").fill(wednesday)
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector(f'section.planner-day[data-date="{wednesday}"]')
    assert slots.all_inner_texts() == listed
    assert page.get_by_label("Length (minutes)").input_value() == "60"
    assert page.get_by_label("From").input_value() == MONDAY.isoformat()
    assert page.locator(".planner-found .found").count() == 1  # Wednesday's first time

    page.get_by_role("link", name="Next day →").click()
    thursday = (MONDAY + dt.timedelta(days=3)).isoformat()
    page.wait_for_selector(f'section.planner-day[data-date="{thursday}"]')
    assert slots.all_inner_texts() == listed
    page.locator("a.first-slot-day").click()
    page.wait_for_selector(f'section.planner-day[data-date="{MONDAY.isoformat()}"]')
    assert slots.all_inner_texts() == listed
