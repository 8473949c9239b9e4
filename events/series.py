"""Row work behind recurring events: checking rules and EXDATEs, copying an occurrence.

The verbs in ``events.services`` decide *what* happens to a series (edit all, one, or
this-and-following; cancel one); this module holds the pieces they share and that have
no business rule of their own: turning user input into a canonical RRULE and sorted UTC
EXDATEs with errors naming the field, testing which stored instants are still
occurrences after a change, and writing an exception row (a changed occurrence) as a
copy of its series.

Why an exception row copies the series' participants: busy time, the week view and the
participant list of that date then read one row, as for any event. Guests' copies carry
no capability tokens (blank salt, null digests): a guest has one page link and one
reply address per series, and both always lead to the series' attendee row; answers
then reach the copies through the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from scheduling.recurrence import MAX_EXDATES, RecurrenceError, Series, parse_rule

from . import guests as guest_lib
from .models import Attendee, Event
from .rule_text import explain

SCOPES = ("all", "this", "following")
#: Fields an exception row takes from its series when it is made (its own copy after that).
COPIED_FIELDS = (
    "account_id",
    "organizer_id",
    "uid",
    "title",
    "description",
    "location",
    "video_url",
    "timezone",
    "all_day",
    "status",
    "transparency",
    "sequence",
    "guests_can_see_participants",
    "notify_on_decision",
)
#: Fields an "all" edit carries over to exception rows that still had the series' old value.
PROPAGATED_FIELDS = (
    "title",
    "description",
    "location",
    "video_url",
    "transparency",
    "guests_can_see_participants",
    "notify_on_decision",
)
#: Above this span a set of instants is checked one by one rather than by one walk.
_ONE_WALK_SPAN = dt.timedelta(days=366 * 10)


def clean_scope(value: Any) -> str:
    if value not in SCOPES:
        raise ValidationError({"scope": _("Choose all, this or following.")})
    return value


def clean_occurrence(value: Any) -> dt.datetime | None:
    """The occurrence's original start as a UTC instant (None stays None)."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise ValidationError(
            {
                "occurrence": _(
                    "Give the occurrence's original start as a date and time with a UTC offset."
                )
            }
        )
    return value.astimezone(dt.UTC)


def not_an_occurrence(instant: dt.datetime) -> ValidationError:
    return ValidationError(
        {
            "occurrence": _("%(when)s is not an occurrence of this series.")
            % {"when": instant.astimezone(dt.UTC).isoformat()}
        }
    )


