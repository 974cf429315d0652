"""Parser for FRUS volumes in TEI P5 XML (the Office of the Historian's master files).

Pure: a path in, neutral records out (see ``records.py``); no database, no Django models.

``parse_tei(path)`` reads the ``teiHeader`` and the front matter (terms, persons, sources) at once, so
``parsed.volume`` is complete when it returns, and hands back ``parsed.letters`` as a generator that
goes on with the same ``lxml.etree.iterparse`` through the ``body``: one ``LetterRecord`` per
``div[@type="document"]``, each element cleared once it has been read, so memory stays bounded by
the largest document rather than the volume. While streaming it appends each chapter or compilation
to ``parsed.volume.chapters`` before the first letter inside it, and puts people who are not in a
persons list into ``parsed.people`` before the letter that names them.

Both eras of FRUS markup are read the same way (see ``/work/shared/corpus/README.md``):

- ``frus:doc-dateTime-min/max`` in either ``frus`` namespace (matched on the local name), else the
  dateline's ``date/@when`` (``@from``/``@to``, ``@notBefore``/``@notAfter``) taken as Washington time;
- people linked by ``persName/@corresp`` (modern volumes) or marked ``persName/@type="from"|"to"`` in
  headings (older volumes, keyed by surname with ``names.person_key``);
- the source note inside the heading (``note n="1" type="source"``) or before it, unnumbered
  (``note rend="inline" type="source"``, footnote number 0);
- classification from the source note, else from the opener's small-capitals marking.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from catalog.body import BLOCK_TAGS, flatten, inline_text, is_block, locate_inline, validate_body
from catalog.vocabulary import is_volume_identifier, normalise

from . import safe_xml
from .citations import (
    CLASSIFICATIONS,
    find_parenthesised_citations,
    parse_ref_target,
    parse_source_note,
    repeat_ibid,
)
from .limits import (
    MAX_DOCUMENT_CHARS,
    MAX_DOCUMENT_ELEMENTS,
    MAX_DOCUMENT_NUMBER,
    MAX_FOOTNOTE_NUMBER,
    MAX_FOOTNOTES,
    MAX_PAGE,
)
from .names import (
    doc_type_from_heading,
    name_from_persons_list,
    organization_key,
    parse_party,
    person_key,
    sort_name,
    split_parties,
)
from .records import (
    CROSS_REFERENCE,
    EDITORIAL,
    MENTIONED,
    RECIPIENT,
    SENDER,
    SOURCE_NOTE,
    ChapterRecord,
    CrossReference,
    FootnoteRecord,
    LetterRecord,
    ParsedVolume,
    ParseError,
    PersonMention,
    PersonRecord,
    SourceCitation,
    TermRecord,
    UnchangedDocument,
    VolumeRecord,
)

TEI_NAMESPACE = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
# Part of every document's digest: a change to this parser reads every document again.
_PARSER_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).digest()
WASHINGTON = ZoneInfo("America/New_York")

CHAPTER_KINDS = frozenset({"compilation", "chapter", "subchapter"})
FRONT_LISTS = frozenset({"persons", "terms", "sources"})

# TEI element (local name) -> body block tag.
BLOCK_ELEMENTS = {
    "p": "p",
    "ab": "p",
    "opener": "opener",
    "salute": "salute",
    "closer": "closer",
    "signed": "signed",
    "postscript": "postscript",
    "list": "list",
    "item": "item",
    "label": "label",
    "table": "table",
    "row": "row",
    "cell": "cell",
    "lg": "lg",
    "l": "l",
    "head": "head",
}
HI_RENDS = {
    "italic": "i",
    "italics": "i",
    "i": "i",
    "strong": "b",
    "bold": "b",
    "b": "b",
    "smallcaps": "sc",
    "sc": "sc",
    "underline": "u",
    "u": "u",
    "superscript": "sup",
    "sup": "sup",
    "subscript": "sub",
    "sub": "sub",
}
# Elements with nothing a reader needs in the body text.
SKIPPED_ELEMENTS = frozenset({"gap", "graphic", "fw", "milestone", "anchor", "space", "figDesc", "index"})
# Block attributes kept on body nodes.
KEPT_ATTRIBUTES = ("rend", "type", "role", "rows", "cols")
# Where a <quote> stands as a block rather than inline.
BLOCK_PARENTS = frozenset({"div", "attachment", "body", "postscript", "closer", "opener", "quote", "note"})
BLOCK_CHILDREN = frozenset({"p", "ab", "lg", "list", "table", "l", "quote"})

_WHITESPACE = re.compile(r"\s+")
_FOLDABLE = re.compile(r"[^\S ]|  ")
_NUMBER_PREFIX = re.compile(r"^\d+[A-Za-z]?\.\s+")
_PAGE_NUMBER = re.compile(r"^\[?(\d+)\]?$")
_ISO = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?(?P<tz>Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)
_DOCUMENT_POINTER = re.compile(
    r"^(?:see\s+(?:also\s+)?)?(?:footnote\s+\d+,?\s+(?:to\s+|in\s+)?)?documents?\s+\d+"
    r"(?:(?:\s*,\s*|\s*,?\s+and\s+)\d+)*\s*\.?$",
    re.IGNORECASE,
)
_LATIN_POINTER = re.compile(
    r"^(?:supra|infra|ante|post)\b[\s.,;:]*(?:pp?\.\s*[\dIVXLCivxlc–\-]+\s*\.?)?$", re.IGNORECASE
)
_POINTER_RESIDUE = re.compile(
    r"^(?:(?:see(?:\s+also)?|cf\.?|printed\s+(?:as|in)|ante|supra|infra|post)\b)?[\s,.;:]*$", re.IGNORECASE
)
_MARKING = re.compile(
    r"^(?:most\s+|top\s+)?(?:secret|confidential|restricted|unclassified|limited official use)\b|"
    + "|".join(re.escape(c.lower()) for c in CLASSIFICATIONS),
    re.IGNORECASE,
)
_DOCUMENT_FORMS = {
    "telegram": "telegram",
    "cable": "telegram",
    "letter": "letter",
    "memorandum": "memorandum",
    "message": "message",
}


# -- small helpers ----------------------------------------------------------------------------------
_LOCAL_NAMES: dict[str, str] = {}


def _local(tag) -> str:
    """Local name of an element tag; "" for comments, processing instructions and entities."""
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        if not isinstance(tag, str):
            return ""
        name = _LOCAL_NAMES[tag] = tag.rpartition("}")[2]
        return name
    except TypeError:  # an unhashable tag: not an element
        return ""


def _attribute(element, local_name: str) -> str | None:
    """An attribute by local name, in whatever namespace (the two frus namespaces differ)."""
    for name, value in element.attrib.items():
        if name == local_name or name.rpartition("}")[2] == local_name:
            return value
    return None


def fold(text: str) -> str:
    """White-space runs (line ends, tabs, no-break spaces) folded to one space."""
    return _WHITESPACE.sub(" ", text) if _FOLDABLE.search(text) else text


def element_text(element, skip: frozenset[str] = frozenset({"note"})) -> str:
    """The folded text of an element, leaving out notes; ``lb`` counts as a space."""
    parts: list[str] = []

    def walk(node) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            name = _local(child.tag)
            if name == "lb":
                parts.append(" ")
            elif name and name not in skip:
                walk(child)
            elif child.tag is etree.Entity:
                parts.append(child.text)  # an undefined entity: keep it visible rather than lose it
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return fold("".join(parts)).strip()


def _lines(element) -> list[str]:
    """The text of an element split at its line breaks (notes left out)."""
    lines = [""]

    def walk(node) -> None:
        if node.text:
            lines[-1] += node.text
        for child in node:
            name = _local(child.tag)
            if name == "lb":
                lines.append("")
            elif name and name != "note":
                walk(child)
            if child.tail:
                lines[-1] += child.tail

    walk(element)
    return lines


def title_from_text(text: str, number: int, limit: int = 200) -> str:
    """A title for a document printed without a heading: its first line of text, cut at a word
    before ``limit`` characters ("…" marks the cut); "Document N" when it has no text at all."""
    line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if not line:
        return f"Document {number}"
    if len(line) <= limit:
        return line
    cut = line.rfind(" ", 0, limit)
    return line[: cut if cut > 0 else limit].rstrip(" ,;:") + "…"


def page_number(label: str | None) -> int | None:
    """ "808" → 808, "[1]" → 1; front-matter roman numerals have no page number."""
    if not label:
        return None
    match = _PAGE_NUMBER.match(label.strip())
    return int(match.group(1)) if match else None


def is_tei(path) -> bool:
    """Whether the file is a TEI document, judged by its content (the root element), not its name."""
    try:
        root, text = safe_xml.sniff_root(path)
    except OSError:
        return False
    if root is not None:
        return root == "TEI"
    stripped = text.lstrip("\ufeff \t\r\n")
    return stripped.startswith("<") and TEI_NAMESPACE in text and "<TEI" in text


# -- dates ------------------------------------------------------------------------------------------
def _precision(value: str) -> str:
    match = _ISO.match(value.strip())
    if not match:
        return ""
    if match["H"]:
        return "time"
    if match["d"]:
        return "day"
    if match["m"]:
        return "month"
    return "year"


def _moment(value: str, *, end: bool) -> datetime.datetime | None:
    """An ISO date or date-time as an aware datetime: the start, or with ``end`` the last second, of
    the period it names, in Washington time.

    FRUS files write a fixed ``-05:00`` (or ``-04:00``) on Washington dates whatever the season, and
    the editors' dates are Washington wall-clock dates: 1944-03-18T23:59:59-05:00 means the end of
    March 18 in Washington, which then kept War Time (UTC−4); converting the instant would move it to
    March 19. So a North American Eastern offset is read as Washington local time; other offsets
    (and ``Z``) are kept as written."""
    match = _ISO.match(value.strip())
    if not match:
        return None
    year = int(match["y"])
    month = int(match["m"]) if match["m"] else (12 if end else 1)
    last_day = calendar.monthrange(year, month)[1]
    day = int(match["d"]) if match["d"] else (last_day if end else 1)
    tz = WASHINGTON
    if match["tz"] and match["tz"].replace(":", "") not in ("-0500", "-0400"):
        if match["tz"] == "Z":
            tz = datetime.UTC
        else:
            sign = -1 if match["tz"][0] == "-" else 1
            digits = match["tz"][1:].replace(":", "")
            tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        if match["H"]:
            return datetime.datetime(
                year, month, day, int(match["H"]), int(match["M"]), int(match["S"] or 0), tzinfo=tz
            )
        if end:
            return datetime.datetime(year, month, day, 23, 59, 59, tzinfo=tz)
        return datetime.datetime(year, month, day, tzinfo=tz)
    except ValueError:
        return None


def _span_precision(start: datetime.datetime, end: datetime.datetime) -> str:
    """The precision a [start, end] range expresses: a whole day, month or year, else a time."""
    if start == end:
        return "time"
    if start.time() != datetime.time(0, 0) or end.time() != datetime.time(23, 59, 59):
        return "time"
    if start.date() == end.date():
        return "day"
    last_day = calendar.monthrange(end.year, end.month)[1]
    if start.day == 1 and end.day == last_day and (start.year, start.month) == (end.year, end.month):
        return "month"
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return "year"
    return "day"


def letter_dates(div, dateline) -> tuple[datetime.datetime | None, datetime.datetime | None, str]:
    """(date_min, date_max, date_precision) of a document."""
    date = None
    if dateline is not None:
        date = next((e for e in dateline.iter() if _local(e.tag) == "date"), None)
    start_attr = end_attr = None
    if date is not None:
        start_attr = date.get("when") or date.get("from") or date.get("notBefore")
        end_attr = date.get("when") or date.get("to") or date.get("notAfter") or start_attr
        start_attr = start_attr or end_attr
    low, high = _attribute(div, "doc-dateTime-min"), _attribute(div, "doc-dateTime-max")
    if low or high:
        date_min = _moment(low or high, end=False)
        date_max = _moment(high or low, end=True)
        if date_min and date_max:
            precision = _precision(start_attr) if start_attr else _span_precision(date_min, date_max)
            return date_min, date_max, precision
    if start_attr:
        date_min, date_max = _moment(start_attr, end=False), _moment(end_attr, end=True)
        if date_min and date_max:
            return date_min, date_max, _precision(start_attr)
    return None, None, ""


# -- cross-references -------------------------------------------------------------------------------
def cross_reference(target: str, volume: str) -> CrossReference | None:
    """A ref/@target as a pointer to a document or volume; None for pages and other anchors here."""
    where = parse_ref_target(target, volume)
    if where is None or (where.number is None and where.volume == volume):
        return None  # elsewhere on the web, or a page, chapter or other anchor in this volume
    return CrossReference(volume=where.volume, number=where.number, footnote=where.footnote)


def is_cross_reference_note(text: str, ref_texts: list[str]) -> bool:
    """A note that only points elsewhere: "See Document 190.", "Supra.", "Ante, p. 5.", "See <ref>…</ref>."."""
    text = text.strip()
    if _DOCUMENT_POINTER.match(text) or _LATIN_POINTER.match(text):
        return True
    if not ref_texts:
        return False
    residue = text
    for ref_text in ref_texts:
        if ref_text:
            residue = residue.replace(ref_text, " ", 1)
    return bool(_POINTER_RESIDUE.match(fold(residue).strip()))


# -- the body tree ----------------------------------------------------------------------------------
def _ends_with_space(node) -> bool:
    return isinstance(node, str) and node[-1:].isspace()


def tidy(children: list, *, block: bool, separate_blocks: bool = False) -> list:
    """Merge adjacent strings (already folded) and fold the joins; drop white space that only separates
    blocks or ends a block, and the space after a page break that a space before it already gives."""
    merged: list = []
    for child in children:
        if type(child) is str:
            if not child:
                continue
            if merged and type(merged[-1]) is str:
                merged[-1] = fold(merged[-1] + child)
            else:
                merged.append(child)
        else:
            merged.append(child)
    if not block and not any(type(child) is dict and child.get("tag") in ("lb", "pb") for child in merged):
        return merged
    tags = [child.get("tag") if type(child) is dict else None for child in merged]
    blocks = [tag in BLOCK_TAGS for tag in tags]
    result: list = []
    last = len(merged) - 1
    for index, child in enumerate(merged):
        if type(child) is not str:
            if separate_blocks and blocks[index] and result and is_block(result[-1]):
                result.append(" ")
            result.append(child)
            continue
        text = child
        before = tags[index - 1] if index > 0 else None
        after = tags[index + 1] if index < last else None
        if before == "pb" and text[0] == " " and index >= 2 and _ends_with_space(merged[index - 2]):
            text = text[1:]  # "rest <pb/> of": one space, and the page begins with "of"
        if before == "lb":
            text = text.lstrip()
        if after == "lb":
            text = text.rstrip()
        if block:
            block_before = index > 0 and blocks[index - 1]
            block_after = index < last and blocks[index + 1]
            if not separate_blocks:
                if index == 0 or block_before:
                    text = text.lstrip()
                if index == last or block_after:
                    text = text.rstrip()
            else:
                if index == 0:
                    text = text.lstrip()
                if index == last:
                    text = text.rstrip()
                if (block_before or block_after) and not text.strip():
                    text = " " if block_before and block_after else ""
        if text:
            result.append(text)
    return result


@dataclass
class _HeadPerson:
    node: dict
    key: str
    name: str
    kind: str  # persName/@type: "from", "to" or ""


@dataclass
class _OpenChapter:
    element: object
    key: str
    kind: str
    record: ChapterRecord | None = None


# -- one document -----------------------------------------------------------------------------------
class _LetterBuilder:
    """Reads one complete ``div[@type="document"]`` element into a LetterRecord."""

    def __init__(self, stream: _TeiStream, div):
        self.stream = stream
        self.div = div
        self.volume_id = stream.volume.identifier
        self.footnotes: list[FootnoteRecord] = []
        self.note_numbers: dict = {}
        self.note_refs: dict[int, list[str]] = {}
        self.note_number: int | None = None  # the footnote being read, if any
        self.in_head = False
        self.in_signed = 0
        self.attachment_depth = 0
        self.head_people: list[_HeadPerson] = []
        self.mentions: dict[tuple[str, str], PersonMention] = {}
        self.references: dict[tuple, CrossReference] = {}
        self.terms: dict[str, None] = {}
        self.sources: list[SourceCitation] = []
        self.classification = ""
        self.document_form = ""
        self.seen_text = False
        self.text_since_page = False
        self.page_start = stream.page
        self.pages_begun: list[str] = []
        self.dateline = None

    # numbering ---------------------------------------------------------------------------------
    def number_notes(self) -> None:
        """Footnote numbers from @n; an unnumbered source note is 0, any other unnumbered note
        takes the next number after the highest in the document."""
        notes = [e for e in self.div.iter() if _local(e.tag) == "note"]
        if len(notes) > MAX_FOOTNOTES:
            raise ParseError(
                self.stream.path,
                notes[MAX_FOOTNOTES].sourceline,
                f"refused: more than {MAX_FOOTNOTES:,} footnotes in one document",
            )
        unnumbered = []
        highest = 0
        source_note_seen = False
        for note in notes:
            raw = (note.get("n") or "").strip()
            if raw.isdecimal() and raw.isascii():
                if int(raw) > MAX_FOOTNOTE_NUMBER:
                    raise ParseError(
                        self.stream.path,
                        note.sourceline,
                        f'expected a footnote number up to {MAX_FOOTNOTE_NUMBER:,}, found n="{raw}"',
                    )
                if int(raw) in self.note_numbers.values():
                    raise ParseError(
                        self.stream.path,
                        note.sourceline,
                        f'expected each note of a document to have its own n, found n="{raw}" twice',
                    )
                self.note_numbers[note] = int(raw)
                highest = max(highest, int(raw))
            elif note.get("type") == "source" and not raw and not source_note_seen:
                source_note_seen = True  # a second unnumbered source note is numbered like other notes
                self.note_numbers[note] = 0
            else:
                unnumbered.append(note)
        for note in unnumbered:
            highest += 1
            self.note_numbers[note] = highest

    # text and milestones -------------------------------------------------------------------------
    def children(self, element) -> list:
        nodes: list = []
        if element.text:
            self.saw(element.text)
            nodes.append(fold(element.text))
        for child in element:
            if isinstance(child.tag, str):
                nodes.extend(self.convert(child))
            elif child.tag is etree.Entity:
                raise ParseError(
                    self.stream.path,
                    child.sourceline,
                    f"entity reference {child.text} is not defined (no DTD is loaded): "
                    "expected the character itself or a numeric character reference",
                )
            if child.tail:
                self.saw(child.tail)
                nodes.append(fold(child.tail))
        return nodes

    def inline(self, element) -> list:
        return tidy(self.children(element), block=False)

    def saw(self, text: str) -> None:
        if not (self.seen_text and self.text_since_page) and text.strip():
            self.seen_text = self.text_since_page = True

    def page_break(self, element) -> list:
        label = (element.get("n") or "").strip()
        if not label:
            return []
        self.stream.set_page(label, element)
        if not self.seen_text:
            self.page_start = label  # the page the document begins on: not a break inside it
            return []
        self.pages_begun.append(label)
        self.text_since_page = False
        return [{"tag": "pb", "n": label}]

    # elements ----------------------------------------------------------------------------------------
    def convert(self, element) -> list:
        name = _local(element.tag)
        if element is self.dateline:
            return self.read_dateline(element)
        if name == "note":
            return self.note(element)
        if name == "pb":
            return self.page_break(element)
        if name == "lb":
            return [{"tag": "lb"}]
        if name == "persName":
            return self.person(element)
        if name == "gloss":
            return self.gloss(element)
        if name == "ref":
            return self.ref(element)
        if name == "hi":
            return self.hi(element)
        if name in ("div", "attachment"):
            return self.attachment(element)
        if name == "quote":
            return self.quote(element)
        if name == "dateline":  # another dateline (an attachment's, a closing one): keep it as a line
            return self.block(element, "p", rend="dateline")
        if name == "signed":
            self.in_signed += 1
            try:
                nodes = self.block(element, "signed")
            finally:
                self.in_signed -= 1
            corresp = (element.get("corresp") or "").split()
            if corresp and self.note_number is None and not self.attachment_depth:
                self.mention(corresp[0].lstrip("#"), SENDER, inline_text(nodes[0]["children"]))
            return nodes
        if name in BLOCK_ELEMENTS:
            return self.block(element, BLOCK_ELEMENTS[name])
        if name == "choice":
            preferred = next(
                (c for c in element if _local(c.tag) in ("corr", "reg", "expan")),
                next((c for c in element if isinstance(c.tag, str)), None),
            )
            return self.convert(preferred) if preferred is not None else []
        if name in SKIPPED_ELEMENTS:
            return []
        return self.children(element)

    def block(self, element, tag: str, **extra) -> list:
        node: dict = {"tag": tag}
        for attribute in KEPT_ATTRIBUTES:
            value = element.get(attribute)
            if value:
                node[attribute] = value
        node.update(extra)
        node["children"] = tidy(self.children(element), block=True, separate_blocks=self.note_number is not None)
        return [node]

    def attachment(self, element) -> list:
        self.attachment_depth += 1
        try:
            return self.block(element, "attachment")
        finally:
            self.attachment_depth -= 1

    def quote(self, element) -> list:
        parent = element.getparent()
        parent_name = _local(parent.tag) if parent is not None else ""
        if parent_name in BLOCK_PARENTS or any(_local(c.tag) in BLOCK_CHILDREN for c in element):
            return self.block(element, "quote")
        return self.children(element)

    def hi(self, element) -> list:
        nodes = self.inline(element)
        tags = [HI_RENDS[r] for r in (element.get("rend") or "").split() if r in HI_RENDS]
        for tag in reversed(tags):
            nodes = [{"tag": tag, "children": nodes}]
        return nodes

    def gloss(self, element) -> list:
        nodes = self.inline(element)
        target = (element.get("target") or "").split()
        if not target:
            return nodes
        key = target[0].lstrip("#")
        self.terms.setdefault(key, None)
        return [{"tag": "term", "ref": key, "children": nodes}]

    def ref(self, element) -> list:
        nodes = self.inline(element)
        target = (element.get("target") or "").strip()
        if not target:
            return nodes
        text = inline_text(nodes)
        if self.note_number is not None:
            self.note_refs.setdefault(self.note_number, []).append(text)
        reference = cross_reference(target.split()[0], self.volume_id)
        if reference is not None:
            reference.text = text
            reference.footnote_number = self.note_number
            self.references.setdefault((reference.volume, reference.number, reference.footnote), reference)
        return [{"tag": "ref", "target": target, "children": nodes}]

    def person(self, element) -> list:
        nodes = self.inline(element)
        name = inline_text(nodes)
        corresp = (element.get("corresp") or "").split()
        kind = (element.get("type") or "").strip()
        if corresp:
            key = corresp[0].lstrip("#")
        elif kind in ("from", "to") and name:
            key = person_key(name)
        else:
            return nodes
        node = {"tag": "person", "ref": key, "children": nodes}
        self.stream.note_person(key, name)
        if self.note_number is None and self.in_head:
            self.head_people.append(_HeadPerson(node, key, name, kind))
        elif kind == "from" or (self.in_signed and self.note_number is None and not self.attachment_depth):
            self.mention(key, SENDER, name)
        elif kind == "to":
            self.mention(key, RECIPIENT, name)
        else:
            self.mention(key, MENTIONED, name)
        return [node]

    def mention(self, key: str, role: str, name: str) -> None:
        self.mentions.setdefault((key, role), PersonMention(person_key=key, role=role, name_as_written=name))

    def note(self, element) -> list:
        number = self.note_numbers.get(element, 0)
        record = FootnoteRecord(number=number, text="")
        self.footnotes.append(record)
        outer = self.note_number
        self.note_number = number
        try:
            content = tidy(self.children(element), block=True, separate_blocks=True)
        finally:
            self.note_number = outer
        record.content = content
        record.text = inline_text(content)
        if element.get("type") == "source":
            record.kind = SOURCE_NOTE
            note = parse_source_note(record.text)
            if note.classification and not self.classification:
                self.classification = note.classification
            if note.document_form and not self.document_form:
                self.document_form = note.document_form
            for citation in note.citations:
                citation.footnote_number = number
                self.sources.append(citation)
        else:
            refs = self.note_refs.get(number, [])
            record.kind = CROSS_REFERENCE if is_cross_reference_note(record.text, refs) else EDITORIAL
            for citation in find_parenthesised_citations(record.text):
                citation.footnote_number = number
                self.sources.append(citation)
        return [{"tag": "fn", "n": number}]

    def read_dateline(self, element) -> list:
        """The document's dateline is metadata: read (its notes and names too), kept out of the body."""
        self.dateline_nodes = self.children(element)
        return []

    # the document --------------------------------------------------------------------------------------
    def find_dateline(self):
        for child in self.div:
            name = _local(child.tag)
            if name == "dateline":
                return child
            if name in ("opener", "closer"):
                found = next((c for c in child if _local(c.tag) == "dateline"), None)
                if found is not None:
                    return found
        return None

    def opener_classification(self) -> str:
        """ "most secret" → "Most Secret"; "secret" <lb/> "priority" → "Secret; Priority"."""
        for child in self.div:
            name = _local(child.tag)
            if name in ("p", "list", "div"):
                break  # the text has begun
            if name == "seg":
                segments = [child]
            elif name == "opener":
                segments = [c for c in child if _local(c.tag) == "seg"]
            else:
                continue
            for segment in segments:
                lines = [fold(line).strip() for line in _lines(segment)]
                lines = [line for line in lines if line]
                if lines and _MARKING.match(lines[0]):
                    return "; ".join(" ".join(w.capitalize() for w in line.split()) for line in lines)
        return ""

    def build(self) -> LetterRecord:
        div = self.div
        number = int(div.get("n").strip())
        self.number_notes()
        self.dateline = self.find_dateline()
        self.dateline_nodes: list = []
        title, head_roles = "", []
        body: list = []
        head_seen = False
        for child in div:
            name = _local(child.tag)
            if name == "head" and not head_seen:
                head_seen = True
                self.in_head = True
                try:
                    head_nodes = self.children(child)
                finally:
                    self.in_head = False
                title, head_roles = self.read_head(head_nodes)
            elif name == "note" and child.get("type") == "source":
                self.note(child)  # printed before the heading: not part of the body
            elif name:
                body.extend(self.convert(child))
            if child.tail:
                self.saw(child.tail)
                body.append(child.tail)
        body = tidy(body, block=True)
        try:
            validate_body(body)  # what an editor could not save is not imported either (nesting depth)
        except ValueError as error:
            raise ParseError(self.stream.path, div.sourceline, f"document {number}: {error}") from None
        repeat_ibid([(note.number, note.text) for note in self.footnotes], self.sources)
        flat = flatten(body)
        for record in self.footnotes:
            record.anchor = flat.footnote_anchors.get(record.number)

        review_reasons = []
        if not title:
            title = title_from_text(flat.text, number)
            review_reasons.append("the document has no heading: its title was taken from the first line of its text")
        doc_type = "other" if review_reasons else doc_type_from_heading(title)
        if doc_type == "correspondence" and self.document_form:
            doc_type = _DOCUMENT_FORMS.get(self.document_form.lower(), doc_type)
        date_min, date_max, precision = letter_dates(div, self.dateline)
        place = ""
        if self.dateline is not None:
            place_element = next((e for e in self.dateline.iter() if _local(e.tag) == "placeName"), None)
            place = element_text(place_element) if place_element is not None else ""
        dateline = inline_text(self.dateline_nodes) if self.dateline is not None else ""

        pages = self.pages_begun if self.text_since_page else self.pages_begun[:-1]
        page_start = page_number(self.page_start)
        page_end = page_number(pages[-1]) if pages else page_start

        return LetterRecord(
            number=number,
            title=title,
            xml_id=div.get(XML_ID, ""),
            doc_type=doc_type,
            date_min=date_min,
            date_max=date_max,
            date_precision=precision,
            place=place,
            dateline=dateline,
            classification=self.classification or self.opener_classification(),
            page_start=page_start,
            page_end=page_end if page_end is not None else page_start,
            body=body,
            body_text=flat.text,
            page_breaks=flat.page_breaks,
            footnotes=self.footnotes,
            people=self.people(head_roles),
            sources=self.sources,
            references=list(self.references.values()),
            terms=list(self.terms),
            chapter=self.stream.current_chapter(),
            source_path=self.stream.path,
            source_line=div.sourceline,
            review_reasons=review_reasons,
        )

    def read_head(self, head_nodes: list) -> tuple[str, list[PersonMention]]:
        """The title (number prefix gone) and the people the heading names as sender and recipient."""
        text, starts = locate_inline(head_nodes)
        prefix = _NUMBER_PREFIX.match(text)
        shift = prefix.end() if prefix else 0
        title = text[shift:]
        parties = split_parties(title) if title else None
        spans = []
        if parties:
            sender, recipient = parties
            sender_at = title.find(sender)
            recipient_at = title.rfind(recipient)
            spans = [(SENDER, sender, sender_at), (RECIPIENT, recipient, recipient_at)]
        roles: dict[tuple[str, str], PersonMention] = {}
        for person in self.head_people:
            start = starts.get(id(person.node), 0) - shift
            role, phrase = MENTIONED, ""
            if person.kind in ("from", "to"):
                role = SENDER if person.kind == "from" else RECIPIENT
                phrase = next((p for r, p, _ in spans if r == role), "")
            else:
                for span_role, span_phrase, at in spans:
                    if at >= 0 and at <= start < at + len(span_phrase):
                        role, phrase = span_role, span_phrase
                        break
            if role == MENTIONED:
                self.mention(person.key, MENTIONED, person.name)
                continue
            roles.setdefault((person.key, role), PersonMention(person.key, role, person.name))
            if phrase:
                self.stream.note_title(person.key, parse_party(phrase))
        # An office named as a party ("the Embassy in the Soviet Union") has no persName: it becomes
        # an organization, as the text importer makes it.
        for role, phrase, _ in spans:
            party = parse_party(phrase)
            if party.is_organization and not any(r == role for _, r in roles):
                key = organization_key(party.name)
                self.stream.note_organization(key, party.name)
                roles[(key, role)] = PersonMention(key, role, phrase)
        senders = [m for m in roles.values() if m.role == SENDER]
        recipients = [m for m in roles.values() if m.role == RECIPIENT]
        return title, senders + recipients

    def people(self, head_roles: list[PersonMention]) -> list[PersonMention]:
        """Senders, recipients, then everyone mentioned; one entry per person and role, the first words."""
        order = {SENDER: 0, RECIPIENT: 1, MENTIONED: 2}
        people: dict[tuple[str, str], PersonMention] = {}
        for mention in head_roles + sorted(self.mentions.values(), key=lambda m: order.get(m.role, 3)):
            people.setdefault((mention.person_key, mention.role), mention)
        return list(people.values())


