from django.urls import path

from . import link_views, reschedule_views, views

app_name = "booking"
urlpatterns = [
    # Public, reached by capability tokens.
    path("b/<str:token>", views.public_page, name="public"),
    path("b/manage/<str:token>/", views.manage, name="manage"),
    path("b/manage/<str:token>/meeting.ics", views.manage_ics, name="manage_ics"),
    path("b/manage/<str:token>/cancel/", views.manage_cancel, name="manage_cancel"),
    path("b/manage/<str:token>/reschedule/", reschedule_views.reschedule, name="reschedule"),
    # The employee's own pages.
    # The first meeting type, where it always was; every type also under types/<id>/.
    path("booking/", link_views.settings_page, name="settings"),
    path("booking/on/", link_views.switch_on, name="switch_on"),
    path("booking/new-link/", link_views.new_link_confirm, name="new_link_confirm"),
    path("booking/off/", link_views.switch_off, name="switch_off"),
    path("booking/preview/", link_views.preview, name="preview"),
    path("booking/types/new/", link_views.add_type, name="add_type"),
    path("booking/types/<int:link_id>/", link_views.settings_page, name="type"),
    path("booking/types/<int:link_id>/on/", link_views.switch_on, name="type_on"),
    path(
        "booking/types/<int:link_id>/new-link/", link_views.new_link_confirm, name="type_new_link"
    ),
    path("booking/types/<int:link_id>/off/", link_views.switch_off, name="type_off"),
    path("booking/types/<int:link_id>/preview/", link_views.preview, name="type_preview"),
    path("booking/types/<int:link_id>/remove/", link_views.remove_type, name="type_remove"),
    path("booking/bookings/", views.owner_bookings, name="owner_bookings"),
    path("booking/bookings/<int:booking_id>/", views.owner_booking, name="owner_booking"),
    path("booking/bookings/<int:booking_id>/decline/", views.decline, name="decline"),
    path(
        "booking/bookings/<int:booking_id>/request-new-time/",
        reschedule_views.request_new_time,
        name="request_new_time",
    ),
]
