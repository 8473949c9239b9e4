from django.urls import path

from . import caldav_views, views

app_name = "dav"
urlpatterns = [
    # Public, reached by the capability token alone (calendar clients send no cookie).
    path("feed/<str:token>.ics", views.feed_ics, name="feed"),
    path("accounts/settings/feed/", views.feed_settings, name="settings"),
    path("accounts/settings/feed/change/", views.feed_change, name="change"),
    # CalDAV (RFC 4791), signed in by app password.
    path(".well-known/caldav", caldav_views.well_known, name="well_known"),
    path("dav/", caldav_views.root, name="root"),
    path("dav/principals/<int:user_id>/", caldav_views.principal, name="principal"),
    path("dav/calendars/<int:user_id>/", caldav_views.home, name="home"),
    path("dav/calendars/<int:user_id>/calendar/", caldav_views.calendar, name="calendar"),
    path(
        "dav/calendars/<int:user_id>/calendar/<str:name>",
        caldav_views.calendar_object,
        name="object",
    ),
]
