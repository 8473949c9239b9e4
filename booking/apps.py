from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mail import renderers

        from . import emails

        # Booking mail is rendered by the worker, after the booking's transaction.
        renderers.register(emails.RENDERER, emails.render_booking_mail)

        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from .models import LinkMember

        def refused_joint_links(sender, instance, raw: bool = False, **kwargs) -> None:
            """A colleague who no longer agrees leaves every colleague's joint link."""
            if not raw and not instance.joint_links_ok:
                LinkMember.objects.filter(user=instance).exclude(link__owner=instance).delete()

        post_save.connect(
            refused_joint_links,
            sender=get_user_model(),
            weak=False,
            dispatch_uid="booking-joint-refusal",
        )
