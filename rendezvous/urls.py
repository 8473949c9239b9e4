from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="events:week", permanent=False)),
    path("accounts/", include("accounts.urls")),
    path("accounts/settings/sender-mailboxes/", include("mail.urls")),
    path("accounts/settings/busy-sources/", include("sources.urls")),
    path("accounts/settings/webhooks/", include("webhooks.urls")),
    path("calendar/", include("events.urls")),
    path("calendar/", include("events.attachment_urls")),
    path("i/", include("events.guest_urls")),  # a guest's own page: /i/<token>/
    path("notifications/", include("notifications.urls")),
    path("planner/", include("planner.urls")),
    path("api/v1/", include("api.urls")),
    path("", include("dav.urls")),  # /feed/<token>.ics (public) and its settings page
    path("", include("booking.urls")),  # /b/<token> (public) and /booking/… (settings)
    path("admin/", admin.site.urls),
]
