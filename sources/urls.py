from django.urls import path

from . import views

app_name = "sources"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("ical/", views.add_ical, name="add_ical"),
    path("caldav/", views.add_caldav, name="add_caldav"),
    path("<int:source_id>/refresh/", views.refresh, name="refresh"),
    path("<int:source_id>/remove/", views.remove, name="remove"),
]
