from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PageFormMixin

from .models import EVENT_TYPES


class EndpointForm(PageFormMixin, forms.Form):
    url = forms.CharField(
        label=_("Receiver's address"),
        max_length=2000,
        help_text=_("An https address of the system that should hear of the events."),
    )
    events = forms.MultipleChoiceField(
        label=_("Send these events"),
        choices=list(EVENT_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=_("Note"), max_length=200, required=False)
