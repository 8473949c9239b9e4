"""Proposals of another time: the guest's form on their page, the organizer's two buttons.

The guest's form is on ``/i/<token>/`` (the token is the credential, as for answers: a
POST with CSRF); the organizer's "Accept" / "Decline" are POSTs on the event page. The
rules live in ``events.proposals``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import guests as guest_lib
from . import proposals
from .exceptions import Conflict
from .guest_views import attendee_or_404, private_response
from .proposal_forms import ProposalForm


@require_POST
def guest_propose(request: HttpRequest, token: str) -> HttpResponse:
    attendee = attendee_or_404(token)
    with translation.override(guest_lib.language_of(attendee.guest, attendee.event.organizer)):
        form = ProposalForm(request.POST)
        if not form.is_valid():
            problems = [
                f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()
            ]
            messages.error(request, " ".join(problems))
        else:
            start, end = form.times()
            try:
                proposals.propose(
                    attendee, start=start, end=end, comment=form.cleaned_data["comment"]
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Thank you, your proposal was sent to the organizer."))
    return private_response(redirect("guest:page", token=token))


@login_required
@require_POST
def proposal_decide(request: HttpRequest, proposal_id: int, decision: str) -> HttpResponse:
    """The organizer's answer; anyone else's, or an unknown proposal, is the same 404."""
    event_id = proposals.event_of(proposal_id, request.user)
    if event_id is None or decision not in ("accept", "decline"):
        raise Http404("No such proposal.")
    try:
        if decision == "accept":
            proposals.accept_proposal(proposal_id, request.user)
            messages.success(request, _("The event was moved; everyone was told."))
        else:
            proposals.decline_proposal(proposal_id, request.user)
            messages.success(request, _("The proposal was declined; the guest was told."))
    except PermissionDenied:
        raise Http404("No such proposal.") from None
    except (ValidationError, Conflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
    return redirect("events:detail", event_id)
