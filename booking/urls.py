from django.urls import path

from . import views

app_name = "booking"
urlpatterns = [
    # Public, reached by capability tokens.
    path("b/<str:token>", views.public_page, name="public"),
    path("b/manage/<str:token>/", views.manage, name="manage"),
    path("b/manage/<str:token>/meeting.ics", views.manage_ics, name="manage_ics"),
    path("b/manage/<str:token>/cancel/", views.manage_cancel, name="manage_cancel"),
    # The employee's own pages.
    path("booking/", views.settings_page, name="settings"),
    path("booking/on/", views.switch_on, name="switch_on"),
    path("booking/new-link/", views.new_link_confirm, name="new_link_confirm"),
    path("booking/off/", views.switch_off, name="switch_off"),
    path("booking/preview/", views.preview, name="preview"),
    path("booking/bookings/", views.owner_bookings, name="owner_bookings"),
    path("booking/bookings/<int:booking_id>/", views.owner_booking, name="owner_booking"),
    path("booking/bookings/<int:booking_id>/decline/", views.decline, name="decline"),
]
