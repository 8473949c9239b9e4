"""A series' rule in words, in each of the five languages."""

import pytest
from django.utils import translation

from events.rule_text import describe_rule, explain
from scheduling.recurrence import RecurrenceError, Series, parse_rule


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("FREQ=WEEKLY;COUNT=10;BYDAY=MO", "Every week on Monday, 10 times"),
        ("FREQ=WEEKLY;COUNT=1;BYDAY=MO", "Every week on Monday, once"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", "Every 2 weeks on Monday, Wednesday"),
        ("FREQ=MONTHLY;BYDAY=2TU", "Every month on the second Tuesday"),
        (
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231",
            "Every month on the last Friday, until 31 December 2026",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=31", "Every month on day 31"),
        ("FREQ=DAILY", "Every day"),
        ("FREQ=YEARLY;INTERVAL=4", "Every 4 years"),
    ],
)
def test_describe_rule_in_english(text, words):
    with translation.override("en"):
        assert describe_rule(parse_rule(text)) == words


@pytest.mark.parametrize(
    ("language", "text", "words"),
    [
        ("de", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "Alle 2 Wochen am Dienstag"),
        (
            "de",
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231",
            "Jeden Monat am letzten Freitag, bis 31. Dezember 2026",
        ),
        ("it", "FREQ=MONTHLY;BYDAY=1SU", "Ogni mese la prima domenica"),
        ("it", "FREQ=WEEKLY;COUNT=10;BYDAY=MO", "Ogni settimana di lunedì, 10 volte"),
        ("pl", "FREQ=WEEKLY;BYDAY=WE", "Co tydzień w środę"),
        ("pl", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "Co 2 tygodnie w środę"),
        ("pl", "FREQ=WEEKLY;INTERVAL=5;BYDAY=WE", "Co 5 tygodni w środę"),
        ("pl", "FREQ=MONTHLY;BYDAY=1WE", "Co miesiąc w pierwszą środę"),
        (
            "pl",
            "FREQ=MONTHLY;BYDAY=-1MO;UNTIL=20261210",
            "Co miesiąc w ostatni poniedziałek, do 10 grudnia 2026",
        ),
        ("es", "FREQ=DAILY;COUNT=3", "Todos los días, 3 veces"),
        ("es", "FREQ=MONTHLY;BYDAY=2TU", "Cada mes el segundo martes"),
    ],
)
def test_describe_rule_in_each_language(language, text, words):
    with translation.override(language):
        assert describe_rule(parse_rule(text)) == words


def test_a_refused_start_is_explained_in_the_readers_language():
    import datetime as dt
    import zoneinfo

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    start = dt.datetime(2026, 12, 2, 9, tzinfo=berlin)  # a Wednesday
    series = Series(
        rule=parse_rule("FREQ=WEEKLY;BYDAY=MO"),
        start=start,
        duration=dt.timedelta(hours=1),
        tz=berlin,
    )
    with pytest.raises(RecurrenceError) as caught:
        series.check()
    with translation.override("de"):
        assert "Mittwoch, 2. Dezember 2026" in explain(caught.value)
        assert "Wiederholung" in explain(caught.value) or "Vorkommen" in explain(caught.value)
    with translation.override("pl"):
        assert "środa, 2 grudnia 2026" in explain(caught.value)
