"""Rendering for readers: a letter body (JSON tree, see ``catalog/body.py``) to safe HTML, and the
small formatting rules of the printed edition (citation line, date ranges, page ranges).

The body renderer is a pure function of the tree and a :class:`RenderContext`. Nothing stored is
trusted as markup: every text string goes through ``django.utils.html.escape``, only whitelisted
tags produce HTML, every attribute value is built from escaped (and, for ids and classes,
character-filtered) data, and an unknown tag renders only its children.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch
from django.utils import dateformat, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalog.addresses import address

# -- the body ---------------------------------------------------------------------------------

# Simple one-to-one tags: body tag → (HTML tag, class or "").
SIMPLE_TAGS: dict[str, tuple[str, str]] = {
    "quote": ("blockquote", ""),
    "head": ("h3", ""),
    "attachment": ("section", "attachment"),
    "item": ("li", ""),
    "row": ("tr", ""),
    "i": ("em", ""),
    "b": ("strong", ""),
    "sc": ("span", "smallcaps"),
    "u": ("u", ""),
    "sup": ("sup", ""),
    "sub": ("sub", ""),
}
# Paragraph-like blocks: a <p> when they hold inline content only, a <div> when they hold blocks.
PARAGRAPH_TAGS = {"p": "", "salute": "salute", "closer": "closer", "signed": "signed", "postscript": "postscript"}
HTML_BLOCK_TAGS = frozenset(
    {"p", "salute", "closer", "signed", "postscript", "list", "item", "table", "row", "cell", "quote", "head"}
    | {"attachment", "opener", "lg", "section", "label"}
)
ORDERED_LIST_TYPES = frozenset({"ordered", "numbered", "decimal", "arabic", "alpha", "roman"})

_SAFE_TOKEN = re.compile(r"[^A-Za-z0-9_.\-]")


def safe_token(value) -> str:
    """A value fit for an id or class attribute: only letters, digits, ``_ . -`` survive."""
    return _SAFE_TOKEN.sub("", str(value))


def local_id(value) -> str:
    """``#p_CJ_2`` → ``p_CJ_2``: a volume-local id as a TEI pointer or a bare id."""
    return str(value or "").strip().lstrip("#")


@dataclass
class RenderContext:
    """What the renderer may look up, gathered once per page (see ``catalog.queries``).

    ``people`` maps a volume-local person id to a Person slug; ``terms`` maps a Term xml_id to its
    expansion. ``known_letters`` (pairs ``(volume, "d193")`` or ``(volume, xml_id)``) and
    ``known_volumes``, when given, limit cross-reference links to targets a reader can open; when
    None every well-formed target is linked.
    """

    volume: str = ""
    people: dict[str, str] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)
    known_letters: set[tuple[str, str]] | None = None
    known_volumes: set[str] | None = None


@dataclass(frozen=True)
class RefTarget:
    """Where a ``ref`` node points, as the importer parsed it (``node["to"]``)."""

    volume: str
    document: str = ""  # "d192", or another xml id; empty for a whole volume
    number: int | None = None
    fragment: str = ""  # "fn2"


def stored_ref_target(node: dict) -> RefTarget | None:
    """The target the importer stored on a ``ref`` node (see ``catalog.ingest.citations.with_ref_targets``);
    None when it stored none (not a catalog target) or the node predates it."""
    to = node.get("to")
    if not isinstance(to, (list, tuple)) or len(to) != 4:
        return None
    volume, document, number, fragment = to
    if not isinstance(volume, str) or not volume:
        return None
    return RefTarget(
        volume,
        document if isinstance(document, str) else "",
        number if isinstance(number, int) and not isinstance(number, bool) else None,
        fragment if isinstance(fragment, str) else "",
    )


def stored_ref_targets(nodes: Iterable) -> list[RefTarget]:
    """Every stored ``ref`` target in a tree, for looking their letters up in one query."""
    found = []
    for node in iter_dicts(nodes):
        if node.get("tag") == "ref":
            target = stored_ref_target(node)
            if target is not None:
                found.append(target)
    return found


def iter_dicts(nodes: Iterable):
    for node in nodes or []:
        if isinstance(node, dict):
            yield node
            yield from iter_dicts(node.get("children") or [])


