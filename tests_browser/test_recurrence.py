"""A weekly meeting made through the form, seen weeks ahead; one occurrence cancelled."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from events.models import Event
from tests_browser.test_calendar import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
TITLE = "Weekly planning"


def block(page, day: str):
    return page.locator(f'.timeline[data-date="{day}"] a.event', has_text=TITLE)


def test_weekly_meeting_from_the_form_then_cancel_one_occurrence(
    page, live_server, owner, screenshot_dir
):
    base = live_server.url
    sign_in(page, base, owner)
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Start date").fill("2026-05-04")  # a Monday
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End date").fill("2026-05-04")
    page.get_by_label("End time").fill("10:00")

    # Only the parts of the control that apply are shown.
    assert not page.get_by_label("Every").is_visible()
    page.get_by_label("Repeats").select_option("WEEKLY")
    assert page.get_by_label("Every").is_visible()
    assert page.get_by_label("Monday", exact=True).is_checked()
    assert not page.get_by_label("Number of occurrences").is_visible()
    assert not page.locator("[data-repeat-part='monthly']").is_visible()
    page.get_by_label("Repeats").select_option("MONTHLY")
    assert page.get_by_label("On the first Monday").is_visible()
    page.get_by_label("Repeats").select_option("WEEKLY")
    page.screenshot(path=str(screenshot_dir / "rendezvous-repeat-control.png"), full_page=True)
    page.get_by_role("button", name="Create event").click()

    page.wait_for_url(f"{base}/calendar/week/2026-05-04/")
    series = Event.objects.get()
    assert series.recurrence == "FREQ=WEEKLY;BYDAY=MO"
    assert block(page, "2026-05-04").is_visible()
    assert "↻" in block(page, "2026-05-04").inner_text()
    tooltip = block(page, "2026-05-04").get_attribute("title")
    assert tooltip.startswith("Weekly planning · ")  # title · time · how it repeats
    assert tooltip.endswith(" · Recurring: Every week on Monday")

    # Week after week it is there, on Monday at 09:00.
    monday = dt.date(2026, 5, 4)
    for _ in range(4):
        page.get_by_role("link", name="Next week →").click()
        monday += dt.timedelta(days=7)
        page.wait_for_url(f"{base}/calendar/week/{monday.isoformat()}/")
        assert "09:00–10:00" in block(page, monday.isoformat()).inner_text()
    assert monday == dt.date(2026, 6, 1)

    block(page, "2026-06-01").click()
    page.wait_for_url(f"{base}/calendar/events/{series.pk}/?occurrence=2026-06-01T07:00:00Z")
    assert (
        page.locator(".occurrence-of").inner_text() == "One date of a series: Every week on Monday"
    )
    assert "Monday, 1 June 2026, 09:00 – 10:00" in page.locator("dl.facts").inner_text()
    page.get_by_role("link", name="Cancel…").click()
    assert page.get_by_label("This occurrence").is_checked()
    page.screenshot(path=str(screenshot_dir / "rendezvous-cancel-occurrence.png"), full_page=True)
    page.get_by_role("button", name="Yes, cancel").click()

    page.wait_for_url(f"{base}/calendar/week/2026-06-01/")
    assert "was cancelled" in page.get_by_role("status").first.inner_text()
    assert block(page, "2026-06-01").count() == 0
    page.get_by_role("link", name="← Previous week").click()
    page.wait_for_url(f"{base}/calendar/week/2026-05-25/")
    assert block(page, "2026-05-25").is_visible()
    page.goto(f"{base}/calendar/week/2026-06-08/")
    assert block(page, "2026-06-08").is_visible()
    page.goto(f"{base}/calendar/week/2026-10-26/")  # after the clocks went back
    assert "09:00–10:00" in block(page, "2026-10-26").inner_text()
    series.refresh_from_db()
    assert series.exdates == ["2026-06-01T07:00:00+00:00"]


def test_the_repeat_control_shows_only_for_all_occurrences(page, live_server, owner):
    from events.services import event_create

    series = event_create(
        owner,
        title=TITLE,
        start=dt.datetime(2026, 5, 4, 9, tzinfo=BERLIN),
        end=dt.datetime(2026, 5, 4, 10, tzinfo=BERLIN),
        recurrence="FREQ=WEEKLY;BYDAY=MO",
    )
    path = f"/calendar/events/{series.pk}/edit/?occurrence=2026-06-01T07:00:00Z"
    sign_in(page, live_server.url, owner, path)
    assert page.get_by_label("This occurrence").is_checked()
    assert not page.get_by_label("Repeats").is_visible()
    page.get_by_label("All occurrences").check()
    assert page.get_by_label("Repeats").is_visible()
    assert page.get_by_label("Repeats").input_value() == "WEEKLY"
    page.get_by_label("This and all following").check()
    assert not page.get_by_label("Repeats").is_visible()


def _box_inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def test_a_one_hour_recurring_block_shows_its_time_and_title_like_a_single_event(
    page, live_server, owner, screenshot_dir
):
    from events.services import event_create

    start = dt.datetime(2026, 5, 5, 10, tzinfo=BERLIN)  # a Tuesday
    event_create(
        owner,
        title=TITLE,
        start=start,
        end=start + dt.timedelta(hours=1),
        recurrence="FREQ=WEEKLY;BYDAY=TU",
    )
    event_create(
        owner,
        title="One-off review",
        start=start + dt.timedelta(days=1),
        end=start + dt.timedelta(days=1, hours=1),
    )
    base = live_server.url
    sign_in(page, base, owner, "/calendar/week/2026-05-04/")
    recurring = block(page, "2026-05-05")
    single = page.locator('.timeline[data-date="2026-05-06"] a.event', has_text="One-off review")
    recurring.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "rendezvous-recurring-hour.png"))
    recurring.screenshot(path=str(screenshot_dir / "rendezvous-recurring-hour-block.png"))
    assert "10:00–11:00" in recurring.inner_text()
    box = recurring.bounding_box()
    for part in ("time", "title"):
        inner = recurring.locator(f".{part}").bounding_box()
        assert _box_inside(inner, box), (part, inner, box)
    # The mark sits on the time's line, before the time, not on a line of its own.
    mark = recurring.locator(".repeat-mark").bounding_box()
    time = recurring.locator(".time").bounding_box()
    assert _box_inside(mark, box)
    assert abs(mark["y"] - time["y"]) < time["height"] / 2
    time_text = recurring.locator(".time").evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " const b = r.getBoundingClientRect(); return {x: b.x, width: b.width}; }"
    )
    assert mark["x"] + mark["width"] <= time_text["x"] + 0.5
    assert time_text["x"] + time_text["width"] <= box["x"] + box["width"]
    # Time and title take the same place in the block as in a single event's.
    single_box = single.bounding_box()
    for part in ("time", "title"):
        mine = recurring.locator(f".{part}").bounding_box()
        theirs = single.locator(f".{part}").bounding_box()
        assert abs((mine["y"] - box["y"]) - (theirs["y"] - single_box["y"])) < 1, part


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_go_to_date_opens_that_week(request, live_server, owner, screenshot_dir, size):
    from tests_browser.test_calendar import no_horizontal_overflow

    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    base = live_server.url
    sign_in(page, base, owner, "/calendar/week/2026-05-04/")
    page.get_by_label("Go to date").fill("2026-12-08")
    page.screenshot(path=str(screenshot_dir / f"rendezvous-go-to-date-{size}.png"))
    assert no_horizontal_overflow(page)
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_url(f"{base}/calendar/week/2026-12-07/")
    assert page.get_by_label("Go to date").input_value() == "2026-12-07"


def test_the_interval_reads_every_week_or_every_2_weeks(page, live_server, owner):
    base = live_server.url
    sign_in(page, base, owner, "/calendar/events/new/")
    part = page.locator("[data-repeat-part='interval'] .field")
    interval = page.get_by_label("Every")

    def words() -> str:
        """The label, the number in the box, and the word after it."""
        unit = part.locator("span.help").inner_text().strip()
        return f"Every {interval.input_value()} {unit}"

    page.get_by_label("Repeats").select_option("WEEKLY")
    assert words() == "Every 1 week"
    interval.fill("2")
    assert words() == "Every 2 weeks"
    page.get_by_label("Repeats").select_option("MONTHLY")
    assert words() == "Every 2 months"
    interval.fill("1")
    assert words() == "Every 1 month"
    page.get_by_label("Repeats").select_option("DAILY")
    assert words() == "Every 1 day"
    interval.fill("")
    assert words() == "Every  day"  # an empty box means 1
    assert "1 weeks" not in part.inner_text()


def test_repeat_field_errors_are_outlined_like_the_others(page, live_server, owner, screenshot_dir):
    """The count and interval boxes get the same red outline as the until date box."""
    base = live_server.url
    sign_in(page, base, owner, "/calendar/events/new/")

    def border(label: str) -> str:
        return page.get_by_label(label).evaluate("el => getComputedStyle(el).borderTopColor")

    def submit(ends: str, **fields: str) -> None:
        page.get_by_label("Title").fill(TITLE)
        page.get_by_label("Start date").fill("2026-05-04")
        page.get_by_label("Start time").fill("09:00")
        page.get_by_label("End date").fill("2026-05-04")
        page.get_by_label("End time").fill("10:00")
        page.get_by_label("Repeats").select_option("WEEKLY")
        page.get_by_label(ends).check()
        for label, value in fields.items():
            page.get_by_label(label.replace("_", " ")).fill(value)
        page.get_by_role("button", name="Create event").click()
        page.wait_for_load_state()

    plain = border("Every")
    submit("On a date", Repeat_until="2026-05-01")
    assert page.locator("#id_repeat_until_error").is_visible()
    red = border("Repeat until")
    assert red != plain

    submit("After a number of times", Number_of_occurrences="0", Every="0")
    assert page.locator("#id_repeat_count_error").is_visible()
    assert page.locator("#id_repeat_interval_error").is_visible()
    assert border("Number of occurrences") == red
    assert border("Every") == red
    assert border("Title") == plain
    page.locator("fieldset.repeat").screenshot(
        path=str(screenshot_dir / "rendezvous-repeat-errors.png")
    )
    assert Event.objects.count() == 0
