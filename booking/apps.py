from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mail import renderers

        from . import emails

        # Booking mail is rendered by the worker, after the booking's transaction.
        renderers.register(emails.RENDERER, emails.render_booking_mail)