def _person_value(node: dict) -> str:
    for key in ("ref", "corresp", "key", "target"):
        if node.get(key):
            return local_id(node[key])
    return ""


def _term_value(node: dict) -> str:
    for key in ("ref", "target", "key"):
        if node.get(key):
            return local_id(node[key])
    return ""


def _ref_url(target: RefTarget, ctx: RenderContext) -> str | None:
    try:
        if not target.document:
            if ctx.known_volumes is not None and target.volume not in ctx.known_volumes:
                return None
            return address("catalog:volume", target.volume)
        if ctx.known_letters is not None and (target.volume, target.document) not in ctx.known_letters:
            return None
        if target.number is not None:
            url = address("catalog:letter", target.volume, target.number)
        else:
            url = address("catalog:letter-by-id", target.volume, target.document)
    except NoReverseMatch:
        return None
    return url + (f"#{target.fragment}" if target.fragment else "")


def _attrs(**attributes) -> str:
    """``key="escaped value"`` pairs; empty values are left out."""
    parts = []
    for name, value in attributes.items():
        if value in (None, ""):
            continue
        parts.append(f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"')
    return "".join(parts)


def _has_block(children: list) -> bool:
    return any(isinstance(child, dict) and child.get("tag") in HTML_BLOCK_TAGS for child in children)


def footnote_marker(number) -> SafeString:
    """``<sup><a href="#fn2" id="fnref2">2</a></sup>``: a marker linking to its note (and back)."""
    label = safe_token(number)
    if not label:
        return mark_safe("")
    return mark_safe(f'<sup><a href="#fn{label}" id="fnref{label}">{escape(label)}</a></sup>')


def page_label(n) -> str:
    """A printed page's label: ``808``, ``XIII``; Quebec's bracketed ``[1]`` loses its brackets."""
    return str(n).strip().strip("[]").strip()


def _render(node, ctx: RenderContext, out: list[str]) -> None:
    if isinstance(node, str):
        out.append(escape(node))
        return
    if not isinstance(node, dict):
        return
    tag = node.get("tag")
    children = node.get("children") or []
    if not isinstance(children, list):
        children = []

    def inner() -> None:
        for child in children:
            _render(child, ctx, out)

    if tag == "fn":
        out.append(footnote_marker(node.get("n", "")))
    elif tag == "pb":
        label = page_label(node.get("n", ""))
        token = safe_token(label)
        out.append(f'<span class="pb"{_attrs(id=f"pg_{token}" if token else "")}>[Page {escape(label)}]</span>')
    elif tag == "lb":
        out.append("<br>")
    elif tag in PARAGRAPH_TAGS:
        element = "div" if _has_block(children) else "p"
        out.append(f"<{element}{_attrs(class_=_classes(PARAGRAPH_TAGS[tag], node))}>")
        inner()
        out.append(f"</{element}>")
    elif tag == "list":
        kind = str(node.get("type") or node.get("rend") or "").lower()
        element = "ol" if kind in ORDERED_LIST_TYPES else "ul"
        labelled = any(isinstance(c, dict) and c.get("tag") == "label" for c in children)
        css = " ".join(c for c in (safe_token(kind), "labelled" if labelled else "") if c)
        out.append(f"<{element}{_attrs(class_=css)}>")
        _render_list_items(children, ctx, out)
        out.append(f"</{element}>")
    elif tag == "table":
        out.append('<table class="body-table"><tbody>')
        inner()
        out.append("</tbody></table>")
    elif tag == "cell":
        spans = {}
        for source, target in (("cols", "colspan"), ("rows", "rowspan")):
            value = str(node.get(source) or "")
            if value.isdigit() and 1 < int(value) < 1000:
                spans[target] = value
        out.append(f"<td{_attrs(**spans)}>")
        inner()
        out.append("</td>")
    elif tag in SIMPLE_TAGS:
        element, css = SIMPLE_TAGS[tag]
        out.append(f"<{element}{_attrs(class_=css)}>")
        inner()
        out.append(f"</{element}>")
    elif tag == "person":
        slug = ctx.people.get(_person_value(node))
        try:
            url = address("catalog:person", slug) if slug else ""
        except NoReverseMatch:
            url = ""
        _link_or_span(out, inner, "person", "a" if url else "", href=url)
    elif tag == "term":
        expansion = ctx.terms.get(_term_value(node))
        _link_or_span(out, inner, "term", "abbr" if expansion else "", title=expansion)
    elif tag == "ref":
        target = stored_ref_target(node)
        url = _ref_url(target, ctx) if target else None
        _link_or_span(out, inner, "ref", "a" if url else "", href=url)
    else:
        # Unknown (or deliberately plain) tags: the children only, never the tag or its attributes.
        inner()
        if tag in ("label", "l"):
            out.append(" " if tag == "label" else "<br>")


def _link_or_span(out: list[str], inner, css: str, element: str, **attrs) -> None:
    """A name, term or reference: as ``element`` (a link, an abbreviation) when it resolves, else a span."""
    if element:
        out.append(f'<{element} class="{css}"{_attrs(**attrs)}>')
        inner()
        out.append(f"</{element}>")
    else:
        out.append(f'<span class="{css}">')
        inner()
        out.append("</span>")


def _classes(base: str, node: dict) -> str:
    """A block's class: its kind plus ``rend-…`` for a TEI rendition ("center", "right" …)."""
    rends = [f"rend-{token}" for token in (safe_token(r) for r in str(node.get("rend") or "").split()) if token]
    return " ".join([c for c in (base, *rends) if c])


def _render_list_items(children: list, ctx: RenderContext, out: list[str]) -> None:
    """A list's children; a TEI ``label`` ("1.", "Participants:") goes inside the item it labels."""
    pending: list = []
    for child in children:
        if isinstance(child, dict) and child.get("tag") == "label":
            pending.append(child)
            continue
        if pending and isinstance(child, dict) and child.get("tag") == "item":
            out.append("<li>")
            for label in pending:
                out.append('<span class="label">')
                for grandchild in label.get("children") or []:
                    _render(grandchild, ctx, out)
                out.append("</span> ")
            pending = []
            for grandchild in child.get("children") or []:
                _render(grandchild, ctx, out)
            out.append("</li>")
            continue
        _render(child, ctx, out)
    for label in pending:  # a label with no item after it: an item of its own
        out.append('<li><span class="label">')
        for grandchild in label.get("children") or []:
            _render(grandchild, ctx, out)
        out.append("</span></li>")


def render_body(nodes, ctx: RenderContext | None = None) -> SafeString:
    """A body (a list of nodes, or one node, or a string) as safe HTML."""
    ctx = ctx or RenderContext()
    out: list[str] = []
    if isinstance(nodes, (str, dict)):
        nodes = [nodes]
    for node in nodes or []:
        _render(node, ctx, out)
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped or a fixed tag


def render_footnote(footnote, ctx: RenderContext | None = None) -> SafeString:
    """A footnote's text: its inline content through the body renderer, else its escaped text."""
    content = getattr(footnote, "content", None)
    if content:
        return render_body(content, ctx)
    return escape(getattr(footnote, "text", "") or "")


# -- the printed edition's formats -------------------------------------------------------------

_IDENTIFIER = re.compile(
    r"^frus(?P<start>\d{4})(?:-(?P<end>\d{2,4}))?"
    r"(?:v(?P<e>e)?(?P<volume>\d+))?(?:p(?P<part>\d+))?(?P<rest>[A-Za-z].*)?$"
)
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC")]
_ROMAN += [(50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def to_roman(number: int) -> str:
    result = []
    for value, numeral in _ROMAN:
        while number >= value:
            result.append(numeral)
            number -= value
    return "".join(result)


def volume_parts(volume) -> dict[str, str]:
    """Series label, subseries (``1969–1976``), volume (``Volume XXXIII``) and part of a volume.

    Taken from the volume's fields; what they lack is read from the identifier
    (``frus1969-76v33``, ``frus1952-54v01p1``, ``frus1969-76ve14p2``, ``frus1944Quebec``).
    """
    series = volume.series or ""
    label = "FRUS" if not series or series.startswith("Foreign Relations") else series
    subseries = (volume.subseries or "").replace("-", "–")
    number = volume.volume_number or ""
    part = ""
    extra = ""
    match = _IDENTIFIER.match(volume.identifier or "")
    if match:
        if not subseries:
            start, end = match["start"], match["end"]
            if end:
                end = start[: 4 - len(end)] + end
                subseries = f"{start}–{end}"
            else:
                subseries = start
        if not number and match["volume"]:
            n = int(match["volume"])
            number = f"Volume E–{n}" if match["e"] else f"Volume {to_roman(n)}"
        if match["part"] and "part" not in number.lower():
            part = f"Part {int(match['part'])}"
        if match["rest"] and not volume.volume_number:
            extra = match["rest"]
    return {"series": label, "subseries": subseries, "volume": number, "part": part, "extra": extra}


def volume_heading(volume) -> str:
    """``FRUS, 1969–1976, Volume XXXIII`` (plus the part); ``FRUS, Conference at Quebec, 1944`` for a
    volume without a number whose title says what it is."""
    parts = volume_parts(volume)
    title = volume.title or ""
    if not parts["volume"]:
        for prefix in ("Foreign Relations of the United States, ", "Foreign Relations, "):
            if title.startswith(prefix) and title[len(prefix) :].strip():
                return f"{parts['series']}, {title[len(prefix) :].strip()}"
    return ", ".join(
        p for p in (parts["series"], parts["subseries"], parts["volume"], parts["part"], parts["extra"]) if p
    )


def volume_subtitle(volume) -> str:
    """What a volume's title adds to its heading: "SALT II, 1972–1980" for frus1969-76v33."""
    title = (volume.title or "").strip()
    heading = volume_heading(volume)
    parts = volume_parts(volume)
    for prefix in ("Foreign Relations of the United States, ", "Foreign Relations, "):
        if title.startswith(prefix):
            title = title[len(prefix) :]
            break
    else:
        return title
    for part in (parts["subseries"], parts["volume"], parts["part"]):
        for form in {part, part.replace("–", "-")}:
            if form and title.startswith(form):
                title = title[len(form) :].lstrip(" ,")
    title = title.strip()
    return "" if not title or heading.endswith(title) else title


def letter_citation(letter) -> str:
    """``FRUS, 1969–1976, Volume XXXIII, Document 193``."""
    return f"{volume_heading(letter.volume)}, Document {letter.number}"


def _local(value):
    return timezone.localtime(value) if timezone.is_aware(value) else value


def format_date_range(date_min, date_max, precision: str) -> str:
    """An editor's date range at its precision: ``January 25, 1978``, ``January 12–25, 1978``,
    ``January 1978``, ``1978``, ``January 25, 1978, 3:15 p.m.``; no date is ``Undated``."""
    if not precision or date_min is None:
        return "Undated"
    start = _local(date_min)
    end = _local(date_max) if date_max is not None else None
    if precision == "year":
        if end is None or end.year == start.year:
            return str(start.year)
        return f"{start.year}–{end.year}"
    if precision == "month":
        if end is None or (end.year, end.month) == (start.year, start.month):
            return dateformat.format(start, "F Y")
        if end.year == start.year:
            return f"{dateformat.format(start, 'F')}–{dateformat.format(end, 'F Y')}"
        return f"{dateformat.format(start, 'F Y')}–{dateformat.format(end, 'F Y')}"
    if precision == "time":
        day = dateformat.format(start, "F j, Y")
        if end is None or end == start:
            return f"{day}, {dateformat.format(start, 'P')}"
        if end.date() == start.date():
            return f"{day}, {dateformat.format(start, 'P')}–{dateformat.format(end, 'P')}"
        return f"{day}, {dateformat.format(start, 'P')}–{dateformat.format(end, 'F j, Y, P')}"
    # day (and any precision this code does not know yet)
    if end is None or end.date() == start.date():
        return dateformat.format(start, "F j, Y")
    if (end.year, end.month) == (start.year, start.month):
        return f"{dateformat.format(start, 'F j')}–{end.day}, {end.year}"
    if end.year == start.year:
        return f"{dateformat.format(start, 'F j')}–{dateformat.format(end, 'F j, Y')}"
    return f"{dateformat.format(start, 'F j, Y')}–{dateformat.format(end, 'F j, Y')}"


def format_pages(page_start, page_end) -> str:
    """``807–808``, or ``807`` for a one-page document; empty when unknown."""
    if page_start is None and page_end is None:
        return ""
    if page_start is None or page_end is None or page_start == page_end:
        return str(page_start if page_start is not None else page_end)
    return f"{page_start}–{page_end}"


def join_names(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]
