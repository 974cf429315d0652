"""``{% citable obj as cite %}``: a published letter's or a volume's citation data (catalog.citing)."""

from django import template

from catalog import citing
from catalog.models import Letter, Volume

register = template.Library()


@register.simple_tag(takes_context=True)
def citable(context, obj):
    request = context.get("request")
    if isinstance(obj, Letter):
        return citing.letter_citable(obj, request)
    if isinstance(obj, Volume):
        return citing.volume_citable(obj, request)
    return None
