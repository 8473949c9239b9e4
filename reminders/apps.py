from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Keep the reminder round alive from below without the apps below knowing of
        it: a saved booking or event with reminders asks for a round."""
        from django.db.models.signals import post_save

        from booking.models import Booking, BookingLink
        from events.models import Event

        from .tasks import ask_worker_to_remind

        def saved(sender, instance, raw: bool = False, **kwargs) -> None:
            if raw:
                return
            wants = getattr(instance, "reminders", None)
            if sender is Booking:
                wants = instance.link.reminders if instance.link_id else None
            if wants:
                ask_worker_to_remind()

        for model in (Booking, BookingLink, Event):
            post_save.connect(
                saved, sender=model, weak=False, dispatch_uid=f"reminders-{model.__name__}"
            )
