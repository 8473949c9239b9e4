"""Attendances carry a copy of their event's window (start, end of the last occurrence,
whether it repeats), so that busy time is read from an index over a person's attendances
bounded by the window, not by walking every attendance the person ever had.

The copies are written where attendances are made (``Attendee.save``, the manager's
``bulk_create``) and refreshed here whenever an event is saved. No code changes an
event's start, end or rule with a bulk ``update``; the test suite checks after every
test that the copies agree with their events.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Attendee, Event


@receiver(post_save, sender=Event, dispatch_uid="attendance_window_saved")
def _event_saved(sender, instance: Event, raw: bool = False, created: bool = False, **kwargs):
    if raw or created:
        return  # a new event has no attendances yet
    Attendee.objects.filter(event_id=instance.pk).exclude(
        event_start=instance.start,
        event_reach=instance.series_end,
        event_repeats=bool(instance.recurrence),
    ).update(
        event_start=instance.start,
        event_reach=instance.series_end,
        event_repeats=bool(instance.recurrence),
    )
