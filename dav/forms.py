from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PageFormMixin


class AppPasswordForm(PageFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Device"),
        max_length=100,
        help_text=_("Which device it is for, e.g. “Maria's iPhone”."),
    )
