"""The worker's side of webhooks: a round that sends what is due to every endpoint, then
queues itself again while anything waits.

One chain at a time, restarted when lost (as ``sources.tasks``): ``emit`` and the
webhooks page ask for a round, which is queued only when none is queued or running. The
queue is the database's, so several workers and web processes never multiply it; an
endpoint is sent to by one worker at a time (its lease), so messages keep their order.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import services
from .models import Delivery, Endpoint

#: A round "running" for longer than this was lost with its worker.
LOST_AFTER = dt.timedelta(minutes=15)


def _rounds():
    return DBTaskResult.objects.filter(task_path=deliver_webhooks_task.module_path)


@task()
def deliver_webhooks_task() -> int:
    """Send what is due; come back when the next pause ends, while anything waits."""
    delivered = 0
    for endpoint_id in services.due_endpoints(timezone.now()):
        delivered += services.deliver_endpoint(endpoint_id)
    waiting = Endpoint.objects.filter(
        active=True, deliveries__status=Delivery.Status.PENDING
    ).aggregate(next=Min("next_attempt_at"))["next"]
    if waiting is not None and not _rounds().filter(status=TaskResultStatus.READY).exists():
        deliver_webhooks_task.using(run_after=max(waiting, timezone.now())).enqueue()
    return delivered


def ask_worker_to_deliver() -> None:
    """Queue a round (after the caller's commit) unless one is queued to run now, or
    running and not lost. A round queued for later (a failing receiver's pause) does not
    count: a new message to a healthy receiver must not wait for it."""
    now = timezone.now()
    rounds = _rounds()
    queued = rounds.ready().exists()
    running = rounds.filter(
        status=TaskResultStatus.RUNNING, started_at__gte=now - LOST_AFTER
    ).exists()
    if not queued and not running:
        transaction.on_commit(deliver_webhooks_task.enqueue)
