from django.urls import path
from django.views.generic import RedirectView

from . import caldav_views, device_views, views

app_name = "dav"
urlpatterns = [
    # Public, reached by the capability token alone (calendar clients send no cookie).
    path("feed/<str:token>.ics", views.feed_ics, name="feed"),
    path(
        "dav/setup/<str:token>.mobileconfig",
        device_views.apple_profile_download,
        name="apple_profile",
    ),
    # The settings page; its first address stays a way there.
    path("accounts/settings/devices/", device_views.devices, name="settings"),
    path("accounts/settings/feed/", RedirectView.as_view(pattern_name="dav:settings")),
    path("accounts/settings/feed/change/", views.feed_change, name="change"),
    path(
        "accounts/settings/devices/passwords/",
        device_views.app_password_create,
        name="app_password_create",
    ),
    path(
        "accounts/settings/devices/passwords/<int:password_id>/revoke/",
        device_views.app_password_revoke,
        name="app_password_revoke",
    ),
    # CalDAV (RFC 4791), signed in by app password.
    path(".well-known/caldav", caldav_views.well_known, name="well_known"),
    path("dav/", caldav_views.root, name="root"),
    path("dav/principals/", caldav_views.principals, name="principals"),
    path("dav/principals/<int:user_id>/", caldav_views.principal, name="principal"),
    path("dav/calendars/<int:user_id>/", caldav_views.home, name="home"),
    path("dav/calendars/<int:user_id>/calendar/", caldav_views.calendar, name="calendar"),
    path("dav/calendars/<int:user_id>/<str:name>/", caldav_views.unknown_collection),
    path(
        "dav/calendars/<int:user_id>/calendar/<str:name>",
        caldav_views.calendar_object,
        name="object",
    ),
]
