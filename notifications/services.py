"""Writing and reading notifications; callers run inside their own transaction."""

from django.utils import timezone

from accounts.models import User

from .models import Notification


def notify(user: User, text: str, url: str = "") -> Notification:
    return Notification.objects.create(user=user, text=text[:500], url=url[:500])


def mark_seen(user: User, notification_ids: list[int]) -> int:
    """The ones just shown to ``user`` are read from now on (the page that showed them
    still marks them as new: that is how the reader spots them)."""
    return Notification.objects.filter(
        user=user, pk__in=notification_ids, read_at__isnull=True
    ).update(read_at=timezone.now())


def mark_all_read(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