# -- the volume -------------------------------------------------------------------------------------
class _TeiStream:
    """One pass of iterparse over a volume: the front matter eagerly, then the letters lazily."""

    def __init__(self, path, unchanged: dict[int, str] | None = None):
        self.path = str(path)
        self.unchanged = {} if unchanged is None else unchanged  # see ParsedVolume.unchanged
        self.front_digest = b""
        self.events = safe_xml.iterparse_events(path)
        self.volume = VolumeRecord(identifier="")
        self.people: dict[str, PersonRecord] = {}
        self.touched: set[str] = set()  # keys of ``people`` added or changed (read by parse_worker)
        self.listed: set[str] = set()
        self.page: str | None = None
        self.document = None
        self.keep = None  # a header or front-matter list being read whole
        self.chapters: list[_OpenChapter] = []
        self.chapter_head = None  # a chapter's <head> being read whole
        self.root_id = ""
        self.identifier_line: int | None = None
        self.finished = False
        self.document_elements = 0
        self.document_chars = 0

    # eager part -------------------------------------------------------------------------------------
    def read_front(self) -> None:
        """Read up to the start of <body>: header, persons, terms, sources."""
        first = True
        for event, element in self.events:
            name = _local(element.tag)
            if first:
                first = False
                if name != "TEI":
                    raise ParseError(
                        self.path, element.sourceline, f"expected a TEI document, found a <{name}> root element"
                    )
                self.root_id = element.get(XML_ID, "")
                self.identifier_line = element.sourceline
            if event == "start":
                if name == "body":
                    break
                if self.keep is None and (
                    name == "teiHeader" or (name == "div" and element.get(XML_ID) in FRONT_LISTS)
                ):
                    self.keep = element
                if name == "div" and element.get("type") == "document":
                    raise ParseError(
                        self.path, element.sourceline, "expected documents inside <body>, found one in the front matter"
                    )
                continue
            if element is self.keep:
                self.keep = None
                if name == "teiHeader":
                    self.read_header(element)
                else:
                    self.read_front_list(element)
            elif self.keep is not None:
                continue
            elif name == "pb":
                self.set_page((element.get("n") or "").strip(), element)
            self.release(element)
        else:
            self.finished = True
        if not self.volume.identifier:
            self.volume.identifier = self.root_id or Path(self.path).stem
        if not is_volume_identifier(self.volume.identifier):
            raise ParseError(
                self.path,
                self.identifier_line,
                f"the volume identifier {self.volume.identifier!r} is not usable in addresses: expected letters, "
                "digits, hyphens and underscores only, at most 64 (e.g. frus1969-76v33)",
            )
        self.listed = {p.key for p in self.volume.persons}

    def read_header(self, header) -> None:
        volume = self.volume
        volume.source_line = header.sourceline
        title_stmt = next((e for e in header.iter() if _local(e.tag) == "titleStmt"), None)
        if title_stmt is not None:
            titles: dict[str, str] = {}
            for title in title_stmt.iter():
                if _local(title.tag) == "title":
                    kind = (title.get("type") or "").replace("-", "")
                    titles.setdefault(kind, element_text(title))
            volume.title = titles.get("complete", "") or titles.get("", "")
            volume.series = titles.get("series", "")
            volume.subseries = titles.get("subseries", "")
            volume.volume_number = titles.get("volumenumber", "")
            volume.editors = [
                {"name": element_text(e), "role": e.get("role") or ""}
                for e in title_stmt.iter()
                if _local(e.tag) == "editor" and element_text(e)
            ]
        publication = next((e for e in header.iter() if _local(e.tag) == "publicationStmt"), None)
        if publication is not None:
            for idno in publication.iter():
                if _local(idno.tag) == "idno" and idno.get("type") == "frus" and element_text(idno):
                    volume.identifier = element_text(idno)
                    self.identifier_line = idno.sourceline
                    break
            dates = [e for e in publication if _local(e.tag) == "date"]
            date = next((d for d in dates if d.get("type") == "publication-date"), None)
            if date is None:
                date = next((d for d in dates if d.get("type") != "content-date"), None)
            if date is not None:
                year = re.search(r"\d{4}", element_text(date) or date.get("when") or "")
                volume.year_published = int(year.group(0)) if year else None

    def read_front_list(self, div) -> None:
        kind = div.get(XML_ID)
        if kind == "persons":
            listed: dict[str, int | None] = {}
            for item in div.iter():
                if _local(item.tag) != "item":
                    continue
                name_element = next((e for e in item.iter() if _local(e.tag) == "persName" and e.get(XML_ID)), None)
                if name_element is None:
                    continue
                if name_element.get(XML_ID) in listed:
                    raise ParseError(
                        self.path,
                        item.sourceline,
                        f'expected each person to have their own xml:id, found "{name_element.get(XML_ID)}" twice '
                        f"(also line {listed[name_element.get(XML_ID)]})",
                    )
                listed[name_element.get(XML_ID)] = item.sourceline
                entry = element_text(name_element)
                full = element_text(item)
                at = full.find(entry)
                description = full[at + len(entry) :] if at >= 0 else full
                self.volume.persons.append(
                    PersonRecord(
                        key=name_element.get(XML_ID),
                        display_name=name_from_persons_list(entry),
                        sort_name=fold(re.sub(r"\s*\([^)]*\)", "", entry)).strip(),
                        description=description.lstrip(" ,;").strip(),
                        from_persons_list=True,
                        source_line=item.sourceline,
                    )
                )
        elif kind == "terms":
            seen: dict[str, int | None] = {}
            for item in div.iter():
                if _local(item.tag) != "item":
                    continue
                term_element = next((e for e in item.iter() if _local(e.tag) == "term"), None)
                full = element_text(item)
                if term_element is not None:
                    term = element_text(term_element)
                    key = term_element.get(XML_ID) or f"term:{normalise(term)}"
                else:
                    # An entry whose term is not marked up ("K, Kissinger"): the term is what the
                    # bold lead-in gives, up to its comma.
                    lead = next((e for e in item if _local(e.tag) == "hi"), None)
                    term = element_text(lead).rstrip(",").strip() if lead is not None else full.split(",")[0]
                    key = f"term:{normalise(term)}"
                if not term:
                    continue
                if key in seen:
                    if term_element is not None and term_element.get(XML_ID):
                        raise ParseError(
                            self.path,
                            item.sourceline,
                            f'expected each term to have its own xml:id, found "{key}" twice (also line {seen[key]})',
                        )
                    continue  # the same unmarked term listed twice: the first entry stands
                seen[key] = item.sourceline
                at = full.find(term)
                expansion = full[at + len(term) :] if at >= 0 else full
                self.volume.terms.append(
                    TermRecord(
                        key=key, term=term, expansion=expansion.lstrip(" ,").strip(), source_line=item.sourceline
                    )
                )
        elif kind == "sources":
            for source_list in div.iter():
                if _local(source_list.tag) != "list" or source_list.get("type") != "sources":
                    continue
                for item in source_list:
                    if _local(item.tag) != "item" or (item.text or "").strip():
                        continue
                    lead = next(iter(item), None)
                    if lead is None or _local(lead.tag) != "hi" or "strong" not in (lead.get("rend") or ""):
                        continue
                    name = element_text(lead).split(",")[0].strip().rstrip(".")
                    if name and name not in self.volume.repositories:
                        self.volume.repositories.append(name)
                    self.read_collections(item, name, [])

    def read_collections(self, item, repository: str, path: list[str]) -> None:
        """The nested items under a repository of the sources list, as collection paths."""
        for child_list in (e for e in item if _local(e.tag) == "list"):
            for child in child_list:
                if _local(child.tag) != "item":
                    continue
                # "Lot Files. For other lot files …": the name is the first sentence ("Cyrus R. Vance" is one).
                label = re.split(
                    r"(?<=[a-z]{2})\.\s", element_text(child, skip=frozenset({"note", "list"})), maxsplit=1
                )[0]
                label = label.strip().rstrip(".").strip()
                if not label:
                    continue
                collection = ", ".join([*path, label])
                self.volume.collections.append(
                    SourceCitation(
                        repository=repository,
                        collection=collection,
                        raw=f"{repository}, {collection}",
                        source_line=child.sourceline,
                    )
                )
                self.read_collections(child, repository, [*path, label])

    # lazy part ----------------------------------------------------------------------------------------
    def letters(self) -> Iterator[LetterRecord]:
        if self.finished:
            return
        for event, element in self.events:
            name = _local(element.tag)
            if event == "start":
                if self.document is not None:
                    continue
                if name == "head" and self.chapter_head is None and self.is_chapter_head(element):
                    self.chapter_head = element  # kept whole until it ends: its notes are read with it
                    continue
                if name != "div":
                    continue
                kind = element.get("type")
                if kind == "document":
                    self.check_number(element)
                    self.document_elements = self.document_chars = 0
                    self.record_open_chapters()
                    self.document = element
                    self.document_context = f"{self.page}\0{self.current_chapter()}\0".encode()
                elif kind in CHAPTER_KINDS:
                    self.chapters.append(_OpenChapter(element, element.get(XML_ID) or "", kind))
                continue
            if self.document is not None:
                self.count_document(element)
                if element is self.document:
                    letter = self.unchanged_document(element)
                    if letter is None:
                        letter = _LetterBuilder(self, element).build()
                        letter.source_checksum = self.digest
                    self.document = None
                    self.release(element)
                    yield letter
                continue
            if self.chapter_head is not None:
                if element is not self.chapter_head:
                    continue
                self.chapter_head = None
                self.record_chapter(self.chapters[-1], element_text(element), self.chapter_notes(element))
            elif name == "pb":
                self.set_page((element.get("n") or "").strip(), element)
            elif name == "div" and self.chapters and element is self.chapters[-1].element:
                self.record_open_chapters()
                self.chapters.pop()
            self.release(element)
        self.finished = True

    def document_digest(self, div) -> str:
        """SHA-256 of all that shapes a document's record: this parser's code, the volume's front
        matter, the page and chapter the document begins in, the document's XML."""
        digest = hashlib.sha256(_PARSER_DIGEST)
        digest.update(self.front_digest)
        digest.update(self.document_context)
        digest.update(etree.tostring(div, encoding="utf-8", with_tail=False))
        return digest.hexdigest()

    def unchanged_document(self, div) -> UnchangedDocument | None:
        """For a document the loader holds unchanged (same digest): an UnchangedDocument, read no
        further; else None (it is built, and its record carries its digest)."""
        self.digest = self.document_digest(div)
        number = int(div.get("n").strip())
        if self.unchanged.get(number) != self.digest:
            return None
        # What reading the document would have changed in the stream: the page it ends on.
        for pb in div.iter("{*}pb"):
            self.set_page((pb.get("n") or "").strip(), pb)
        return UnchangedDocument(number, self.digest, self.path, div.sourceline)

    def count_document(self, element) -> None:
        """Refuse a document past the size limits as soon as it passes them: memory stays bounded."""
        self.document_elements += 1
        self.document_chars += len(element.text or "") + len(element.tail or "")
        if self.document_elements > MAX_DOCUMENT_ELEMENTS or self.document_chars > MAX_DOCUMENT_CHARS:
            raise ParseError(
                self.path,
                element.sourceline,
                f"refused: document {self.document.get('n')} passes the limits of one document "
                f"({MAX_DOCUMENT_ELEMENTS:,} elements, {MAX_DOCUMENT_CHARS:,} characters)",
            )

    def set_page(self, label: str, element) -> None:
        if not label:
            return
        number = page_number(label)
        if number is not None and number > MAX_PAGE:
            raise ParseError(
                self.path, element.sourceline, f'expected a page number up to {MAX_PAGE:,}, found n="{label}"'
            )
        self.page = label

    def check_number(self, div) -> None:
        raw = div.get("n")
        label = div.get(XML_ID) or "without xml:id"
        if raw is None or not raw.strip():
            raise ParseError(
                self.path,
                div.sourceline,
                f'document div ({label}) has no @n: expected the document number as an integer, e.g. n="193"',
            )
        if not raw.strip().isdecimal() or not raw.strip().isascii():
            raise ParseError(
                self.path, div.sourceline, f'document div ({label}) has n="{raw}": expected an integer document number'
            )
        if not 1 <= int(raw) <= MAX_DOCUMENT_NUMBER:
            raise ParseError(
                self.path,
                div.sourceline,
                f'document div ({label}) has n="{raw}": expected a document number from 1 to {MAX_DOCUMENT_NUMBER:,}',
            )

    def is_chapter_head(self, element) -> bool:
        if not self.chapters or self.chapters[-1].record is not None:
            return False
        return element.getparent() is self.chapters[-1].element

    def chapter_notes(self, head) -> list[FootnoteRecord]:
        """The notes printed on a chapter's heading, read as a document's notes are (printed numbers kept)."""
        if not any(_local(e.tag) == "note" for e in head.iter()):
            return []
        builder = _LetterBuilder(self, head)
        builder.number_notes()
        builder.children(head)
        return builder.footnotes

    def record_chapter(self, chapter: _OpenChapter, title: str, notes: list[FootnoteRecord] | None = None) -> None:
        chapter.record = ChapterRecord(
            key=chapter.key,
            title=title,
            order=len(self.volume.chapters) + 1,
            kind=chapter.kind,
            source_line=chapter.element.sourceline,
            notes=notes or [],
        )
        self.volume.chapters.append(chapter.record)

    def record_open_chapters(self) -> None:
        for chapter in self.chapters:
            if chapter.record is None:
                self.record_chapter(chapter, "")

    def current_chapter(self) -> str:
        return self.chapters[-1].key if self.chapters else ""

    def note_person(self, key: str, name: str) -> None:
        """Someone named in a letter but not in the persons list becomes known to ``parsed.people``."""
        if key in self.listed or key in self.people or not name:
            return
        self.people[key] = PersonRecord(key=key, display_name=name, sort_name=sort_name(name))
        self.touched.add(key)

    def note_organization(self, key: str, name: str) -> None:
        if key not in self.people:
            self.people[key] = PersonRecord(key=key, display_name=name, sort_name=name, is_organization=True)
            self.touched.add(key)

    def note_title(self, key: str, party) -> None:
        record = self.people.get(key)
        if record is not None and party.title and party.title not in record.titles:
            record.titles.append(party.title)
            self.touched.add(key)

    @staticmethod
    def release(element) -> None:
        """Free what has been read: the element's content and the siblings before it."""
        element.clear(keep_tail=True)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


def parse_tei(path) -> ParsedVolume:
    """A FRUS TEI volume: its header and front matter now, its letters as a lazy stream."""
    return open_tei(path)[0]


def open_tei(path) -> tuple[ParsedVolume, _TeiStream]:
    """``parse_tei``'s volume and the stream behind it (whose ``touched`` names the people records
    added or changed while the letters are read: see ``parse_worker``)."""
    safe_xml.check_prolog(path)
    parsed = ParsedVolume(volume=VolumeRecord(identifier=""), letters=[], source_path=str(path))
    stream = _TeiStream(path, parsed.unchanged)
    stream.read_front()
    stream.front_digest = hashlib.sha256(repr(stream.volume).encode()).digest()
    parsed.volume, parsed.letters, parsed.people = stream.volume, stream.letters(), stream.people
    return parsed, stream
