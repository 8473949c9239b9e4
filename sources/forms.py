from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PageFormMixin


class IcalSourceForm(PageFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. “Private”"))
    url = forms.CharField(
        label=_("Calendar address (.ics or webcal)"),
        max_length=2000,
        help_text=_(
            "Google Calendar: Settings → your calendar → “Secret address in iCal format”. "
            "Outlook: Settings → Calendar → Shared calendars → Publish a calendar → ICS."
        ),
    )


class CaldavSourceForm(PageFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    caldav_url = forms.CharField(label=_("Calendar address on the CalDAV server"), max_length=2000)
    username = forms.CharField(label=_("User name"), max_length=254, required=False)
    password = forms.CharField(
        label=_("Password"),
        max_length=1000,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Stored encrypted and never shown again; an app password if the server has them."
        ),
    )
