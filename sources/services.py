"""Busy sources: adding, removing and reading them.

Adding only checks and stores (the address encrypted); reading happens in the worker
(``sources.tasks``) or on "refresh now", never on a page that shows slots: busy blocks
are read from the database like events. A read is network first, outside any
transaction, then one short transaction that replaces the source's blocks and its state
at once; a failed read changes no block (the old ones stay, and the source turns stale
if it keeps failing, which the busy-time readers then treat as busy).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.emails import render_and_queue
from accounts.models import User
from scheduling.instants import MAX_SPAN_LENGTH, micros

from . import busy_days, crypto, reading
from .ical_busy import FeedError
from .models import BusyBlock, BusySource
from .safe_http import FetchError, normalize

logger = logging.getLogger(__name__)

MAX_PER_USER = 10
#: What a read covers: yesterday (a meeting under way) to a bit over a year ahead, the
#: farthest a booking link or the planner looks.
HISTORY = dt.timedelta(days=1)
HORIZON = dt.timedelta(days=400)


def _clean(name: Any, url: Any, field: str) -> tuple[str, str]:
    errors = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 100:
        errors["name"] = _("At most 100 characters.")
    url = url.strip() if isinstance(url, str) else ""
    if not url:
        errors[field] = _("This field is required.")
    elif len(url) > 2000:
        errors[field] = _("At most 2000 characters.")
    else:
        try:
            url = normalize(url)
        except FetchError as exc:
            errors[field] = str(exc)
        else:
            if not urlsplit(url).hostname:
                errors[field] = _("The address has no server name.")
    if errors:
        raise ValidationError(errors)
    return name, url


def _hint(url: str) -> str:
    """What may be shown back: the server, not the secret path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}"


@transaction.atomic
def _create(user: User, **fields: Any) -> BusySource:
    User.objects.select_for_update().filter(pk=user.pk).first()
    if BusySource.objects.filter(user=user).count() >= MAX_PER_USER:
        raise ValidationError(
            {"name": _("You have %(n)d busy sources; remove one first.") % {"n": MAX_PER_USER}}
        )
    source = BusySource.objects.create(user=user, **fields)
    from .tasks import ask_worker_to_sweep, refresh_source_task

    transaction.on_commit(lambda: refresh_source_task.enqueue(source.pk))
    ask_worker_to_sweep()
    return source


def add_ical_source(user: User, *, name: Any, url: Any) -> BusySource:
    name, url = _clean(name, url, "url")
    return _create(
        user, name=name, kind=BusySource.Kind.ICAL, url_secret=crypto.encrypt(url),
        url_hint=_hint(url),
    )  # fmt: skip


def add_caldav_source(
    user: User, *, name: Any, caldav_url: Any, username: Any, password: Any
) -> BusySource:
    name, url = _clean(name, caldav_url, "caldav_url")
    errors = {}
    if not isinstance(username, str) or len(username) > 254:
        errors["username"] = _("At most 254 characters.")
    if not isinstance(password, str) or len(password) > 1000:
        errors["password"] = _("At most 1000 characters.")
    if errors:
        raise ValidationError(errors)
    return _create(
        user, name=name, kind=BusySource.Kind.CALDAV, url_secret=crypto.encrypt(url),
        url_hint=_hint(url), username=username.strip(), password_secret=crypto.encrypt(password),
    )  # fmt: skip


def get_source(user: User, source_id: Any) -> BusySource:
    """The person's own source; anyone else's id is the same 404 as a missing one."""
    try:
        pk = int(source_id)
    except (TypeError, ValueError):
        raise Http404("No such source.") from None
    source = BusySource.objects.filter(pk=pk, user=user).first()
    if source is None:
        raise Http404("No such source.")
    return source


@transaction.atomic
def delete_source(user: User, source_id: Any) -> None:
    get_source(user, source_id).delete()  # its blocks go with it
    busy_days.rebuild(user.pk)


def _pieces(start: dt.datetime, end: dt.datetime):
    """A span as stored: pieces no longer than an event may be (see BusyBlock)."""
    while end - start > MAX_SPAN_LENGTH:
        yield start, start + MAX_SPAN_LENGTH
        start += MAX_SPAN_LENGTH
    yield start, end


