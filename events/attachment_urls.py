"""Organizer and employee attachment routes, mounted under /calendar/ beside events.urls."""

from django.urls import path

from . import attachment_views

app_name = "event_attachments"
urlpatterns = [
    path(
        "events/<int:event_id>/attachments/",
        attachment_views.attachment_upload,
        name="upload",
    ),
    path(
        "events/<int:event_id>/attachments/<int:attachment_id>/",
        attachment_views.attachment_download,
        name="download",
    ),
    path(
        "events/<int:event_id>/attachments/<int:attachment_id>/delete/",
        attachment_views.attachment_delete,
        name="delete",
    ),
]