def clean_rule(value: Any) -> str | None:
    """Canonical RRULE text, or None for "does not repeat" (None or empty text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return str(parse_rule(value))
    except RecurrenceError as exc:
        raise ValidationError({"recurrence": str(exc)}) from None


def clean_exdates(values: Any) -> list[dt.datetime]:
    """Aware instants → sorted unique UTC instants; anything else names ``exdates``."""
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise ValidationError({"exdates": _("Give a list of dates and times.")})
    found: set[dt.datetime] = set()
    for index, value in enumerate(values):
        if len(found) > MAX_EXDATES or index > 10 * MAX_EXDATES:
            break
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            raise ValidationError(
                {
                    "exdates": _("Item %(index)d: give a date and time with a UTC offset.")
                    % {"index": index}
                }
            )
        found.add(value.astimezone(dt.UTC))
    if len(found) > MAX_EXDATES:
        raise ValidationError(
            {"exdates": _("At most %(limit)d excluded dates.") % {"limit": MAX_EXDATES}}
        )
    return sorted(found)


def stored_exdates(event: Event) -> list[dt.datetime]:
    return sorted(dt.datetime.fromisoformat(d) for d in event.exdates or ())


def store_exdates(instants: Iterable[dt.datetime]) -> list[str]:
    """The JSON form kept on the row: UTC ISO 8601 strings, sorted, unique."""
    return [d.isoformat() for d in sorted({i.astimezone(dt.UTC) for i in instants})]


def build_series(
    rule: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    timezone: Any,
    all_day: bool,
    exdates: Iterable[dt.datetime] = (),
) -> Series:
    return Series(
        rule=parse_rule(rule),
        start=start,
        duration=end - start,
        tz=timezone,
        all_day=all_day,
        exdates=frozenset(exdates),
    )


def check_series(series: Series) -> None:
    """The rule against the start (error on ``recurrence``), then the EXDATEs (``exdates``)."""
    try:
        Series(
            rule=series.rule,
            start=series.start,
            duration=series.duration,
            tz=series.tz,
            all_day=series.all_day,
        ).check()
    except RecurrenceError as exc:
        raise ValidationError({"recurrence": explain(exc)}) from None
    if series.exdates:
        try:
            series.check()
        except RecurrenceError as exc:
            raise ValidationError({"exdates": explain(exc)}) from None


def still_occurrences(series: Series, instants: Iterable[dt.datetime]) -> set[dt.datetime]:
    """Those of ``instants`` that are starts of occurrences of ``series`` (EXDATEs ignored).

    One walk over the span they cover when it is short, else one look-up each: a
    dropped EXDATE or exception must never cost a walk to the year 9999.
    """
    wanted = sorted(set(instants))
    if not wanted:
        return set()
    plain = Series(
        rule=series.rule,
        start=series.start,
        duration=series.duration,
        tz=series.tz,
        all_day=series.all_day,
    )
    if wanted[-1] - wanted[0] <= _ONE_WALK_SPAN:
        found = set(plain.occurrences(wanted[0], wanted[-1] + dt.timedelta(microseconds=1)))
        return {w for w in wanted if w in found}
    return {w for w in wanted if plain.is_occurrence(w)}


def copy_attendees(source: Event, target: Event, *, fresh_guests: bool) -> None:
    """Give ``target`` a copy of every attendee row of ``source``, answers included.

    ``fresh_guests``: guests get a new invitation (new tokens, no answer yet), as on the
    new half of a split; otherwise their copies carry no tokens (an exception row's guests
    keep using the series' links).
    """
    rows = []
    for a in Attendee.objects.filter(event=source).order_by("pk"):
        if a.guest_id and fresh_guests:
            rows.append(Attendee(event=target, guest_id=a.guest_id, **guest_lib.new_token_fields()))
            continue
        rows.append(
            Attendee(
                event=target,
                user_id=a.user_id,
                guest_id=a.guest_id,
                status=a.status,
                answered_sequence=a.answered_sequence,
                answered_dtstamp=a.answered_dtstamp,
                answered_at=a.answered_at,
            )
        )
    Attendee.objects.bulk_create(rows)


def make_exception(series: Event, recurrence_id: dt.datetime) -> Event:
    """Write the changed-occurrence row for ``recurrence_id`` as a copy of the series.

    The copy takes the series' fields at that occurrence (its start and end), SEQUENCE
    and status, and a copy of every attendee row with its answer. Guest copies have no
    tokens (see the module docstring). The caller holds the series row's lock.
    """
    engine = series.as_series()
    exception = Event(
        **{field: getattr(series, field) for field in COPIED_FIELDS},
        start=recurrence_id,
        end=engine.occurrence_end(recurrence_id),
        series=series,
        recurrence_id=recurrence_id,
        recurrence=None,
        exdates=[],
    )
    exception.save()
    copy_attendees(series, exception, fresh_guests=False)
    return exception


def exception_for(series: Event, recurrence_id: dt.datetime, *, create: bool) -> Event | None:
    """The locked exception row of that occurrence; made (when ``create``) if there is none.

    Raises the ``occurrence`` error when the series has no such occurrence (never had,
    or excluded). The caller holds the series row's lock, so two requests cannot both
    make the row.
    """
    exception = (
        Event.objects.select_for_update().filter(series=series, recurrence_id=recurrence_id).first()
    )
    if exception is not None:
        return exception
    engine = series.as_series()
    if engine is None or not engine.is_occurrence(recurrence_id):
        raise not_an_occurrence(recurrence_id)
    return make_exception(series, recurrence_id) if create else None
