"""Background work of the events app (run by ``db_worker``)."""

from __future__ import annotations

from django_tasks import task

from . import occurrence_store


@task()
def extend_occurrence_store_task() -> int:
    """Move stale series' stored occurrences forward; queue another run while some are left."""
    done = occurrence_store.extend_stale()
    if done >= occurrence_store.BATCH:
        extend_occurrence_store_task.enqueue()
    return done
