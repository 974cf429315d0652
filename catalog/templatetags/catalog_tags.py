"""Template helpers for the reader's pages: body rendering and the edition's formats."""

from django import template
from django.utils.http import urlencode

from catalog import rendering

register = template.Library()


@register.simple_tag
def render_body(nodes, ctx=None):
    """``{% render_body letter.body ctx %}``: the body tree as safe HTML (see catalog.rendering)."""
    return rendering.render_body(nodes, ctx)


@register.simple_tag
def render_footnote(footnote, ctx=None):
    """``{% render_footnote note ctx %}``: a footnote's inline content, else its escaped text."""
    return rendering.render_footnote(footnote, ctx)


@register.simple_tag
def footnote_marker(number):
    return rendering.footnote_marker(number)


@register.filter
def date_range(letter):
    """``{{ letter|date_range }}``: the editor's date at its precision, or "Undated"."""
    return rendering.format_date_range(letter.date_min, letter.date_max, letter.date_precision)


@register.filter
def pages(letter):
    return rendering.format_pages(letter.page_start, letter.page_end)


@register.filter
def names_as_written(links):
    """People links → "President Carter" (or "A and B")."""
    return rendering.join_names([link.name_as_written or link.person.display_name for link in links])


@register.simple_tag
def query_with(params, **changes):
    """The list's query string with some parameters changed (an empty value removes one)."""
    merged = {**(params or {}), **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})
