"""Sender mailbox pages, mounted under /accounts/settings/sender-mailboxes/."""

from django.urls import path

from . import views

app_name = "mail"
urlpatterns = [
    path("", views.sender_mailboxes, name="sender_mailboxes"),
    path("default/", views.sender_mailbox_default, name="sender_mailbox_default"),
    path("<int:mailbox_id>/confirm/", views.sender_mailbox_confirm, name="sender_mailbox_confirm"),
    path("<int:mailbox_id>/resend/", views.sender_mailbox_resend, name="sender_mailbox_resend"),
    path("<int:mailbox_id>/delete/", views.sender_mailbox_delete, name="sender_mailbox_delete"),
]
