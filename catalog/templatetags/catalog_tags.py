"""Template helpers for the reader's pages: body rendering and the edition's formats."""

from django import template
from django.utils.html import format_html, format_html_join
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


def _pairs(params):
    if not params:
        return []
    if isinstance(params, dict):
        return [(k, v) for k, v in params.items() if v not in (None, "")]
    return list(params)


@register.simple_tag
def facet_query(params, name, value, mode="only"):
    """The list's query string with one facet value changed: ``only`` (that value alone in its
    facet), ``add`` (OR with the facet's others), ``remove``; the page is always reset."""
    pairs = [(k, v) for k, v in _pairs(params) if k != "page"]
    if mode == "remove":
        pairs = [(k, v) for k, v in pairs if not (k == name and v == str(value))]
    elif mode == "add":
        if (name, str(value)) not in pairs:
            pairs.append((name, str(value)))
    else:
        pairs = [(k, v) for k, v in pairs if k != name] + [(name, str(value))]
    return urlencode(pairs)


@register.simple_tag
def without_param(params, name):
    """The list's query string without every value of one parameter (and without the page)."""
    return urlencode([(k, v) for k, v in _pairs(params) if k not in (name, "page")])


@register.simple_tag
def page_query(params, number):
    """The list's query string at another page, every filter kept."""
    return urlencode([(k, v) for k, v in _pairs(params) if k != "page"] + [("page", number)])


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.simple_tag
def year_bars(chart):
    """The bars of a person's letters-per-year chart (``queries.letters_per_year_chart``) as SVG:
    built here rather than by the template language, which took most of a prolific person's page
    (130 years × seven values, each looked up and localised); numbers are written as they are."""
    if not chart:
        return ""
    every = chart["label_every"]
    last = len(chart["bars"]) - 1
    return format_html_join(
        "\n",
        '<g><title>{}: {}</title><rect x="{}" y="{}" width="{}" height="{}" class="bar"></rect>{}</g>',
        (
            (
                bar["year"],
                bar["count"],
                bar["x"],
                bar["y"],
                bar["width"],
                bar["height"],
                format_html(
                    '<text x="{}" y="{}" class="bar-label">{}</text>', bar["label_x"], chart["label_y"], bar["year"]
                )
                if i in (0, last) or i % every == 0
                else "",
            )
            for i, bar in enumerate(chart["bars"])
        ),
    )
