"""Background work of the mail app, run by ``manage.py db_worker``."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_outbox_message_task(message_id: int) -> str:
    """Deliver one outbox row; the logic lives in ``mail.delivery`` where tests call it."""
    from mail.delivery import deliver_outbox_message

    return deliver_outbox_message(message_id).value


@task()
def deliver_outbox_batch_task(message_ids: list[int]) -> dict[str, int]:
    """Deliver many outbox rows over one SMTP connection; counts per outcome."""
    from mail.delivery import deliver_batch

    return deliver_batch(message_ids)
