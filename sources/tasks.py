"""The worker's side of busy sources: a sweep that reads what is due, then queues itself
again; and a read of one source on demand ("refresh now", a source just added).

One sweep chain at a time: a sweep queues the next only when none is queued already,
and ``ask_worker_to_sweep`` (called when a source is added, when its page is shown, and
when a busy-time read meets a stale source) starts one only when none is queued or
running. So the chain restarts by itself after a worker was killed mid-run, and several
workers or web processes never multiply it. The queue is the database's
(``django_tasks_db``), so this holds across processes without a shared cache.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import services

SWEEP_EVERY = dt.timedelta(minutes=1)
#: A sweep "running" for longer than this was lost with its worker.
LOST_AFTER = dt.timedelta(minutes=15)


@task()
def refresh_source_task(source_id: int) -> str:
    source = services.refresh(source_id)
    return "gone" if source is None else (source.last_error or "ok")


def _sweeps():
    return DBTaskResult.objects.filter(task_path=sweep_sources_task.module_path)


@task()
def sweep_sources_task() -> int:
    """Read every source that is due (one per person per round), then come back."""
    now = timezone.now()
    done = 0
    for source_id in services.due_sources(now):
        services.refresh(source_id, now=now)
        done += 1
    if not _sweeps().filter(status=TaskResultStatus.READY).exists():
        sweep_sources_task.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()
    return done


def ask_worker_to_sweep() -> None:
    """Queue a sweep unless one is queued, or running and not lost."""
    now = timezone.now()
    queued = _sweeps().filter(status=TaskResultStatus.READY).exists()
    running = (
        _sweeps().filter(status=TaskResultStatus.RUNNING, started_at__gte=now - LOST_AFTER).exists()
    )
    if not queued and not running:
        transaction.on_commit(sweep_sources_task.enqueue)
