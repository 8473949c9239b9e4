"""``createaccount NAME ADMIN_EMAIL [--plan free|paid] [--password P]``.

Operators' scripts read the admin's API token from the last line of the output, so that
line holds the token alone.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_account


class Command(BaseCommand):
    help = "Create an account and its first employee (an account admin); print an API token."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the company's name")
        parser.add_argument("admin_email", help="e-mail (login) of the first employee")
        parser.add_argument("--plan", choices=["free", "paid"], default="free")
        parser.add_argument("--password", help="password of the admin (unset: none; use reset)")
        parser.add_argument("--full-name", help="the admin's full name")
        parser.add_argument("--timezone", default="UTC", help="the admin's IANA time zone")

    def handle(self, *args, **options):
        try:
            account, user, token = create_account(
                options["name"],
                options["admin_email"],
                plan=options["plan"],
                password=options["password"],
                full_name=options["full_name"],
                timezone_name=options["timezone"],
            )
        except ValidationError as exc:
            messages = "; ".join(f"{field}: {' '.join(m)}" for field, m in exc.message_dict.items())
            raise CommandError(messages) from None
        self.stdout.write(
            f"Created account {account.name!r} (id {account.pk}, plan {account.plan})."
        )
        self.stdout.write(f"Admin: {user.email} (id {user.pk}). API token:")
        self.stdout.write(token)
