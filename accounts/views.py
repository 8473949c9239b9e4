"""Account pages: sign-in, password reset, settings, API tokens, employees.

Each view parses a form, calls one service and renders; the rules live in services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from . import languages, services, throttle
from .forms import (
    ApiTokenForm,
    EmailAuthenticationForm,
    EmployeeForm,
    NewPasswordForm,
    OutboxPasswordResetForm,
    PreferencesForm,
    apply_service_errors,
)
from .models import User


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        services.adopt_browser_language(form.get_user(), languages.from_browser(self.request))
        return super().form_valid(form)


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), so a link or image cannot sign you out."""


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = OutboxPasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self) -> dict:  # type: ignore[override]
        # Links in mail use the configured public URL, never the request's Host header.
        return {"base_url": settings.BASE_URL.rstrip("/")}

    def form_valid(self, form):
        # Counted for any address typed (no hint whether it is an account's), so that
        # nobody can fill an employee's inbox with reset mail.
        wait = throttle.reset_wait(self.request, form.cleaned_data["email"])
        if wait is not None:
            minutes = throttle.minutes(wait)
            form.add_error(
                None,
                ngettext(
                    "Too many password-reset requests. Try again in %(minutes)d minute.",
                    "Too many password-reset requests. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            return self.form_invalid(form)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def _settings_page(
    request: HttpRequest,
    *,
    form: PreferencesForm | None = None,
    token_form: ApiTokenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "accounts/settings.html",
        {
            "nav": "settings",
            "form": form or PreferencesForm(user=request.user),
            "token_form": token_form or ApiTokenForm(),
            "tokens": tokens,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _settings_page(request)
    form = PreferencesForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.update_preferences(request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Your settings were saved."))
            return redirect("accounts:settings")
    return _settings_page(request, form=form, status=400)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.create_api_token(request.user, form.cleaned_data["name"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # Rendered, not redirected: the raw token exists only in this one response.
            response = render(
                request,
                "accounts/token_created.html",
                {"nav": "settings", "token": token, "raw_token": raw},
            )
            add_never_cache_headers(response)
            return response
    return _settings_page(request, token_form=form, status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.revoke_api_token(request.user, token_id)  # 404 for someone else's token
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:settings")


@login_required
@require_http_methods(["GET", "POST"])
def employees(request: HttpRequest) -> HttpResponse:
    admin = request.user
    if not admin.is_account_admin:
        raise PermissionDenied(_("Only an account admin can manage employees."))
    if request.method == "POST":
        form = EmployeeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                employee = services.add_employee(
                    admin,
                    email=data["email"],
                    full_name=data["full_name"],
                    timezone_name=data["timezone"],
                    language=data["language"],
                    is_account_admin=data["is_account_admin"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, {"timezone_name": "timezone"})
            else:
                messages.success(
                    request,
                    _("%(name)s was added and will get an e-mail to set a password.")
                    % {"name": employee.full_name},
                )
                return redirect("accounts:employees")
        status = 400
    else:
        form = EmployeeForm(initial={"timezone": admin.timezone, "language": admin.language})
        status = 200
    people = User.objects.filter(account_id=admin.account_id).order_by("full_name", "email")
    return render(
        request,
        "accounts/employees.html",
        {"nav": "employees", "form": form, "employees": people},
        status=status,
    )