def _next_fetch(now: dt.datetime, failures: int) -> dt.datetime:
    """The refresh interval with ±20 % jitter (sources added together do not stay in
    step); after failures, longer waits, up to an hour."""
    minutes = settings.SOURCE_REFRESH_MINUTES * (2 ** min(failures, 3) if failures else 1)
    minutes = min(minutes, max(60, settings.SOURCE_REFRESH_MINUTES))
    return now + dt.timedelta(minutes=minutes * random.uniform(0.8, 1.2))


def refresh(source_id: int, *, now: dt.datetime | None = None) -> BusySource | None:
    """Read the source now and store what it said (or why it could not be read)."""
    source = BusySource.objects.select_related("user").filter(pk=source_id).first()
    if source is None:
        return None
    now = now or timezone.now()
    start, end = now - HISTORY, now + HORIZON
    zone = source.user.timezone or "UTC"
    try:
        url = crypto.decrypt(source.url_secret)
        if source.kind == BusySource.Kind.ICAL:
            # A conditional GET only while the stored blocks still reach far enough.
            fresh = source.covered_until and source.covered_until >= end - dt.timedelta(days=1)
            result = reading.read_ical(
                url, start, end, zone=zone,
                etag=source.etag if fresh else "", last_modified=source.last_modified if fresh else "",
            )  # fmt: skip
        else:
            result = reading.read_caldav(
                url, source.username, crypto.decrypt(source.password_secret), start, end,
                zone=zone,
            )  # fmt: skip
    except (FetchError, FeedError, ValueError) as exc:
        return _failed(source.pk, str(exc)[:500], now)
    return _succeeded(source.pk, result, start, end, now)


@transaction.atomic
def _succeeded(source_id: int, result: reading.Reading, start, end, now) -> BusySource | None:
    source = BusySource.objects.select_for_update().filter(pk=source_id).first()
    if source is None:  # removed while it was being read
        return None
    if result.spans is not None:
        BusyBlock.objects.filter(source=source).delete()
        BusyBlock.objects.bulk_create(
            [
                BusyBlock(source=source, user_id=source.user_id, start=micros(a), end=micros(b))
                for s, e in result.spans
                for a, b in _pieces(s, e)
            ],
            batch_size=1000,
        )
        busy_days.rebuild(source.user_id)
        source.block_count = len(result.spans)
        source.covered_from, source.covered_until = start, end
        source.etag, source.last_modified = result.etag[:300], result.last_modified[:100]
    source.last_attempt_at = source.last_success_at = now
    source.last_error, source.consecutive_failures, source.failure_mailed_at = "", 0, None
    source.next_fetch_at = _next_fetch(now, 0)
    source.save()
    return source


@transaction.atomic
def _failed(source_id: int, error: str, now: dt.datetime) -> BusySource | None:
    source = (
        BusySource.objects.select_for_update().select_related("user").filter(pk=source_id).first()
    )
    if source is None:
        return None
    source.last_attempt_at = source.last_error_at = now
    source.last_error = error
    source.consecutive_failures += 1
    source.next_fetch_at = _next_fetch(now, source.consecutive_failures)
    if (
        source.consecutive_failures >= settings.SOURCE_FAILURES_BEFORE_MAIL
        and source.failure_mailed_at is None
    ):
        source.failure_mailed_at = now
        _mail_failure(source)
    source.save()
    logger.info("busy source %s failed (%s): %s", source.pk, source.consecutive_failures, error)
    return source


def _mail_failure(source: BusySource) -> None:
    """Once per run of failures: the owner learns it from us, not from a double booking."""
    user = source.user
    render_and_queue(
        user=user,
        to_email=user.email,
        subject_template="sources/email/failing_subject.txt",
        text_template="sources/email/failing.txt",
        context={
            "user": user,
            "source": source,
            "settings_url": settings.BASE_URL.rstrip("/") + "/accounts/settings/busy-sources/",
        },
    )


def due_sources(now: dt.datetime, limit: int = 50) -> list[int]:
    """Ids of sources due for a read, the oldest first, one per person per round (two
    sources of one person are never read at once)."""
    ids, seen = [], set()
    rows = BusySource.objects.filter(next_fetch_at__lte=now).order_by("next_fetch_at")
    for pk, user_id in rows.values_list("pk", "user_id")[: limit * 4]:
        if user_id not in seen:
            seen.add(user_id)
            ids.append(pk)
        if len(ids) >= limit:
            break
    return ids
