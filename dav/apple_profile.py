"""A configuration profile (``.mobileconfig``) that adds the CalDAV account on an iPhone,
iPad or Mac in one tap.

It holds the server and the user name, not a password: the device asks for the app
password while installing, so the profile is no credential and its address (shown as a
QR code) may be signed instead of kept secret. The address still expires, and names
nobody in clear.
"""

from __future__ import annotations

import plistlib
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.dead_links import DeadLink
from accounts.models import User

from .properties import principal_href

SALT = "dav.apple-profile"
#: Long enough to scan the code today and install tomorrow.
MAX_AGE = 7 * 24 * 3600


def profile_url(user: User) -> str:
    token = signing.dumps(user.pk, salt=SALT, compress=True)
    return settings.BASE_URL + reverse("dav:apple_profile", args=[token])


def user_for_profile(token: str) -> User:
    try:
        user_id = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        raise DeadLink("No such profile.") from None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise DeadLink("No such profile.")
    return user


def profile(user: User) -> bytes:
    base = urlsplit(settings.BASE_URL)
    secure = base.scheme == "https"
    port = base.port or (443 if secure else 80)
    # The same identifiers every time for this person on this server, so installing the
    # profile again replaces it instead of adding a second account.
    seed = f"{base.hostname}:{port}:{user.pk}"
    account = {
        "PayloadType": "com.apple.caldav.account",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"rendezvous.caldav.{uuid.uuid5(uuid.NAMESPACE_URL, seed)}",
        "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, seed + ":account")).upper(),
        "PayloadDisplayName": _("Rendezvous calendar"),
        "CalDAVAccountDescription": _("Rendezvous"),
        "CalDAVHostName": base.hostname or "",
        "CalDAVPort": port,
        "CalDAVUseSSL": secure,
        "CalDAVPrincipalURL": settings.BASE_URL + principal_href(user),
        "CalDAVUsername": user.email,
    }
    return plistlib.dumps(
        {
            "PayloadType": "Configuration",
            "PayloadVersion": 1,
            "PayloadIdentifier": f"rendezvous.{uuid.uuid5(uuid.NAMESPACE_URL, seed)}",
            "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, seed + ":profile")).upper(),
            "PayloadDisplayName": _("Rendezvous calendar"),
            "PayloadDescription": _(
                "Adds your Rendezvous calendar. When asked for a password, give an app "
                "password from your Rendezvous settings, not your sign-in password."
            ),
            "PayloadRemovalDisallowed": False,
            "PayloadContent": [account],
        }
    )
