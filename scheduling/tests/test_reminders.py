import datetime as dt
import zoneinfo

import pytest

from scheduling.reminders import clean_reminders, due_at

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def test_a_day_before_is_the_same_wall_time_across_dst():
    # Sunday 25 October 2026, 10:00 in Berlin; summer time ended that night at 03:00.
    start = dt.datetime(2026, 10, 25, 10, tzinfo=BERLIN)
    due = due_at(start, 1440, "Europe/Berlin")
    assert due.astimezone(BERLIN) == dt.datetime(2026, 10, 24, 10, tzinfo=BERLIN)
    assert start - due == dt.timedelta(hours=25)
    spring = dt.datetime(2026, 3, 30, 10, tzinfo=BERLIN)  # the Monday after spring-forward
    assert start - due_at(start, 60, "Europe/Berlin") == dt.timedelta(hours=1)
    assert spring - due_at(spring, 2880, "Europe/Berlin") == dt.timedelta(hours=47)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, []), ([60, 1440, 60], [1440, 60]), ((10,), [10])]
)
def test_reminders_are_cleaned(value, expected):
    assert clean_reminders(value) == expected


@pytest.mark.parametrize("value", [[5], [60, 120, 1440, 2880], "60", [True], [60.5]])
def test_bad_reminders_are_refused(value):
    with pytest.raises(ValueError):
        clean_reminders(value)
