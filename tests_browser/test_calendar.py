"""Sign in, create an event, find it in the week grid; keyboard use; phone width."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from conftest import PASSWORD
from events.models import Event
from events.services import event_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def sign_in(page, base_url: str, user, next_path: str = "/calendar/") -> None:
    page.goto(base_url + next_path)
    assert "/accounts/signin/" in page.url  # anonymous: sent to sign-in first
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + next_path)


def no_horizontal_overflow(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_sign_in_create_event_and_find_it_in_the_week(
    page, live_server, owner, colleague, screenshot_dir
):
    sign_in(page, live_server.url, owner)
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Title").fill("Quarterly review")
    page.get_by_label("Start date").fill("2026-05-06")
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End date").fill("2026-05-06")
    page.get_by_label("End time").fill("10:30")
    page.get_by_label("Place").fill("Room 4")
    page.get_by_label(colleague.full_name).check()
    page.screenshot(path=str(screenshot_dir / "rendezvous-event-form.png"), full_page=True)
    page.get_by_role("button", name="Create event").click()

    page.wait_for_url(f"{live_server.url}/calendar/week/2026-05-04/")
    assert page.get_by_role("status").first.inner_text().strip() == "“Quarterly review” was added."
    event = Event.objects.get()
    assert event.start == dt.datetime(2026, 5, 6, 7, tzinfo=dt.UTC)
    assert set(event.attendees.values_list("user_id", flat=True)) == {owner.pk, colleague.pk}

    block = page.locator('.timeline[data-date="2026-05-06"] a.event', has_text="Quarterly review")
    assert block.is_visible()
    assert "09:00–10:30" in block.inner_text()
    # Geometry: inside Wednesday's column, its top at 09:00 and 1.5 hours tall.
    column = page.locator('.timeline[data-date="2026-05-06"]').bounding_box()
    header = page.locator("#day-2026-05-06").bounding_box()
    box = block.bounding_box()
    hour = column["height"] / 24
    assert abs((box["y"] - column["y"]) - 9 * hour) <= 2
    assert abs(box["height"] - 1.5 * hour) <= 4
    assert (
        column["x"] - 1 <= box["x"] and box["x"] + box["width"] <= column["x"] + column["width"] + 1
    )
    assert header["x"] - 1 <= box["x"] + box["width"] / 2 <= header["x"] + header["width"] + 1
    # The grid opens at 07:00, not at midnight.
    scroll_top = page.locator(".week-body").evaluate("el => el.scrollTop")
    assert 7 * hour - 12 <= scroll_top <= 7 * hour  # 07:00, with its label in view

    block.click()
    assert page.get_by_role("heading", name="Quarterly review").is_visible()
    assert page.get_by_text(colleague.full_name).is_visible()
    page.screenshot(path=str(screenshot_dir / "rendezvous-event-detail.png"), full_page=True)


def test_colleague_answers_in_place_with_htmx(page, live_server, owner, colleague):
    event = event_create(
        owner,
        title="Design sync",
        start=dt.datetime(2026, 5, 6, 9, tzinfo=BERLIN),
        end=dt.datetime(2026, 5, 6, 10, tzinfo=BERLIN),
        attendee_ids=[colleague.pk],
    )
    detail = f"/calendar/events/{event.pk}/"
    sign_in(page, live_server.url, colleague, detail)
    page.evaluate("() => { window.__noReload = true; }")
    page.get_by_role("button", name="Accept").click()
    page.locator("#attendance .status.accepted", has_text="Accepted").nth(1).wait_for()
    assert page.evaluate("() => window.__noReload === true")  # swapped, not reloaded
    assert event.attendees.get(user=colleague).status == "accepted"
    assert page.get_by_role("link", name="Edit").count() == 0


def test_keyboard_reaches_every_form_field_with_visible_focus(page, live_server, owner, colleague):
    sign_in(page, live_server.url, owner)
    page.goto(live_server.url + "/calendar/events/new/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    seen: list[str] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        current = page.evaluate(
            "() => document.activeElement.id || document.activeElement.textContent.trim()"
        )
        if not seen or seen[-1] != current:
            seen.append(current)
        if current == "Create event":
            break
    expected = [
        "id_title",
        "id_start_date",
        "id_start_time",
        "id_end_date",
        "id_end_time",
        "id_all_day",
        "id_timezone",
        "id_location",
        "id_video_url",
        "id_description",
        "id_transparency_0",
        "id_attendee_ids_0",
        "id_guests_can_see_participants",
        "id_notify_on_decision",
        "Create event",
    ]
    positions = [seen.index(name) for name in expected]  # ValueError: not reachable
    assert positions == sorted(positions), seen
    # The skip link moved focus into <main>: nothing of the header comes between.
    assert seen[0] == "id_title", seen
    # Focus is visible: the focused field draws an outline.
    page.focus("#id_title")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2
    # Typing and submitting with the keyboard alone works too.
    page.keyboard.type("Typed by keyboard")
    page.focus("#id_notify_on_decision")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/calendar/week/**")
    assert Event.objects.filter(title="Typed by keyboard").exists()


def test_phone_width_shows_a_day_list_without_horizontal_overflow(
    phone_page, live_server, owner, screenshot_dir
):
    today = dt.datetime.now(BERLIN).date()
    monday = today - dt.timedelta(days=today.weekday())
    for offset, (title, start, end) in enumerate(
        [("Standup", 9, 9.25), ("Client call with a rather long title to wrap", 11, 12)]
    ):
        day = monday + dt.timedelta(days=offset + 1)
        event_create(
            owner,
            title=title,
            start=dt.datetime.combine(day, dt.time(int(start), int(start % 1 * 60)), BERLIN),
            end=dt.datetime.combine(day, dt.time(int(end), int(end % 1 * 60)), BERLIN),
        )
    event_create(
        owner,
        title="Offsite",
        start=dt.datetime.combine(monday + dt.timedelta(days=3), dt.time(0), BERLIN),
        end=dt.datetime.combine(monday + dt.timedelta(days=4), dt.time(0), BERLIN),
        all_day=True,
    )
    page = phone_page
    sign_in(page, live_server.url, owner, next_path=f"/calendar/week/{monday.isoformat()}/")
    assert page.locator(".day-list").is_visible()
    assert not page.locator(".week").is_visible()
    assert page.locator(".day-list", has_text="Standup").is_visible()
    assert page.locator(".day-list", has_text="Offsite").is_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(screenshot_dir / "rendezvous-week-phone.png"), full_page=True)
    for path in ("/calendar/events/new/", "/accounts/settings/"):
        page.goto(live_server.url + path)
        assert no_horizontal_overflow(page), path
    page.screenshot(path=str(screenshot_dir / "rendezvous-settings-phone.png"), full_page=True)


def test_desktop_week_screenshot(page, live_server, owner, colleague, screenshot_dir):
    """Not an assertion of taste: a picture to look at, plus a few layout sanity checks."""
    today = dt.datetime.now(BERLIN).date()
    monday = today - dt.timedelta(days=today.weekday())

    def at(day: int, hour: float) -> dt.datetime:
        return dt.datetime.combine(
            monday + dt.timedelta(days=day), dt.time(int(hour), int(hour % 1 * 60)), BERLIN
        )

    for title, day, start, end in [
        ("Standup", 0, 9, 9.25),
        ("Design review", 0, 10, 11.5),
        ("Overlap A", 1, 13, 14),
        ("Overlap B", 1, 13.5, 15),
        ("Client call", 2, 16, 17),
        ("Focus time", 3, 8, 12),
    ]:
        event_create(owner, title=title, start=at(day, start), end=at(day, end))
    event_create(owner, title="Night shift", start=at(4, 22), end=at(5, 2))
    event_create(owner, title="Team offsite", start=at(2, 0), end=at(4, 0), all_day=True)
    sign_in(page, live_server.url, owner)
    assert no_horizontal_overflow(page)
    a = page.locator("a.event", has_text="Overlap A").bounding_box()
    b = page.locator("a.event", has_text="Overlap B").bounding_box()
    assert a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1  # side by side
    page.screenshot(path=str(screenshot_dir / "rendezvous-week-desktop.png"))


def test_the_week_grid_shows_titles_first_and_creates_where_you_click_or_drag(
    page, live_server, owner
):
    day = dt.date(2026, 5, 6)  # a Wednesday in a week with nothing else on it
    start = dt.datetime(2026, 5, 6, 9, tzinfo=BERLIN)
    event_create(owner, title="Team sync", start=start, end=start + dt.timedelta(minutes=30))
    for title in ("Contract negotiation", "Procurement", "Legal review"):
        event_create(
            owner, title=title, start=start + dt.timedelta(hours=2),
            end=start + dt.timedelta(hours=3),
        )  # fmt: skip
    sign_in(page, live_server.url, owner, next_path=f"/calendar/week/{day.isoformat()}/")
    column = page.locator(f'.timeline[data-date="{day.isoformat()}"]')

    # A 30-minute meeting: the whole title on its one line, the time in the tooltip.
    short = column.locator("a.event", has_text="Team sync")
    title_box = short.locator(".title")
    assert title_box.evaluate("el => el.scrollWidth <= el.clientWidth")  # not cut
    assert short.get_attribute("title") == "Team sync · 09:00–09:30"
    assert (
        not short.locator(".time").is_visible()
        or short.locator(".time").bounding_box()["width"] <= 1
    )
    # Three side by side: a title of one word stays on one line in its narrow lane (cut
    # with "…" if it must be, never broken into letters over several lines).
    block = column.locator("a.event", has_text="Procurement").locator(".title")
    line_height = block.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert block.evaluate("el => el.getBoundingClientRect().height") < line_height * 1.5

    # Click on empty time: the form opens for an hour from there (15-minute steps).
    box = column.bounding_box()
    hour = box["height"] / 24
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 14.1 * hour)
    page.wait_for_url("**/calendar/events/new/?**")
    assert page.get_by_label("Start date").input_value() == day.isoformat()
    assert page.get_by_label("Start time").input_value() == "14:00"
    assert page.get_by_label("End time").input_value() == "15:00"

    # Drag from 15:00 to 16:30: the form opens with that stretch.
    page.go_back()
    column = page.locator(f'.timeline[data-date="{day.isoformat()}"]')
    column.scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('.week-body').scrollTop = 12 * 48")
    box = column.bounding_box()
    hour = box["height"] / 24
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 15.05 * hour)
    page.mouse.down()
    page.mouse.move(x, box["y"] + 16 * hour, steps=4)
    page.mouse.move(x, box["y"] + 16.5 * hour, steps=4)
    page.mouse.up()
    page.wait_for_url("**/calendar/events/new/?**")
    assert page.get_by_label("Start time").input_value() == "15:00"
    assert page.get_by_label("End time").input_value() == "16:30"
    page.get_by_label("Title").fill("Dragged")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url(f"{live_server.url}/calendar/week/2026-05-04/")
    saved = Event.objects.get(title="Dragged")
    assert saved.start == dt.datetime(2026, 5, 6, 15, tzinfo=BERLIN)
    assert saved.end == dt.datetime(2026, 5, 6, 16, 30, tzinfo=BERLIN)


def test_drag_an_own_event_to_move_it_or_its_lower_edge_to_resize_it(page, live_server, owner):
    day = dt.date(2026, 5, 6)
    start = dt.datetime(2026, 5, 6, 9, tzinfo=BERLIN)
    sync = event_create(owner, title="Team sync", start=start, end=start + dt.timedelta(hours=1))
    sign_in(page, live_server.url, owner, next_path=f"/calendar/week/{day.isoformat()}/")
    block = page.locator("a.event", has_text="Team sync")

    # A plain click still opens the event, and so does Enter from the keyboard.
    block.click()
    page.wait_for_url(f"{live_server.url}/calendar/events/{sync.pk}/")
    page.go_back()
    page.locator("a.event", has_text="Team sync").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/calendar/events/{sync.pk}/")
    page.go_back()

    # Dragged two hours down and one day right: the edit form holds the new time.
    block = page.locator("a.event", has_text="Team sync")
    box = block.bounding_box()
    column = page.locator(f'.timeline[data-date="{day.isoformat()}"]').bounding_box()
    hour = column["height"] / 24
    x, y = box["x"] + box["width"] / 2, box["y"] + 5
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + column["width"], y + hour, steps=5)
    page.mouse.move(x + column["width"], y + 2 * hour, steps=5)
    page.mouse.up()
    page.wait_for_url(f"**/calendar/events/{sync.pk}/edit/?**")
    assert page.get_by_text("The new time is filled in below.").is_visible()
    assert page.get_by_label("Start date").input_value() == "2026-05-07"
    assert page.get_by_label("Start time").input_value() == "11:00"
    assert page.get_by_label("End time").input_value() == "12:00"
    sync.refresh_from_db()
    assert sync.start == start  # nothing moves before "Save"
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    sync.refresh_from_db()
    assert sync.start == dt.datetime(2026, 5, 7, 11, tzinfo=BERLIN)

    # The lower edge: half an hour longer.
    page.goto(f"{live_server.url}/calendar/week/{day.isoformat()}/")
    handle = page.locator("a.event", has_text="Team sync").locator(".resize-handle")
    edge = handle.bounding_box()
    page.mouse.move(edge["x"] + edge["width"] / 2, edge["y"] + edge["height"] / 2)
    page.mouse.down()
    page.mouse.move(edge["x"] + edge["width"] / 2, edge["y"] + hour * 0.5 + 2, steps=5)
    page.mouse.up()
    page.wait_for_url(f"**/calendar/events/{sync.pk}/edit/?**")
    assert page.get_by_label("Start time").input_value() == "11:00"
    assert page.get_by_label("End time").input_value() == "12:30"


def test_a_phone_opens_the_calendar_on_todays_day_page(phone_page, live_server, owner):
    today = dt.datetime.now(BERLIN).date()
    start = dt.datetime.combine(today, dt.time(10), BERLIN)
    event_create(owner, title="Client call", start=start, end=start + dt.timedelta(hours=1))
    page = phone_page
    page.goto(live_server.url + "/calendar/")
    page.get_by_label("E-mail").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/calendar/day/{today.isoformat()}/")
    grid = page.locator(".day-view")
    assert grid.is_visible()
    block = grid.locator("a.event", has_text="Client call")
    assert block.is_visible()
    assert block.bounding_box()["width"] > 250  # one wide column, not a seventh of a phone
    assert no_horizontal_overflow(page)
    page.get_by_role("link", name="Week").click()
    page.wait_for_url("**/calendar/week/**")
    assert page.locator(".day-list", has_text="Client call").is_visible()
