"""Forms of the sender mailbox pages: they parse and label input; mail.senders decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PageFormMixin


class SenderMailboxForm(PageFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Display name"),
        max_length=200,
        help_text=_("Shown to guests as the sender, e.g. “Alice at Acme” or “Acme Sales”."),
    )
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We e-mail a 6-digit code to this address to check that it is yours."),
    )
    shared = forms.BooleanField(
        label=_("Available to all employees"),
        required=False,
        help_text=_("Colleagues of your account may then send invitations from it too."),
    )


class ConfirmCodeForm(PageFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code from the e-mail"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "size": 8,
            }
        ),
    )


class DefaultMailboxForm(PageFormMixin, forms.Form):
    """Pick the default among the mailboxes the employee may use."""

    mailbox = forms.TypedChoiceField(
        label=_("Send my invitations from"),
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, mailboxes, current: int | None = None, **kwargs) -> None:
        kwargs.setdefault("initial", {"mailbox": current})
        super().__init__(*args, **kwargs)
        self.fields["mailbox"].choices = [
            ("", _("No default (ask me when I have several)")),
            *((m.pk, m.formatted) for m in mailboxes),
        ]
