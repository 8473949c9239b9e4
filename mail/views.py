"""Sender mailbox pages: add an address, type back its code, pick a default, delete.

Each view parses a form, calls one function of ``mail.senders`` and renders or redirects.
A ``next`` path (e.g. the event form that asked for a mailbox) is carried through and
followed once a mailbox is confirmed; only local paths are followed.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import apply_service_errors
from events.exceptions import Conflict

from . import senders
from .forms import ConfirmCodeForm, DefaultMailboxForm, SenderMailboxForm


def _next_url(request: HttpRequest) -> str:
    """The local path to return to, or "" (an absolute or foreign URL is ignored)."""
    value = request.POST.get("next") or request.GET.get("next") or ""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    if not url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return ""
    return value


def _page_url(next_url: str, anchor: str = "") -> str:
    url = reverse("mail:sender_mailboxes")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return url + (f"#{anchor}" if anchor else "")


def _render(
    request: HttpRequest,
    *,
    add_form: SenderMailboxForm | None = None,
    code_error: tuple[int, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    mailboxes = list(senders.visible_mailboxes(user))
    usable = list(senders.usable_mailboxes(user).select_related("owner"))
    sender = senders.sender_for(user)
    return render(
        request,
        "mail/sender_mailboxes.html",
        {
            "nav": "settings",
            "mailboxes": mailboxes,
            "usable": usable,
            "sender": sender,
            "add_form": add_form or SenderMailboxForm(),
            "code_form": ConfirmCodeForm(),
            "code_error_for": code_error[0] if code_error else None,
            "code_errors": code_error[1] if code_error else [],
            "default_form": DefaultMailboxForm(
                mailboxes=usable, current=user.default_sender_mailbox_id
            ),
            "next_url": _next_url(request),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sender_mailboxes(request: HttpRequest) -> HttpResponse:
    """GET: the list and the forms. POST: add a mailbox (and e-mail it a code)."""
    if request.method == "GET":
        return _render(request)
    form = SenderMailboxForm(request.POST)
    if form.is_valid():
        try:
            mailbox = senders.add_sender_mailbox(request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("We sent a 6-digit code to %(email)s. Enter it here to confirm the address.")
                % {"email": mailbox.email},
            )
            return redirect(_page_url(_next_url(request), f"mailbox-{mailbox.pk}"))
    return _render(request, add_form=form, status=400)


@login_required
@require_POST
def sender_mailbox_confirm(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    form = ConfirmCodeForm(request.POST)
    next_url = _next_url(request)
    code = form.data.get("code", "")
    try:
        mailbox = senders.confirm_sender_mailbox(request.user, mailbox_id, code)
    except ValidationError as exc:
        return _render(request, code_error=(mailbox_id, exc.messages), status=400)
    except Conflict as exc:
        messages.info(request, exc.message)
        return redirect(_page_url(next_url))
    messages.success(
        request,
        _("%(email)s is confirmed: invitations can be sent from it.") % {"email": mailbox.email},
    )
    return redirect(next_url or _page_url(""))


@login_required
@require_POST
def sender_mailbox_resend(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    next_url = _next_url(request)
    try:
        mailbox = senders.resend_confirmation_code(request.user, mailbox_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.info(request, exc.message)
    else:
        messages.success(
            request,
            _("A new code is on its way to %(email)s; earlier codes no longer work.")
            % {"email": mailbox.email},
        )
        return redirect(_page_url(next_url, f"mailbox-{mailbox.pk}"))
    return redirect(_page_url(next_url))


@login_required
@require_POST
def sender_mailbox_delete(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    senders.delete_sender_mailbox(request.user, mailbox_id)  # 404 / 403 as the service says
    messages.success(request, _("The sender mailbox was deleted."))
    return redirect(_page_url(_next_url(request)))


@login_required
@require_POST
def sender_mailbox_default(request: HttpRequest) -> HttpResponse:
    """Choose the default; posted from this page and from the settings page."""
    next_url = _next_url(request)
    raw = request.POST.get("mailbox", "")
    try:
        senders.set_default_sender_mailbox(request.user, raw or None)
    except ValidationError as exc:
        messages.error(
            request,
            _("Default sender mailbox: %(reason)s") % {"reason": " ".join(exc.messages)},
        )
    else:
        messages.success(request, _("Your default sender mailbox was saved."))
    return redirect(next_url or _page_url(""))
