"""Template helpers for the reader's pages: body rendering and the edition's formats."""

import html

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from catalog import rendering
from catalog.addresses import address

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


# -- rows of the busy pages, built here rather than by an {% include %} per row ------------------
# An include per row resolved every variable through the template language: about 770 facet values
# took most of /letters/'s time. Each function writes exactly what its former include wrote.


def _person_link(link, described) -> str:
    person = link.person
    shown = link.person_id in described and person.description
    return format_html(
        '<span class="person-link"><a href="{}"{}>{}</a>{}{}</span>\n',
        person.get_absolute_url(),
        format_html(' aria-describedby="pdesc-{}"', link.id) if shown else "",
        person.display_name,
        format_html(' <span class="as-written">(“{}”)</span>', link.name_as_written)
        if link.name_as_written and link.name_as_written != person.display_name
        else "",
        format_html('<span class="person-desc" role="tooltip" id="pdesc-{}">{}</span>', link.id, person.description)
        if shown
        else "",
    )


@register.simple_tag
def person_links(links, described):
    """``{% person_links page.people.sender page.described %}``: a letter's people of one role, each
    linked, with the name as written and (when ``described`` allows it) the person's description."""
    return mark_safe("".join(_person_link(link, described) for link in links))  # noqa: S308 - format_html


def _escape(value) -> str:
    """``django.utils.html.escape`` without its lazy-string wrapper and SafeString (for hot loops)."""
    return html.escape(str(value))


def _facet_row(facet: dict, row: dict, counter: int, params) -> str:
    # The hottest loop of /letters/ (every facet value): plain escaped f-strings, not format_html.
    name = facet["name"]
    label, value = _escape(row["label"]), _escape(row["value"])
    selected = row.get("selected")  # a decade's years carry none (views._decades): never shown selected
    if selected:
        link = (
            f'<a href="?{_escape(facet_query(params, name, row["value"], "remove"))}"'
            f' aria-label="{label}, selected; remove">✓ {label}</a>\n  '
        )
    else:
        link = f'<a href="?{_escape(facet_query(params, name, row["value"]))}" data-facet-value="{value}">{label}</a>'
        if facet["any_selected"]:
            link += (
                f' <a class="facet-or" href="?{_escape(facet_query(params, name, row["value"], "add"))}"'
                f' aria-label="Add {label} (either)" title="Add to the selection (either)">+or</a>'
            )
    css = (" is-selected" if selected else "") + (" is-extra" if counter > facet["shown"] and name != "year" else "")
    return (
        f'<li class="facet-value{css}" data-label="{_escape(str(row["label"]).lower())}">\n'
        f'  {link}\n  <span class="count">{_escape(row["count"])}</span>\n</li>\n'
    )


@register.simple_tag
def facet_rows(facet, rows, params):
    """``{% facet_rows facet facet.values params %}``: a facet's values as ``<li>`` rows, each a link
    to the list with that value alone (``remove`` when selected, ``+or`` to add it to a selection)."""
    return mark_safe("".join(_facet_row(facet, row, i, params) for i, row in enumerate(rows, 1)))  # noqa: S308


def _letter_row(row: dict) -> str:
    letter, people = row["letter"], row["people"]
    parties = ""
    if people.get("sender") or people.get("recipient"):
        parties = format_html(
            '\n    <span class="letter-parties">{} → {}</span>\n    ',
            names_as_written(people.get("sender")) or "—",
            names_as_written(people.get("recipient")) or "—",
        )
    return format_html(
        '<li class="letter-row">\n  <a class="letter-title" href="{}">{}</a>\n  <div class="letter-meta">\n'
        '    <span class="letter-ref"><a href="{}">{}</a>, Document {}</span>\n'
        '    <span class="letter-date">{}</span>\n    {}\n  </div>\n  {}\n</li>\n',
        letter.get_absolute_url(),
        letter.title,
        letter.volume.get_absolute_url(),
        letter.volume.identifier,
        letter.number,
        date_range(letter),
        parties,
        format_html_join(
            "",
            '\n  <p class="snippet"><span class="snippet-where">{}:</span> {}</p>\n  ',
            ((snippet.where, snippet.html) for snippet in row["snippets"]),
        ),
    )


@register.simple_tag
def letter_rows(rows):
    """``{% letter_rows rows %}``: the letters of a list page as ``<li>`` rows (title, reference,
    date, sender → recipient, search snippets)."""
    return mark_safe("".join(_letter_row(row) for row in rows))  # noqa: S308 - every row is format_html


@register.simple_tag
def neighbour_rows(letters):
    """``{% neighbour_rows entry.letters %}``: a letter's archival neighbours as ``<li>`` rows
    (title, reference, date)."""
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            f'<li><a href="{_escape(other.get_absolute_url())}">{_escape(other.title)}</a> <span class="letter-meta">'
            f"{_escape(other.volume.identifier)}, Document {_escape(other.number)} · {_escape(date_range(other))}"
            "</span></li>"
            for other in letters
        )
    )


@register.simple_tag(name="address")
def address_tag(name, *args):
    """``{% address 'catalog:letter' identifier number %}``: what ``{% url %}`` gives for the catalog's
    routes, from a template per route rather than a ``reverse()`` each (catalog.addresses)."""
    return address(name, *args)
