"""Public pages of external guests: ``/i/<token>/…`` (the token is the only credential)."""

from django.urls import path

from . import attachment_views, guest_views, proposal_views

app_name = "guest"
urlpatterns = [
    path("<str:token>/", guest_views.guest_page, name="page"),
    path("<str:token>/language/", guest_views.guest_language, name="language"),
    path("<str:token>/event.ics", guest_views.guest_ics, name="ics"),
    path("<str:token>/propose/", proposal_views.guest_propose, name="propose"),
    path(
        "<str:token>/attachments/<int:attachment_id>/",
        attachment_views.guest_attachment_download,
        name="attachment",
    ),
]
