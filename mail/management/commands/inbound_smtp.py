"""``manage.py inbound_smtp``: receive guests' iMIP replies for INBOUND_DOMAIN over SMTP.

Point the domain's MX record at this host and run it on port 25, or run it on a high port
behind an MTA that relays the domain to it (README: "Inbound mail"). SIGINT or SIGTERM
stops it cleanly.
"""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mail.inbound_smtp import Listener, serve


class Command(BaseCommand):
    help = "Run the inbound SMTP listener for INBOUND_DOMAIN (replies from guests' mail clients)."
    requires_migrations_checks = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="Address to listen on (default: INBOUND_SMTP_HOST).")
        parser.add_argument(
            "--port", type=int, help="Port to listen on (default: INBOUND_SMTP_PORT)."
        )

    def handle(self, *args: object, **options: object) -> None:
        domain = settings.INBOUND_DOMAIN
        if not domain:
            raise CommandError(
                "INBOUND_DOMAIN is not set: there is no domain to receive replies for. "
                "Set INBOUND_DOMAIN (and point its MX record at this host)."
            )
        host = options.get("host") or settings.INBOUND_SMTP_HOST
        port = options.get("port") or settings.INBOUND_SMTP_PORT
        if not 1 <= int(port) <= 65535:
            raise CommandError(f"--port: must be between 1 and 65535, got {port}")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())

        def ready(listener: Listener) -> None:
            self.stdout.write(
                f"Inbound SMTP for @{domain} listening on {listener.host}:{listener.port}",
            )
            self.stdout.flush()

        try:
            serve(host, int(port), domain, stop, on_ready=ready)
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc}") from exc
