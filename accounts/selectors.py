"""Reads of employees, always fenced to the reader's own account."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from .models import User


def employees(viewer: User) -> QuerySet[User]:
    """The active employees of the viewer's account (the viewer included)."""
    return User.objects.filter(account_id=viewer.account_id, is_active=True).select_related(
        "account"
    )


def colleagues_by_ids(viewer: User, ids: Iterable[int]) -> list[User]:
    """The employees with these ids, in the order given, duplicates dropped.

    Any id that is not an active employee of the viewer's account, whether it is
    unknown or belongs to another account, is the same 404: the answer never tells
    one apart from the other.
    """
    wanted = list(dict.fromkeys(ids))
    found = {u.pk: u for u in employees(viewer).filter(pk__in=wanted)}
    if len(found) != len(wanted):
        raise Http404("No such employee.")
    return [found[i] for i in wanted]
