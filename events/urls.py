from django.urls import path

from . import calendar_views, plan_views, proposal_views, views

app_name = "events"
urlpatterns = [
    path("", calendar_views.week, name="week"),
    path("week/<str:day>/", calendar_views.week, name="week_of"),
    path("day/<str:day>/", calendar_views.day_view, name="day"),
    path("month/<int:year>-<int:month>/", calendar_views.month_view, name="month"),
    path("events/new/", views.event_create, name="create"),
    path("events/<int:event_id>/", views.event_detail, name="detail"),
    path("events/<int:event_id>/edit/", views.event_edit, name="edit"),
    path("events/<int:event_id>/cancel/", views.event_cancel, name="cancel"),
    path("events/<int:event_id>/respond/", views.event_respond, name="respond"),
    path(
        "proposals/<int:proposal_id>/<str:decision>/",
        proposal_views.proposal_decide,
        name="proposal_decide",
    ),
    path("guests/", views.guest_contacts, name="guests"),
    path("plan/", plan_views.plan_page, name="plan"),
    path("guests/<int:guest_id>/rename/", views.guest_contact_rename, name="guest_rename"),
]
