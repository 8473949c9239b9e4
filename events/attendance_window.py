"""Attendances carry a copy of their event's window (start, end, end of the last
occurrence, whether it repeats, whether it counts as busy, its stored occurrence range),
so that busy time is read from an index over a person's attendances bounded by the
window, without walking every attendance the person ever had or reading event rows.

The copies are written where attendances are made (``Attendee.save``, the manager's
``bulk_create``), here whenever an event is saved, and by the occurrence store when it
moves a series' stored range. No code changes those event fields with a bulk
``update`` otherwise; the test suite checks after every test that the copies agree.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Attendee, Event, event_window


def copy_to_attendances(event: Event) -> None:
    """Bring the copies of ``event``'s attendances up to date (no write if they are)."""
    values = event_window(event)
    Attendee.objects.filter(event_id=event.pk).exclude(**values).update(**values)


@receiver(post_save, sender=Event, dispatch_uid="attendance_window_saved")
def _event_saved(sender, instance: Event, raw: bool = False, created: bool = False, **kwargs):
    if raw or created:
        return  # a new event has no attendances yet
    copy_to_attendances(instance)
