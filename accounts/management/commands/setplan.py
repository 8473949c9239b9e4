"""``setplan ACCOUNT_ID free|paid``: the operator changes an account's plan.

The account's admins see the plan, and what it allows, on their plan page; this command
(or the admin site, /admin/) is how it changes.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from accounts.services import set_plan


class Command(BaseCommand):
    help = "Change an account's plan (free or paid)."

    def add_arguments(self, parser):
        parser.add_argument(
            "account_id", type=int, help="the account's id (createaccount prints it)"
        )
        parser.add_argument("plan", help="free or paid")

    def handle(self, *args, **options):
        account = Account.objects.filter(pk=options["account_id"]).first()
        if account is None:
            raise CommandError(f"account_id: no account has the id {options['account_id']}.")
        before = account.plan
        try:
            set_plan(account, options["plan"])
        except ValidationError as exc:
            raise CommandError(f"plan: {' '.join(exc.message_dict['plan'])}") from None
        self.stdout.write(
            f"Account {account.name!r} (id {account.pk}): plan {before} -> {account.plan}."
        )
