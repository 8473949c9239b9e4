from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the signal receivers that keep derived data in step with events.
        from mail import inbound_handlers, renderers

        from . import (
            attendance_window,
            guest_messages,
            invitation_queue,
            occurrence_store,
            proposals,
            refresh,
        )
        from .answers import apply_guest_reply

        assert attendance_window and occurrence_store  # imported for their receivers
        # Invitations are rendered by the worker, after the request that queued them.
        renderers.register(invitation_queue.RENDERER, invitation_queue.render_guest_mail)
        # What reaches a guest's reply address: an answer, or words for the organizer.
        inbound_handlers.register("reply", apply_guest_reply)
        inbound_handlers.register("message", guest_messages.receive_guest_message)
        inbound_handlers.register("refresh", refresh.answer_refresh)
        inbound_handlers.register("counter", proposals.receive_counter)
