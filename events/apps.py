from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the signal receivers that keep derived data in step with events.
        from . import attendance_window, occurrence_store  # noqa: F401
