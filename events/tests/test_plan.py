"""The plan page, the operator's command, and the event form at the free plan's limit."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from events.models import Event
from events.services import event_create

from .guest_helpers import at

pytestmark = pytest.mark.django_db


def use_quota(owner, count: int) -> None:
    """``count`` events that used a slot of the quota (as inviting a guest does)."""
    for index in range(count):
        event = event_create(owner, title=f"E{index}", start=at(2, 9), end=at(2, 10))
        Event.objects.filter(pk=event.pk).update(guests_first_invited_at=timezone.now())


def test_the_plan_page_shows_the_count_and_how_the_plan_changes(client, owner, colleague):
    use_quota(owner, 3)
    client.force_login(owner)
    page = client.get(reverse("events:plan")).content.decode()
    assert "3 of 10 used" in page
    assert f"manage.py setplan {owner.account_id} paid" in page
    client.force_login(colleague)  # an employee, not an admin
    assert client.get(reverse("events:plan")).status_code == 404


def test_the_command_changes_the_plan_and_names_what_is_wrong(owner):
    out = StringIO()
    call_command("setplan", str(owner.account_id), "paid", stdout=out)
    assert "plan free -> paid" in out.getvalue()
    assert Account.objects.get(pk=owner.account_id).plan == "paid"
    with pytest.raises(CommandError, match=r"^plan: Choose free or paid\."):
        call_command("setplan", str(owner.account_id), "gold")
    with pytest.raises(CommandError, match=r"^account_id: no account has the id 999999"):
        call_command("setplan", "999999", "free")
    assert Account.objects.get(pk=owner.account_id).plan == "paid"


def test_at_the_limit_the_guest_fields_are_disabled_and_say_why(client, owner, colleague):
    use_quota(owner, 10)
    client.force_login(owner)
    form = client.get(reverse("events:create")).content.decode()
    fieldset = re.search(r'<fieldset class="guests" id="guests"[^>]*>', form).group(0)
    assert "disabled" in fieldset
    assert f'href="{reverse("events:plan")}"' in form
    client.force_login(colleague)
    form = client.get(reverse("events:create")).content.decode()
    assert "Your account admin can have the plan changed." in form
    # An event that already counts keeps its guest fields.
    counted = Event.objects.filter(organizer=owner).first()
    client.force_login(owner)
    edit = client.get(reverse("events:edit", args=[counted.pk])).content.decode()
    fieldset = re.search(r'<fieldset class="guests" id="guests"[^>]*>', edit).group(0)
    assert "disabled" not in fieldset
    # Saving the form without the (disabled, so unsent) guest rows creates the event.
    response = client.post(
        reverse("events:create"),
        {
            "title": "Internal", "start_date": "2026-06-03", "start_time": "09:00",
            "end_date": "2026-06-03", "end_time": "10:00", "timezone": "Europe/Berlin",
            "transparency": "busy",
        },
    )  # fmt: skip
    assert response.status_code == 302 and Event.objects.filter(title="Internal").exists()
