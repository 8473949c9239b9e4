"""Password e-mails (reset and first sign-in), queued in the outbox, never sent inline.

Both go through :func:`mail.services.queue_email`, so the mail is a row written in the
caller's transaction: a rolled-back change (say, adding an employee whose second step
fails) leaves no mail behind, and nothing leaves the machine before the commit.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User


def render_and_queue(
    *,
    user: User,
    to_email: str,
    subject_template: str,
    text_template: str,
    context: dict,
    html_template: str | None = None,
    from_email: str | None = None,
) -> None:
    """Render the mail in the recipient's own language and put it into the outbox."""
    from mail.services import queue_email

    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = "".join(render_to_string(subject_template, context).splitlines()).strip()
        text = render_to_string(text_template, context)
        html = render_to_string(html_template, context) if html_template else None
    queue_email(to=[to_email], subject=subject, text=text, html=html, from_email=from_email)


def password_link_context(user: User) -> dict:
    """What the password templates need: a one-time link built on BASE_URL, not the Host header."""
    return {
        "user": user,
        "email": user.email,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "base_url": settings.BASE_URL.rstrip("/"),
        "site_name": "Rendezvous",
    }


def queue_welcome_mail(user: User, invited_by: User) -> None:
    """A new employee sets a password through the same one-time link a reset uses."""
    context = password_link_context(user)
    context["invited_by"] = invited_by
    context["account_name"] = invited_by.account.name
    render_and_queue(
        user=user,
        to_email=user.email,
        subject_template="accounts/email/welcome_subject.txt",
        text_template="accounts/email/welcome.txt",
        context=context,
    )
