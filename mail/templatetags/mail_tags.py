"""``{% sender_mailbox_settings %}``: the default-sender card of the settings page."""

from __future__ import annotations

from django import template
from django.urls import reverse

from mail import senders
from mail.forms import DefaultMailboxForm

register = template.Library()


@register.inclusion_tag("mail/includes/settings_section.html", takes_context=True)
def sender_mailbox_settings(context: template.Context) -> dict:
    request = context["request"]
    user = request.user
    usable = list(senders.usable_mailboxes(user))
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "user": user,
        "usable": usable,
        "sender": senders.sender_for(user),
        "default_form": DefaultMailboxForm(
            mailboxes=usable, current=user.default_sender_mailbox_id
        ),
        "next_url": reverse("accounts:settings"),
    }
