"""The JSON API answers in English whoever asks.

Integrators match on ``detail`` texts and log them; a text that changed with the
employee's language setting would break both. Pages show errors translated; the API keeps
its machine codes and English words. Mail that an API call causes is still written in
each reader's language: the code that writes it switches language itself.
"""

from __future__ import annotations

from django.utils import translation

API_PREFIX = "/api/"


class ApiSpeaksEnglishMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
        return self.get_response(request)
