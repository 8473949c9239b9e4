"""Admin view of the outbox: an operator sees what failed and why, and can retry it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mail.delivery import retry_failed_messages
from mail.models import OutboxMessage

RAW_PREVIEW_LIMIT = 64 * 1024


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "subject",
        "recipient_list",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
        "sent_at",
    )
    list_filter = ("status",)
    search_fields = ("subject", "message_id", "recipients", "from_email", "last_error")
    date_hierarchy = "created_at"
    actions = ("retry_now",)
    fields = (
        "status",
        "message_id",
        "created_at",
        "from_email",
        "recipients",
        "delivered_to",
        "subject",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "raw_preview",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # mail enters the outbox only through mail.services

    @admin.display(description=_("recipients"))
    def recipient_list(self, obj: OutboxMessage) -> str:
        return Truncator(", ".join(obj.recipients)).chars(80)

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboxMessage) -> str:
        return Truncator(obj.last_error).chars(120)

    @admin.display(description=_("raw message"))
    def raw_preview(self, obj: OutboxMessage) -> str:
        if obj.needs_rendering:
            return _("Not written yet: the worker writes it just before the first attempt.")
        data = obj.raw_bytes
        text = data[:RAW_PREVIEW_LIMIT].decode("utf-8", "replace")
        if len(data) > RAW_PREVIEW_LIMIT:
            text += "\n…"
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    @admin.action(description=_("Retry now (failed messages)"), permissions=("change",))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        retried = retry_failed_messages(selected)
        skipped = len(selected) - retried
        self.message_user(
            request,
            ngettext(
                "%(count)d message queued for another try.",
                "%(count)d messages queued for another try.",
                retried,
            )
            % {"count": retried},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message skipped: only failed messages can be retried.",
                    "%(count)d messages skipped: only failed messages can be retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
