"""``{% attachment_limit as n %}``: the upload size limit, for the attachment form's help."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def attachment_limit() -> int:
    return settings.ATTACHMENT_MAX_BYTES
