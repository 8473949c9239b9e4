"""The operator's view of accounts: find one, see and change its plan."""

from django.contrib import admin

from .models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "plan", "pk")
    list_filter = ("plan",)
    search_fields = ("name",)
    fields = ("name", "plan")
