"""Give a fresh installation something to sign in to.

On an empty database: a demo account with an admin, two colleagues and a few events this
week; prints the login, a password and an API token. Otherwise prints how to sign in.
"""

import datetime as dt
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from accounts.services import add_employee, create_account

DEMO_EMAIL = "demo@rendezvous.example"


class Command(BaseCommand):
    help = "Create a demo account when the database has none."

    @transaction.atomic
    def handle(self, *args, **options):
        if Account.objects.exists():
            if User.objects.filter(email=DEMO_EMAIL).exists():
                self.stdout.write(
                    f"Demo login: {DEMO_EMAIL} (forgot the password? "
                    f"python manage.py changepassword {DEMO_EMAIL})"
                )
            return
        password = secrets.token_urlsafe(9)
        _account, admin, token = create_account(
            "Demo Company",
            DEMO_EMAIL,
            plan=Account.Plan.FREE,
            password=password,
            full_name="Dana Demo",
            timezone_name="Europe/Berlin",
        )
        colleagues = [
            add_employee(admin, email=email, full_name=name, timezone_name=tz)
            for email, name, tz in (
                ("marco@rendezvous.example", "Marco Colleague", "Europe/Rome"),
                ("june@rendezvous.example", "June Colleague", "America/New_York"),
            )
        ]
        self._seed_events(admin, colleagues)
        self.stdout.write(self.style.SUCCESS("Created a demo account."))
        self.stdout.write(f"  Sign in at the address below with {DEMO_EMAIL} / {password}")
        self.stdout.write("  API token (shown once):")
        self.stdout.write(f"  {token}")

    def _seed_events(self, admin: User, colleagues: list[User]) -> None:
        from events.services import event_create

        zone = admin.zone
        today = timezone.localdate(timezone=zone)
        monday = today - dt.timedelta(days=today.weekday())

        def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
            return dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour, minute), zone)

        event_create(
            admin,
            title="Team stand-up",
            start=at(0, 9, 30),
            end=at(0, 9, 45),
            attendee_ids=[c.pk for c in colleagues],
        )
        event_create(
            admin, title="Client call: Rossi & Co", start=at(1, 14), end=at(1, 15), location="Phone"
        )
        event_create(
            admin,
            title="Quarterly planning",
            start=at(3, 10),
            end=at(3, 12, 30),
            attendee_ids=[colleagues[0].pk],
            location="Room 2",
        )
        event_create(colleagues[1], title="Focus time", start=at(2, 15), end=at(2, 17))
