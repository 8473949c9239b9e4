from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("add/", views.add, name="add"),
    path("<int:endpoint_id>/", views.deliveries, name="deliveries"),
    path("<int:endpoint_id>/switch-on/", views.switch_on, name="switch_on"),
    path("<int:endpoint_id>/remove/", views.remove, name="remove"),
]
