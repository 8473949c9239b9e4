"""Accounts (companies), their employees, and the API tokens employees hold."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_working_hours() -> dict:
    """Mon–Fri 09:00–18:00 in the employee's own zone, in the JSON form of scheduling.hours."""
    return {day: ([["09:00", "18:00"]] if day not in ("sat", "sun") else []) for day in WEEKDAYS}


class Account(models.Model):
    class Plan(models.TextChoices):
        # "Free" of charge; events have a "Free" that means available, so a context.
        FREE = "free", pgettext_lazy("plan", "Free")
        PAID = "paid", pgettext_lazy("plan", "Paid")

    name = models.CharField(_("name"), max_length=200)
    plan = models.CharField(_("plan"), max_length=10, choices=Plan.choices, default=Plan.FREE)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("email: required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if "account" not in extra and "account_id" not in extra:
            extra["account"] = Account.objects.create(name="Operators", plan=Account.Plan.PAID)
        extra.setdefault("is_account_admin", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An employee of one account. Guests are never users (they live in events.Guest)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(_("language"), max_length=10, default="en")
    #: E-mail reminders before my meetings that have reminders set (events, bookings).
    wants_reminders = models.BooleanField(_("e-mail reminders before my meetings"), default=False)
    #: Colleagues may put me on their joint and round-robin booking links.
    joint_links_ok = models.BooleanField(
        _("colleagues may add me to their joint links"), default=True
    )
    # Mail about events colleagues invite me to (invited, changed, cancelled); the in-app
    # notification comes either way.
    event_mail = models.BooleanField(_("e-mail me about events I am invited to"), default=True)
    working_hours = models.JSONField(_("working hours"), default=default_working_hours)
    is_account_admin = models.BooleanField(_("account admin"), default=False)
    # Invitations go From this mailbox (mail.senders.sender_for); deleting it clears this.
    default_sender_mailbox = models.ForeignKey(
        "mail.SenderMailbox",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default sender mailbox"),
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
