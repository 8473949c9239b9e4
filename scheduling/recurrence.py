"""Recurring events: read an RRULE strictly, and expand a series inside a window.

Plain data in, plain data out. A series is expanded on the wall clock of its own time
zone (RFC 5545 §3.3.10): a 09:00 Europe/Berlin meeting is at 09:00 local in winter and
summer, so its UTC instant moves by an hour across DST. Local times are read as
everywhere else in the engine (``fold=0``): an occurrence inside a spring-forward gap
moves forward by the gap, a repeated hour means its first occurrence (and a series
cannot start at the second one). UNTIL is compared as an instant.

Why the limits: a rule is user input, and a careless or hostile one must not cost the
server. Only DAILY, WEEKLY, MONTHLY and YEARLY rules are accepted (no SECONDLY, MINUTELY,
HOURLY, and no BYHOUR/BYMINUTE/BYSECOND: an event repeats at its start time); COUNT,
INTERVAL, the rule's length and the number of excluded dates are capped, and a COUNT
must be reached within a bounded number of periods. Unbounded rules are fine: nothing
ever expands a series beyond the window it is asked about, rules without COUNT are
fast-forwarded to the window instead of walked from the start, and no check walks a
rule further than its first period to learn that the start is not an occurrence.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from .intervals import Interval

__all__ = [
    "MAX_COUNT",
    "MAX_EXDATES",
    "MAX_INTERVAL",
    "RecurrenceError",
    "Rule",
    "Series",
    "parse_rule",
]

MAX_RULE_LENGTH = 300
MAX_COUNT = 1000
MAX_INTERVAL = 999
MAX_EXDATES = 1000
#: Far-future stand-in for "never ends" where a bound must be stored (indexed columns).
UNBOUNDED = datetime(9999, 12, 31, tzinfo=UTC)
#: The ends of what datetime can hold: windows reaching past them are cut there.
_START_OF_TIME = datetime.min.replace(tzinfo=UTC)
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)

_FREQS = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
_REFUSED_FREQS = ("SECONDLY", "MINUTELY", "HOURLY")
_PART_ORDER = (
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYMONTH",
    "BYWEEKNO",
    "BYYEARDAY",
    "BYMONTHDAY",
    "BYDAY",
    "BYSETPOS",
    "WKST",
)
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# ASCII digits only: str patterns' \d also matches other scripts' digits, which int()
# reads but which would then be stored and sent in the canonical text.
_BYDAY = re.compile(r"^(?:([+-]?)([0-9]{1,2}))?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_DATE = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_UNTIL_TIME = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})(Z?)$")
_NUMBER_LISTS = {
    # part: (lowest absolute value, highest absolute value, negatives allowed)
    "BYMONTH": (1, 12, False),
    "BYWEEKNO": (1, 53, True),
    "BYYEARDAY": (1, 366, True),
    "BYMONTHDAY": (1, 31, True),
    "BYSETPOS": (1, 366, True),
}
#: How many occurrences count_before walks at most.
_WALK_LIMIT = 50_000
#: Within how many periods (times INTERVAL) a rule must reach its COUNT (see _count_fits).
_COUNT_PERIODS = {"DAILY": 50_000, "WEEKLY": 20_000, "MONTHLY": 6_000, "YEARLY": 2_000}


class RecurrenceError(ValueError):
    """A rule or an excluded date that cannot be accepted; the message says why.

    Refusals of a whole series also carry a ``code`` and ``params``, so that the layers
    above can say the same in the reader's language (``events.rule_text.explain``).
    """

    def __init__(self, message: str, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Rule:
    """A checked RRULE: its parts in canonical order, UNTIL kept as written (text).

    ``until`` is the UNTIL text, ``None`` when absent. ``str(rule)`` is the canonical
    RRULE value (without the ``RRULE:`` prefix) that is stored and sent.
    """

    parts: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        for key, value in self.parts:
            if key == name:
                return value
        return None

    @property
    def freq(self) -> str:
        return self.get("FREQ") or ""

    @property
    def interval(self) -> int:
        return int(self.get("INTERVAL") or 1)

    @property
    def count(self) -> int | None:
        value = self.get("COUNT")
        return int(value) if value else None

    @property
    def until(self) -> str | None:
        return self.get("UNTIL")

    @property
    def is_bounded(self) -> bool:
        return self.count is not None or self.until is not None

    def replace(self, **values: str | None) -> Rule:
        """A copy with parts set (a string) or removed (``None``), in canonical order."""
        current = dict(self.parts)
        for key, value in values.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        return Rule(tuple((k, current[k]) for k in _PART_ORDER if k in current))

    def __str__(self) -> str:
        return ";".join(f"{key}={value}" for key, value in self.parts)


def _check_numbers(part: str, value: str) -> None:
    low, high, negatives = _NUMBER_LISTS[part]
    items = value.split(",")
    if (len(items) > 31 and part != "BYYEARDAY") or len(items) > 366:
        raise RecurrenceError(f"{part} lists too many values.")
    for item in items:
        if not re.fullmatch(r"[+-]?[0-9]{1,3}", item):
            raise RecurrenceError(
                f"{part} must be a comma-separated list of numbers, got {item!r}."
            )
        number = int(item)
        if (number < 0 and not negatives) or not low <= abs(number) <= high:
            sign = f"-{high}..-{low} or " if negatives else ""
            raise RecurrenceError(f"{part} values must be {sign}{low}..{high}, got {item}.")


def parse_rule(text: object) -> Rule:
    """Read RRULE text (with or without the ``RRULE:`` prefix) or raise RecurrenceError.

    The message names the part and the reason, e.g. "FREQ=SECONDLY is not supported:
    choose DAILY, WEEKLY, MONTHLY or YEARLY."
    """
    if not isinstance(text, str):
        raise RecurrenceError("Give the rule as RRULE text, e.g. FREQ=WEEKLY;BYDAY=MO.")
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    if not value:
        raise RecurrenceError("The rule is empty; give e.g. FREQ=WEEKLY;BYDAY=MO.")
    if len(value) > MAX_RULE_LENGTH:
        raise RecurrenceError(f"The rule is too long (at most {MAX_RULE_LENGTH} characters).")
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise RecurrenceError("The rule must be one line without spaces, e.g. FREQ=DAILY.")
    parts: dict[str, str] = {}
    for piece in value.upper().split(";"):
        if not piece:
            continue
        name, sep, part_value = piece.partition("=")
        if not sep or not part_value:
            raise RecurrenceError(f"{piece!r} is not NAME=VALUE.")
        if name in parts:
            raise RecurrenceError(f"{name} is given twice.")
        if name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            raise RecurrenceError(
                f"{name} is not supported: an event repeats at its own start time."
            )
        if name not in _PART_ORDER:
            raise RecurrenceError(f"Unknown rule part {name}.")
        parts[name] = part_value
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY).")
    if freq in _REFUSED_FREQS:
        raise RecurrenceError(
            f"FREQ={freq} is not supported: choose DAILY, WEEKLY, MONTHLY or YEARLY."
        )
    if freq not in _FREQS:
        raise RecurrenceError(f"Unknown FREQ={freq}: choose DAILY, WEEKLY, MONTHLY or YEARLY.")
    for name, limit in (("INTERVAL", MAX_INTERVAL), ("COUNT", MAX_COUNT)):
        if name in parts:
            raw = parts[name]
            if not re.fullmatch(r"[0-9]+", raw) or not 1 <= int(raw) <= limit:
                raise RecurrenceError(f"{name} must be a whole number from 1 to {limit}.")
            parts[name] = str(int(raw))
    if parts.get("INTERVAL") == "1":
        del parts["INTERVAL"]
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("Give COUNT or UNTIL, not both.")
    if "UNTIL" in parts:
        if not (_UNTIL_DATE.match(parts["UNTIL"]) or _UNTIL_TIME.match(parts["UNTIL"])):
            raise RecurrenceError(
                "UNTIL must be a date (20261231) or a UTC time (20261231T230000Z)."
            )
        _until_fields(parts["UNTIL"])
    for name in _NUMBER_LISTS:
        if name in parts:
            _check_numbers(name, parts[name])
    if "BYDAY" in parts:
        days = parts["BYDAY"].split(",")
        if len(days) > 7 * 6:
            raise RecurrenceError("BYDAY lists too many days.")
        for day in days:
            match = _BYDAY.match(day)
            if not match:
                raise RecurrenceError(f"BYDAY: {day!r} is not a day such as MO, TU or 2TU.")
            if match.group(2) is not None:
                if freq not in ("MONTHLY", "YEARLY"):
                    raise RecurrenceError(
                        f"BYDAY={day}: a numbered weekday needs FREQ=MONTHLY or YEARLY."
                    )
                # The nth weekday of a month (MONTHLY, or YEARLY with BYMONTH), else of
                # the year (RFC 5545 §3.3.10).
                limit = 5 if freq == "MONTHLY" or "BYMONTH" in parts else 53
                if not 1 <= int(match.group(2)) <= limit:
                    raise RecurrenceError(f"BYDAY={day}: the number must be 1..{limit}.")
    if "WKST" in parts and parts["WKST"] not in _DAY_CODES:
        raise RecurrenceError("WKST must be a day such as MO or SU.")
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise RecurrenceError("BYWEEKNO needs FREQ=YEARLY.")
    if "BYYEARDAY" in parts and freq in ("DAILY", "WEEKLY", "MONTHLY"):
        raise RecurrenceError("BYYEARDAY needs FREQ=YEARLY.")
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise RecurrenceError("BYMONTHDAY cannot be used with FREQ=WEEKLY.")
    if "BYSETPOS" in parts and not any(k.startswith("BY") and k != "BYSETPOS" for k in parts):
        raise RecurrenceError("BYSETPOS needs another BY... part to choose from.")
    return Rule(tuple((k, parts[k]) for k in _PART_ORDER if k in parts))


def _naive_local(instant: datetime, tz: tzinfo) -> datetime:
    """The zone's wall time of ``instant``, as dateutil sees it (fold=0 like its own).

    Through UTC, so that an aware time given in the zone itself but inside its spring
    gap is read as the instant it names. A wall time outside the years 1..9999 is cut
    to the nearest end (windows come from requests).
    """
    try:
        return instant.astimezone(UTC).astimezone(tz).replace(tzinfo=None, fold=0)
    except OverflowError:
        return datetime.max if instant.year > 5000 else datetime.min


def _to_utc(local: datetime, tz: tzinfo) -> datetime:
    """A wall time of the series' zone as a UTC instant (fold=0, as RFC 5545 reads it).

    Raises OverflowError for a wall time whose instant lies after the year 9999.
    """
    return local.replace(tzinfo=tz).astimezone(UTC)


def _shifted(instant: datetime, delta: timedelta) -> datetime:
    """``instant + delta``, stopping at the ends of time instead of overflowing.

    Windows come from requests: one at the very end (or start) of time must get an
    answer, not an OverflowError.
    """
    try:
        return instant + delta
    except OverflowError:
        return _END_OF_TIME if delta > timedelta(0) else _START_OF_TIME


def _until_fields(text: str) -> tuple[date | None, datetime | None, bool]:
    """UNTIL text as (date, None, False) or (None, time, is_utc); RecurrenceError if unreal."""
    try:
        if match := _UNTIL_DATE.match(text):
            return date(*(int(g) for g in match.groups())), None, False
        groups = _UNTIL_TIME.match(text).groups()  # type: ignore[union-attr]
        return None, datetime(*(int(g) for g in groups[:6])), groups[6] == "Z"
    except ValueError as exc:
        raise RecurrenceError(f"UNTIL is not a real date: {exc}.") from None


def _simple_filters_pass(rule: Rule, start: datetime) -> bool:
    """Whether the start survives the plain BY filters (month, month day, weekday).

    A cheap pre-check before asking dateutil: a rule that can never match (BYMONTH=2;
    BYMONTHDAY=30) would otherwise be walked until the year 9999.
    """
    if (months := rule.get("BYMONTH")) and start.month not in {int(m) for m in months.split(",")}:
        return False
    if days := rule.get("BYMONTHDAY"):
        last = ((start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
        wanted = {int(d) for d in days.split(",")}
        if start.day not in wanted and start.day - last - 1 not in wanted:
            return False
    if byday := rule.get("BYDAY"):
        codes = {_BYDAY.match(d).group(3) for d in byday.split(",")}  # type: ignore[union-attr]
        if _DAY_CODES[start.weekday()] not in codes:
            return False
    return True


def _last(items: Iterable[tuple[datetime, datetime]]) -> tuple[datetime, datetime] | None:
    tail = deque(items, maxlen=1)
    return tail[0] if tail else None


def _months_later(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1)


@dataclass(frozen=True)
class Series:
    """A recurring event as the engine sees it.

    ``start`` is the first occurrence (aware), ``duration`` each occurrence's length,
    ``tz`` the zone the rule is read in; ``exdates`` are the UTC starts of occurrences
    taken out (EXDATE), compared as exact instants.

    How the rule is walked: dateutil expands it on the zone's wall clock from the start
    (sub-second part put back on each occurrence: dateutil drops it); each wall time
    becomes an instant with fold=0; UNTIL is compared as an instant (RFC 5545 §3.3.10),
    so a cut made by ``until_before`` holds even next to a DST change.
    """

    rule: Rule
    start: datetime
    duration: timedelta
    tz: tzinfo
    all_day: bool = False
    exdates: frozenset[datetime] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Instants in UTC: Python never finds an aware time inside a DST gap or fold
        # equal to one of another zone (PEP 495), so 02:30 Berlin on the night of the
        # change would not match the occurrence the engine computes for it.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "exdates", frozenset(d.astimezone(UTC) for d in self.exdates))

    def _local_start(self) -> datetime:
        local = _naive_local(self.start, self.tz)
        return datetime.combine(local.date(), time(0)) if self.all_day else local

    @cached_property
    def _until(self) -> datetime | None:
        """The last instant UNTIL admits (inclusive), or None without UNTIL."""
        if self.rule.until is None:
            return None
        day, moment, is_utc = _until_fields(self.rule.until)
        try:
            if day is not None:
                # A date bound includes that whole local day.
                midnight = datetime.combine(day + timedelta(days=1), time(0))
                return _to_utc(midnight, self.tz) - timedelta(microseconds=1)
            assert moment is not None
            return moment.replace(tzinfo=UTC) if is_utc else _to_utc(moment, self.tz)
        except OverflowError:
            return _END_OF_TIME

    @cached_property
    def _dateutil_rule(self) -> rrule:
        """The rule as dateutil walks it from the start, with its implicit parts written out.

        dateutil takes parts a rule leaves out from DTSTART (the day of the month of a
        MONTHLY rule, the month and day of a YEARLY one) and WKST from the process-wide
        ``calendar.firstweekday()``. Written out here, a walk may begin at any later
        period (``_fast_forward``) and still mean the same rule, and WKST is MO unless
        the rule says otherwise (RFC 5545).
        """
        local = self._local_start()
        rule = self.rule.replace(UNTIL=None)
        if not any(rule.get(k) for k in ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")):
            if rule.freq == "YEARLY":
                rule = rule.replace(BYMONTH=rule.get("BYMONTH") or str(local.month))
                rule = rule.replace(BYMONTHDAY=str(local.day))
            elif rule.freq == "MONTHLY":
                rule = rule.replace(BYMONTHDAY=str(local.day))
            elif rule.freq == "WEEKLY":
                rule = rule.replace(BYDAY=_DAY_CODES[local.weekday()])
        if rule.get("WKST") is None:
            rule = rule.replace(WKST="MO")
        built = rrulestr(f"RRULE:{rule}", dtstart=local.replace(microsecond=0))
        if self._until is not None and self._until < _END_OF_TIME:
            # Generous by a day: dateutil compares wall times, the exact cut is in _walk.
            with suppress(OverflowError):
                built = built.replace(until=_naive_local(self._until, self.tz) + timedelta(days=1))
        return built

    def _walk(
        self, dtstart: datetime | None = None, after: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """(wall time, UTC instant) of each occurrence in order, EXDATEs included.

        From the series' start, or from ``dtstart`` (a period start from
        ``_fast_forward``); only those at or after the wall time ``after`` when given.
        Ends at UNTIL, after COUNT, or at the end of the year 9999.
        """
        built = self._dateutil_rule
        if dtstart is not None:
            built = built.replace(dtstart=dtstart)
        micro = self._local_start().microsecond
        for local in built if after is None else built.xafter(after, inc=True):
            local = local.replace(microsecond=micro)
            try:
                instant = _to_utc(local, self.tz)
            except OverflowError:
                return
            if self._until is not None and instant > self._until:
                return
            yield local, instant

    def _starts_with(self, local: datetime) -> bool:
        """Whether the wall time ``local`` (the series' start) is an occurrence of the rule.

        Never walks past the start's own period (year, month, week or day): when the
        start is no occurrence, the rule may have none for thousands of years, or none
        at all (FREQ=DAILY;BYDAY=MO;BYSETPOS=2), and dateutil would walk to the year 9999
        to find that out. Month, month day and weekday are compared first; the parts
        only dateutil knows (numbered weekdays, week and year days, BYSETPOS) are asked
        of a copy of the rule whose next period lies after the year 9999.
        """
        if not _simple_filters_pass(self.rule, local):
            return False
        local = local.replace(microsecond=0)
        probe = self._dateutil_rule.replace(dtstart=local, count=None, until=None)
        if self.rule.freq in ("MONTHLY", "YEARLY") or self.rule.get("BYSETPOS"):
            days_left = (date(9999, 12, 31) - local.date()).days
            beyond = {
                "YEARLY": 10_000,
                "MONTHLY": 120_000,
                "WEEKLY": days_left // 7 + 2,
                "DAILY": days_left + 1,
            }[self.rule.freq]
            probe = probe.replace(interval=beyond)
        # Without those parts the start, having passed the filters, is the rule's very
        # first candidate: dateutil yields it at once.
        return next(iter(probe), None) == local

    def check(self) -> None:
        """Raise RecurrenceError unless the start is the rule's first occurrence.

        RFC 5545 counts DTSTART as the first instance even when the rule would not
        produce it, and clients disagree about such series; we ask for a start that the
        rule produces (a Monday for BYDAY=MO), so everyone sees the same occurrences.
        Each EXDATE must be an occurrence. Costs a few periods of the rule, never a walk
        to the year 9999 (see ``_starts_with``, ``_count_fits``).
        """
        local = self._local_start()
        first = _to_utc(local, self.tz)
        if self._until is not None and self._until < first:
            raise RecurrenceError(
                f"UNTIL={self.rule.until} is before the start; the series would never happen.",
                "until_before_start",
            )
        if not self._starts_with(local):
            raise RecurrenceError(
                f"The start ({local:%A %d %B %Y}) is not an occurrence of this rule; "
                "start the event on its first occurrence.",
                "start_not_occurrence",
                local_start=local,
            )
        if not self.all_day and first != self.start:
            # The second of two equal wall times when clocks go back: the rule's wall
            # time means the first one (fold=0), so this instant would never recur.
            raise RecurrenceError(
                f"The start {self.start.astimezone(self.tz).isoformat()} is the second "
                f"{local:%H:%M} of the night the clocks go back; a series repeats the "
                f"first one ({first.astimezone(self.tz).isoformat()}).",
                "second_of_fold",
                local_start=local,
            )
        self._count_fits()
        if len(self.exdates) > MAX_EXDATES:
            raise RecurrenceError(
                f"At most {MAX_EXDATES} excluded dates.", "too_many_exdates", limit=MAX_EXDATES
            )
        missing = self._not_occurrences(self.exdates)
        if missing:
            bad = missing[0].astimezone(self.tz)
            raise RecurrenceError(
                f"The excluded date {bad.isoformat()} is not an occurrence of the series.",
                "exdate_not_occurrence",
                local=bad,
            )

    def _count_fits(self) -> None:
        """Refuse a COUNT the rule reaches only after an unreasonable walk.

        COUNT is counted from the start, so every reading of such a series walks it
        from there: FREQ=DAILY;COUNT=1000;BYMONTH=2;BYMONTHDAY=29 would walk four
        thousand years of days. A COUNT must be reached within _COUNT_PERIODS periods.
        """
        count = self.rule.count
        if count is None:
            return
        local = self._local_start().replace(microsecond=0)
        periods = _COUNT_PERIODS[self.rule.freq] * self.rule.interval
        try:
            if self.rule.freq in ("DAILY", "WEEKLY"):
                horizon = local + timedelta(days=periods * (7 if self.rule.freq == "WEEKLY" else 1))
            else:
                months = periods * (12 if self.rule.freq == "YEARLY" else 1)
                horizon = _months_later(local, months)
        except (OverflowError, ValueError):
            return  # the walk ends at the year 9999 first
        bounded = self._dateutil_rule.replace(count=None, until=horizon)
        if sum(1 for _ in zip(range(count), bounded, strict=False)) < count:
            raise RecurrenceError(
                f"COUNT={count} is too many for this rule: it would run past the year "
                f"{horizon.year}. Give a smaller COUNT or an UNTIL date.",
                "count_too_far",
                count=count,
                year=horizon.year,
            )

    def _not_occurrences(self, instants: Iterable[datetime]) -> list[datetime]:
        """Those of ``instants`` (sorted) that start no occurrence; EXDATEs are ignored."""
        wanted = sorted(i.astimezone(UTC) for i in instants)
        if not wanted:
            return []
        if self.rule.count is not None:
            starts = {instant for _, instant in self._walk()}  # at most MAX_COUNT
            return [w for w in wanted if w not in starts]
        return [w for w in wanted if not self._starts_at(w)]

    def _starts_at(self, instant: datetime) -> bool:
        """Whether an occurrence (excluded or not) starts at ``instant``; a short walk."""
        instant = instant.astimezone(UTC)
        lo = _naive_local(_shifted(instant, -timedelta(days=2)), self.tz)
        for _, found in self._walk(self._fast_forward(lo), after=lo):
            if found >= instant:
                return found == instant
        return False

    def last_end(self) -> datetime | None:
        """End of the last occurrence, or None for a series without end.

        COUNT: a walk from the start (COUNT ≤ MAX_COUNT, reached in few periods, see
        ``_count_fits``). UNTIL: a walk over the last stretch before it only, so
        UNTIL=99991231 costs the same as UNTIL next month.
        """
        if not self.rule.is_bounded:
            return None
        last = None
        if self.rule.count is not None:
            last = _last(self._walk())
        else:
            assert self._until is not None
            end_local = _naive_local(self._until, self.tz)
            lookback = timedelta(days=32)
            while last is None:
                after = end_local - lookback
                dtstart = self._fast_forward(after)
                last = _last(self._walk(dtstart, after if dtstart is not None else None))
                if dtstart is None:
                    break
                lookback *= 8
        if last is None:
            return self.occurrence_end(self.start)
        local, instant = last
        return self._end_of(instant, local)

    def occurrence_end(self, start: datetime) -> datetime:
        """End of the occurrence starting at ``start`` (all-day ones end at a local midnight)."""
        start = start.astimezone(UTC)
        return self._end_of(start, _naive_local(start, self.tz))

    def _end_of(self, start: datetime, local: datetime) -> datetime:
        try:
            if self.all_day:
                days = max(1, round(self.duration / timedelta(days=1)))
                end = datetime.combine(local.date() + timedelta(days=days), time(0))
                return _to_utc(end, self.tz)
            return start + self.duration
        except OverflowError:
            return _END_OF_TIME

    def _fast_forward(self, before: datetime) -> datetime | None:
        """A later dtstart, on the rule's own period grid, a period or more before ``before``.

        ``before`` is a wall time. Only for rules without COUNT (COUNT counts from the
        first occurrence): moving by whole periods keeps every occurrence where it was,
        so a ten-year-old weekly meeting costs the same as a new one. A WEEKLY walk
        begins with the rest of its first week only, so whatever it adds there lies a
        period before ``before``; callers skip to ``before`` (``xafter``).
        """
        if self.rule.count is not None:
            return None
        local = self._local_start().replace(microsecond=0)
        step = self.rule.interval
        if self.rule.freq in ("DAILY", "WEEKLY"):
            period = timedelta(days=step * (7 if self.rule.freq == "WEEKLY" else 1))
            periods = (before - local) // period
            return local + period * (periods - 1) if periods >= 2 else None
        # MONTHLY, YEARLY: from the first day of a later month (or year), same time of
        # day; the whole month (year) is one period, so nothing of it is lost.
        unit = 12 if self.rule.freq == "YEARLY" else 1
        months = (before.year - local.year) * 12 + before.month - local.month
        periods = months // (unit * step)
        if periods < 2:
            return None
        start = local.replace(month=1) if unit == 12 else local
        return _months_later(start, unit * step * (periods - 1))

    def occurrences(self, window_start: datetime, window_end: datetime) -> list[datetime]:
        """UTC starts of occurrences that overlap ``[window_start, window_end)``.

        Excluded dates are left out. Cost is the occurrences near the window, never the
        series' whole history.
        """
        return list(self.iter_occurrences(window_start, window_end))

    def iter_occurrences(self, window_start: datetime, window_end: datetime) -> Iterator[datetime]:
        """``occurrences`` one at a time: "is there any in this window?" stops at the first,
        however wide the window (a CalDAV client asking about all of time)."""
        if window_end <= window_start:
            return
        lo_local = _naive_local(_shifted(window_start, -self.duration - timedelta(days=2)), self.tz)
        hi_local = _naive_local(_shifted(window_end, timedelta(days=2)), self.tz)
        first = self._local_start()
        if hi_local < first:
            return
        after = max(lo_local, first.replace(microsecond=0))
        for local, start in self._walk(self._fast_forward(lo_local), after):
            if local > hi_local:
                break
            if start in self.exdates:
                continue
            end = self._end_of(start, local)
            if start < window_end and end > window_start:
                yield start

    def intervals(self, window_start: datetime, window_end: datetime) -> list[Interval]:
        """The occurrences overlapping the window as busy intervals, clipped to it."""
        out = []
        for start in self.occurrences(window_start, window_end):
            end = self.occurrence_end(start)
            out.append(Interval(max(start, window_start), min(end, window_end)))
        return out

    def is_occurrence(self, instant: datetime) -> bool:
        """Whether ``instant`` is the start of an occurrence that was not excluded."""
        instant = instant.astimezone(UTC)
        return instant not in self.exdates and self._starts_at(instant)

    def count_before(self, instant: datetime) -> int:
        """How many occurrences (excluded ones included) start before ``instant``.

        For splitting a COUNT-bound series: the part after the split keeps the rest.
        """
        instant = instant.astimezone(UTC)
        total = 0
        for _, start in self._walk():
            if start >= instant or total >= _WALK_LIMIT:
                break
            total += 1
        return total

    def until_before(self, instant: datetime) -> Rule:
        """The rule cut so that its last occurrence starts before ``instant``.

        UNTIL is written in UTC (RFC 5545 §3.3.10: required when DTSTART has a TZID), a
        second before the cut, or as a date (the day before) for all-day series.
        """
        if self.all_day:
            day = _naive_local(instant, self.tz).date() - timedelta(days=1)
            return self.rule.replace(COUNT=None, UNTIL=day.strftime("%Y%m%d"))
        cut = (instant - timedelta(seconds=1)).astimezone(UTC)
        return self.rule.replace(COUNT=None, UNTIL=cut.strftime("%Y%m%dT%H%M%SZ"))


def expand_all(series: Iterable[Series], start: datetime, end: datetime) -> list[Interval]:
    """Busy intervals of many series in one window (not merged)."""
    return [iv for one in series for iv in one.intervals(start, end)]
