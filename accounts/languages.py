"""Who reads in which language: the five we speak, and how a reader's choice is found.

Employees choose in their settings; guests and bookers have no account, so their
language is stored on the guest contact and on the booking. Everything here falls back
to one of ``settings.LANGUAGES``, never to a language we do not translate.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

LANGUAGE_PARAMETER = "lang"


def codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def supported(code: object) -> str | None:
    """One of our languages for ``code`` ("de-AT" → "de"), or None."""
    if not isinstance(code, str) or not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return base if base in codes() else None


def clean(value: object, field: str = "language") -> str:
    """``value`` if it is exactly one of our codes, else a ValidationError naming ``field``."""
    code = supported(value)
    if code is None or code != value:
        raise ValidationError(
            {field: _("Choose one of: %(codes)s.") % {"codes": ", ".join(codes())}}
        )
    return code


def or_default(code: object) -> str:
    return supported(code) or settings.LANGUAGE_CODE


def from_browser(request: HttpRequest) -> str | None:
    """The first of our languages in the request's Accept-Language, or None."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for accept_lang, _quality in translation.trans_real.parse_accept_lang_header(header):
        if found := supported(accept_lang):
            return found
    return None


def chosen(request: HttpRequest) -> str | None:
    """The language a visitor picked with a switcher (``?lang=``, or the form's field)."""
    return supported(request.GET.get(LANGUAGE_PARAMETER)) or supported(
        request.POST.get(LANGUAGE_PARAMETER)
    )


def for_visitor(request: HttpRequest) -> str:
    """A visitor without an account: an explicit choice, else the browser's."""
    return chosen(request) or from_browser(request) or settings.LANGUAGE_CODE


def choices() -> list[tuple[str, str]]:
    """The languages as offered in a switcher: each named in itself."""
    return list(settings.LANGUAGES)
