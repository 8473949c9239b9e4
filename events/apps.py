from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the signal receivers that keep derived data in step with events.
        from mail import renderers

        from . import attendance_window, invitation_queue, occurrence_store  # noqa: F401

        # Invitations are rendered by the worker, after the request that queued them.
        renderers.register(invitation_queue.RENDERER, invitation_queue.render_guest_mail)
