from django.urls import path

from . import views

app_name = "dav"
urlpatterns = [
    # Public, reached by the capability token alone (calendar clients send no cookie).
    path("feed/<str:token>.ics", views.feed_ics, name="feed"),
    path("accounts/settings/feed/", views.feed_settings, name="settings"),
    path("accounts/settings/feed/change/", views.feed_change, name="change"),
]
