"""The worker's side of reminders: a round every minute that sends what is due, then
queues the next one.

One chain at a time, restarted when lost (as ``sources.tasks``): ``ask_worker_to_remind``
queues a round only when none is queued or running; it is asked whenever a booking or
an event is saved (``apps.RemindersConfig.ready``), so a chain lost with its worker
comes back with the next change, and the ledger keeps every reminder to one mail.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import services

EVERY = dt.timedelta(minutes=1)
LOST_AFTER = dt.timedelta(minutes=15)


def _rounds():
    return DBTaskResult.objects.filter(task_path=send_reminders_task.module_path)


@task()
def send_reminders_task() -> int:
    sent = services.send_due()
    if not _rounds().filter(status=TaskResultStatus.READY).exists():
        send_reminders_task.using(run_after=timezone.now() + EVERY).enqueue()
    return sent


def ask_worker_to_remind() -> None:
    """Queue a round (after the caller's commit) unless one is queued, or running and
    not lost."""
    now = timezone.now()
    rounds = _rounds()
    queued = rounds.filter(status=TaskResultStatus.READY).exists()
    running = rounds.filter(
        status=TaskResultStatus.RUNNING, started_at__gte=now - LOST_AFTER
    ).exists()
    if not queued and not running:
        transaction.on_commit(send_reminders_task.enqueue)
