"""Hours typed as people type them, read into the services' strict form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.day_hours import format_day_ranges, parse_day_ranges


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("09:00-12:00, 13:00-17:00", [["09:00", "12:00"], ["13:00", "17:00"]]),
        ("9:00-12:30", [["09:00", "12:30"]]),
        ("9-17", [["09:00", "17:00"]]),
        ("09.00-10.30", [["09:00", "10:30"]]),
        ("9:00–10:30", [["09:00", "10:30"]]),  # en dash, as phones and word processors type it
        ("9:00 — 10:30", [["09:00", "10:30"]]),
        ("9h30-12h", [["09:30", "12:00"]]),
        ("14-18; 8-12", [["08:00", "12:00"], ["14:00", "18:00"]]),  # sorted
        ("9 to 17", [["09:00", "17:00"]]),
        ("0-24", [["00:00", "24:00"]]),
        ("", []),
        (" , ", []),
    ],
)
def test_times_are_read_as_people_type_them(typed, stored):
    assert parse_day_ranges(typed, "mon") == stored
    # What is shown again is read back to the same hours.
    assert parse_day_ranges(format_day_ranges(stored), "mon") == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("nine to five", "“nine to five” is not a range of times. Write it like 9:00-12:30."),
        ("9", "“9” is not a range of times"),
        ("9-12-15", "is not a range of times"),
        ("18-9", "in “18-9” the end is not after the start."),
        ("9-9", "the end is not after the start"),
        ("9-25", "“9-25” has a time outside 0:00-24:00."),
        ("9:60-10", "has a time outside"),
        ("24:30-24:45", "has a time outside"),
        ("9-12, 11-14", "the ranges 09:00-12:00 and 11:00-14:00 overlap."),
    ],
)
def test_errors_name_the_day_in_words_and_say_why(typed, reason):
    with pytest.raises(ValidationError) as caught:
        parse_day_ranges(typed, "wed")
    message = caught.value.messages[0]
    assert message.startswith("Wednesday: ") and reason in message


def test_errors_speak_the_users_language():
    with translation.override("de"):
        with pytest.raises(ValidationError) as caught:
            parse_day_ranges("neun bis fünf", "fri")
        message = caught.value.messages[0]  # rendered in the language active when shown
    assert (
        message == "Freitag: „neun bis fünf“ ist kein Zeitraum. Schreiben Sie ihn so: 9:00-12:30."
    )
