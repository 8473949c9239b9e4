"""Forms of the account pages: they parse and label input; the services decide."""

from __future__ import annotations

import functools

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.validation import known_time_zones

from . import throttle
from .addresses import validate_address
from .day_hours import DAY_NAMES, format_day_ranges, parse_day_ranges
from .emails import render_and_queue
from .models import WEEKDAYS, User
from .zones import zone_choices


class ZoneField(forms.ChoiceField):
    """A time zone picked from "(UTC+01:00) Berlin"-style choices (accounts.zones).

    The list offers each zone once; any zone the services accept is still valid, so a
    legacy name stored earlier (or sent by a script) is not refused by the form.
    ``lead`` puts the reader's own zone(s) first: set it per form with ``lead_with``.
    """

    widget = forms.Select(attrs={"data-searchable": _("Search by city or offset")})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", zone_choices)
        super().__init__(**kwargs)

    def lead_with(self, *zones: str | None) -> None:
        self.choices = functools.partial(zone_choices, *zones)

    def valid_value(self, value) -> bool:
        return value in known_time_zones()


def apply_service_errors(
    form: forms.Form, exc: ValidationError, field_map: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError next to the form field it names.

    Services name their own fields (``start``, ``attendee_ids``); ``field_map`` translates
    those to this form's field names. Anything without a matching field becomes a form-wide
    error, so no message is ever lost.
    """
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        target = field_map.get(field, field)
        form.add_error(target if target in form.fields else None, messages)


class AddressField(forms.EmailField):
    """An e-mail field checked by the project's one address validator (no quoted local
    parts, no display names; ``accounts.addresses``)."""

    default_validators = [validate_address]


class PageFormMixin:
    """Labels without Django's trailing colon: on these pages the label sits above its field."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class EmailAuthenticationForm(PageFormMixin, AuthenticationForm):
    """Django's sign-in form, labelled for e-mail addresses, with a budget of failures
    (``accounts.throttle``)."""

    username = AddressField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean(self) -> dict:
        email = self.cleaned_data.get("username") or self.data.get("username") or ""
        if self.request is not None:
            wait = throttle.signin_wait(self.request, email)
            if wait is not None:
                raise forms.ValidationError(
                    ngettext(
                        "Too many failed sign-ins. Try again in %(minutes)d minute.",
                        "Too many failed sign-ins. Try again in %(minutes)d minutes.",
                        throttle.minutes(wait),
                    )
                    % {"minutes": throttle.minutes(wait)},
                    code="throttled",
                )
        try:
            return super().clean()
        except forms.ValidationError:
            if self.request is not None:
                throttle.signin_failed(self.request, email)
            raise


class OutboxPasswordResetForm(PageFormMixin, PasswordResetForm):
    """Password reset whose mail goes through the outbox inside the request's transaction."""

    def get_users(self, email: str):
        """Active employees with this address, including those who never set a password.

        Django skips unusable passwords (meant for externally authenticated users); here
        every employee signs in with a password, and a newly added one whose welcome link
        expired must be able to ask for a fresh one.
        """
        return User.objects.filter(email__iexact=email.strip(), is_active=True)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict,
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        render_and_queue(
            user=context["user"],
            to_email=to_email,
            subject_template=subject_template_name,
            text_template=email_template_name,
            html_template=html_email_template_name,
            context=context,
            from_email=from_email,
        )

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)


class NewPasswordForm(PageFormMixin, SetPasswordForm):
    """Django's set-password form with this site's label style."""


class DayHoursField(forms.CharField):
    """One weekday's working hours as text, cleaned into the JSON form of the services."""

    def __init__(self, day: str, **kwargs) -> None:
        self.day = day
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", DAY_NAMES[day])
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def clean(self, value):
        return parse_day_ranges(super().clean(value), self.day)


class PreferencesForm(PageFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    timezone = ZoneField(label=_("Time zone"))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    event_mail = forms.BooleanField(
        label=_("E-mail me when a colleague invites me, or changes or cancels an event I am in"),
        required=False,
    )
    wants_reminders = forms.BooleanField(
        label=_("E-mail me reminders before my meetings that have reminders set"),
        required=False,
    )
    joint_links_ok = forms.BooleanField(
        label=_("Colleagues may put me on their joint and round-robin booking links"),
        required=False,
        help_text=_("Unticked, you leave the ones you are on."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "full_name": user.full_name,
                "timezone": user.timezone,
                "language": user.language,
                "event_mail": user.event_mail,
                "wants_reminders": user.wants_reminders,
                "joint_links_ok": user.joint_links_ok,
                **{
                    day: format_day_ranges((user.working_hours or {}).get(day, []))
                    for day in WEEKDAYS
                },
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["timezone"].lead_with(user.timezone)
        for day in WEEKDAYS:
            self.fields[day] = DayHoursField(
                day,
                help_text=_("For example 9-12, 13:30-18. Empty: not working."),
            )

    def day_fields(self):
        return [self[day] for day in WEEKDAYS]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "full_name": data["full_name"],
            "timezone": data["timezone"],
            "language": data["language"],
            "event_mail": data["event_mail"],
            "wants_reminders": data["wants_reminders"],
            "joint_links_ok": data["joint_links_ok"],
            "working_hours": {day: data[day] for day in WEEKDAYS},
        }

    def apply_service_errors(self, exc: ValidationError) -> None:
        """The scheduling engine prefixes its messages with the day key ("mon: ...")."""
        if hasattr(exc, "error_dict") and "working_hours" in exc.error_dict:
            for message in exc.message_dict["working_hours"]:
                day = message.split(":", 1)[0]
                self.add_error(day if day in WEEKDAYS else None, message)
            rest = {k: v for k, v in exc.message_dict.items() if k != "working_hours"}
            if rest:
                apply_service_errors(self, ValidationError(rest))
            return
        apply_service_errors(self, exc)


class ApiTokenForm(PageFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “laptop script”."),
    )


class EmployeeForm(PageFormMixin, forms.Form):
    email = AddressField(label=_("E-mail"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    timezone = ZoneField(label=_("Time zone"))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    is_account_admin = forms.BooleanField(
        label=_("Account admin"),
        required=False,
        help_text=_("Admins can add employees."),
    )
