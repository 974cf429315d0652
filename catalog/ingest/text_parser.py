"""Parser for FRUS documents exported as plain text (see ../shared/seeds/).

The format, as the Office of the Historian's text exports give it:

- an optional ``[Page N]`` line when the document begins at the top of printed page N;
- ``{number}. {heading}{marker}``: the heading's footnote marker (1) is glued to its last word;
- paragraphs separated by blank lines;
- the footnotes last, one a line: ``  N. text``.

Footnote markers in the text are digits glued after a word, punctuation or another number
("November 154" is "November 15" + marker 4); they run 1, 2, 3 … so the sequence, not a guess,
decides where each one stands. ``[Page N]`` marks where printed page N begins, even inside a word.
The exporter pads an inline page marker with one space on each side, so exactly one space either
side belongs to the marker: "pur [Page 808] pose" is "purpose", "the  [Page 9] end" is "the end".
"""

from __future__ import annotations

import re
from pathlib import Path

from catalog.body import flatten

from .citations import find_cross_references, find_parenthesised_citations, parse_source_note
from .names import (
    doc_type_from_heading,
    find_full_names,
    find_titled_mentions,
    normalise,
    parse_party,
    person_key,
    sort_name,
    split_parties,
    surname,
)
from .records import (
    CROSS_REFERENCE,
    EDITORIAL,
    MENTIONED,
    RECIPIENT,
    SENDER,
    SOURCE_NOTE,
    FootnoteRecord,
    LetterRecord,
    ParsedVolume,
    ParseError,
    PersonMention,
    PersonRecord,
    VolumeRecord,
)

HONORIFICS = {"Mr.", "Mrs.", "Ms.", "Miss"}
_PAGE_LINE = re.compile(r"^\[Page\s+(\w+)\]$")
_INLINE_PAGE = re.compile(r" ?\[Page\s+(\w+)\] ?")
_HEADING = re.compile(r"^(?P<number>\d+)\.\s+(?P<heading>\S.*)$")
_FOOTNOTE_LINE = re.compile(r"^[ \t]+(?P<number>\d+)\.\s+(?P<text>.*)$")
_HEADING_MARKER = re.compile(r"(?<=\S)1$")
_AFTER_MARKER = frozenset("—–)];:,.”’\"'")
_SALUTATION = re.compile(r"^(?:Dear|My dear|Mr\.|Madam|Sir|Excellency|Your Excellency)\b.*[:,]$")
_SIGNATURE_TOKEN = re.compile(r"^(?:[A-Z][\w’'\-]*\.?|[A-Z]\.)$")
_CROSS_REFERENCE_ONLY = re.compile(r"^See\s+(?:footnote\s+\d+,\s+)?Documents?\s+[\d,\sand]+\.?$")


def read_lines(path: Path) -> list[str]:
    """The file's lines with a BOM, CRLF line ends and trailing spaces removed."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise ParseError(path, line, "expected UTF-8 text") from None
    return [line.rstrip(" \t") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def looks_like_text_document(text: str) -> bool:
    """Whether the start of a file reads as a text export: an optional ``[Page N]`` line, then the heading."""
    lines = [line.strip() for line in text.lstrip("\ufeff").replace("\r\n", "\n").split("\n") if line.strip()]
    if lines and _PAGE_LINE.match(lines[0]):
        lines = lines[1:]
    return bool(lines) and bool(_HEADING.match(lines[0]))


class _Paragraph:
    """One paragraph: its text with page markers taken out, and where they stood."""

    def __init__(self, text: str, line: int):
        self.line = line
        self.page_breaks: list[tuple[int, str]] = []
        pieces, position = [], 0
        for match in _INLINE_PAGE.finditer(text):
            pieces.append(text[position : match.start()])
            self.page_breaks.append((sum(map(len, pieces)), match.group(1)))
            position = match.end()
        pieces.append(text[position:])
        self.text = "".join(pieces)
        self.markers: list[tuple[int, int]] = []  # (position, footnote number)

    def is_boundary(self, position: int, *, punctuation: bool) -> bool:
        """Can a footnote marker end here? At a space, the end, a page break, or (``punctuation``)
        before punctuation that follows a marker in print ("objectives.”2—which", "(at Tab A2)")."""
        return (
            position == len(self.text)
            or self.text[position].isspace()
            or (punctuation and self.text[position] in _AFTER_MARKER)
            or any(p == position for p, _ in self.page_breaks)
        )


def _candidates(paragraphs: list[_Paragraph], marker: int, start: tuple[int, int]):
    """Places where ``marker`` may stand at or after ``start``: glued to a word or punctuation first,
    then glued to a number."""
    digits = str(marker)
    strong, weak = [], []
    for index in range(start[0], len(paragraphs)):
        paragraph = paragraphs[index]
        offset = start[1] if index == start[0] else 0
        for match in re.finditer(re.escape(digits), paragraph.text[offset:]):
            position = offset + match.start()
            end = position + len(digits)
            if position == 0 or paragraph.text[position - 1].isspace():
                continue
            # Glued to a number ("November 154"), a marker must be followed by a space: else every
            # "January 12." would read as "January 1" + marker 2.
            after_number = paragraph.text[position - 1].isdigit()
            if not paragraph.is_boundary(end, punctuation=not after_number):
                continue
            (weak if after_number else strong).append((index, position))
    return strong + weak


def _place_markers(paragraphs: list[_Paragraph], first: int, last: int, path: Path) -> None:
    """Find markers first..last in order; backtrack when an early choice leaves a later marker no place."""
    failed: set[tuple[int, tuple[int, int]]] = set()
    deepest = [first]

    def place(marker: int, start: tuple[int, int]) -> list[tuple[int, int]] | None:
        if marker > last:
            return []
        if (marker, start) in failed:
            return None
        deepest[0] = max(deepest[0], marker)
        for index, position in _candidates(paragraphs, marker, start):
            rest = place(marker + 1, (index, position + len(str(marker))))
            if rest is not None:
                return [(index, position), *rest]
        failed.add((marker, start))
        return None

    placed = place(first, (0, 0))
    if placed is None:
        missing = deepest[0]
        line = paragraphs[-1].line if paragraphs else None
        raise ParseError(
            path,
            line,
            f"footnote marker {missing} not found in the text: expected the digits {missing} glued after a "
            f"word or punctuation, after marker {missing - 1} and before marker {missing + 1}",
        )
    for marker, (index, position) in enumerate(placed, start=first):
        paragraphs[index].markers.append((position, marker))


def _paragraph_nodes(paragraph: _Paragraph) -> list:
    """Children of a paragraph: text slices with footnote and page-break nodes where they stand."""
    cuts = [(position, 0, {"tag": "fn", "n": number}, len(str(number))) for position, number in paragraph.markers]
    cuts += [(position, 1, {"tag": "pb", "n": label}, 0) for position, label in paragraph.page_breaks]
    children, position = [], 0
    for at, _, node, width in sorted(cuts, key=lambda cut: (cut[0], cut[1])):
        if at > position:
            children.append(paragraph.text[position:at])
        children.append(node)
        position = max(position, at + width)
    if position < len(paragraph.text):
        children.append(paragraph.text[position:])
    return children


def _is_signature(text: str) -> bool:
    tokens = text.split()
    return 1 <= len(tokens) <= 5 and all(_SIGNATURE_TOKEN.match(t) for t in tokens) and not text.endswith(":")


def parse_text_document(path: Path | str, volume_identifier: str) -> tuple[LetterRecord, dict[str, PersonRecord]]:
    """One text file → a letter record and the people it names (keyed as PersonMention.person_key)."""
    path = Path(path)
    lines = read_lines(path)
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    top_page = None
    if index < len(lines) and (page := _PAGE_LINE.match(lines[index].strip())):
        top_page = page.group(1)
        index += 1
        while index < len(lines) and not lines[index].strip():
            index += 1
    if index >= len(lines):
        raise ParseError(path, index or 1, 'expected a heading line "{number}. {heading}", found an empty file')
    heading = _HEADING.match(lines[index])
    if not heading:
        raise ParseError(path, index + 1, f'expected a heading line "{{number}}. {{heading}}", found {lines[index]!r}')
    heading_line = index + 1
    number = int(heading.group("number"))
    title = heading.group("heading").strip()

    # The footnotes: from the first indented "1." line to the end.
    body_end = len(lines)
    for line_index in range(index + 1, len(lines)):
        if re.match(r"^[ \t]+1\.\s", lines[line_index]):
            body_end = line_index
            break
    footnote_texts: list[tuple[int, str]] = []
    for line_index in range(body_end, len(lines)):
        line = lines[line_index]
        if not line.strip():
            continue
        match = _FOOTNOTE_LINE.match(line)
        expected = len(footnote_texts) + 1
        if match and int(match.group("number")) == expected:
            footnote_texts.append((line_index + 1, match.group("text").strip()))
        elif match and int(match.group("number")) > expected:
            raise ParseError(
                path, line_index + 1, f"expected footnote {expected}, found footnote {match.group('number')}"
            )
        else:
            # A footnote wrapped onto another line, indented or not ("3. …" inside footnote 4 too).
            last_line, last_text = footnote_texts[-1]
            footnote_texts[-1] = (last_line, f"{last_text} {line.strip()}")

    # Marker 1 is glued to the heading's last word, or to a number ending it ("NIE 11–3/8–761" is
    # "NIE 11–3/8–76" + 1): after a number it is the marker only when footnote 1 is a source note.
    heading_has_marker = bool(_HEADING_MARKER.search(title)) and (
        not title[-2].isdigit() or bool(footnote_texts and footnote_texts[0][1].startswith("Source:"))
    )
    if heading_has_marker:
        if not footnote_texts:
            raise ParseError(
                path,
                heading_line,
                "the heading carries footnote marker 1 but no footnotes follow: "
                'expected footnote lines "  1. text" at the end (is the document cut short?)',
            )
        title = title[:-1]

    # The body: paragraphs separated by blank lines; a page marker alone on a line starts a page.
    blocks_source: list[tuple[str, object]] = []  # ("pb", label) or ("p", _Paragraph)
    current: list[str] = []
    current_line = None
    for line_index in range(index + 1, body_end):
        line = lines[line_index].strip()
        if _PAGE_LINE.match(line) and not current:
            blocks_source.append(("pb", _PAGE_LINE.match(line).group(1)))
            continue
        if _PAGE_LINE.match(line):
            # Inside a paragraph, between two lines: a word boundary. Padded so that one space stays
            # once the marker's own padding is removed.
            current.append(f" {line} ")
            continue
        if not line:
            if current:
                blocks_source.append(("p", _Paragraph(" ".join(current), current_line)))
                current, current_line = [], None
            continue
        if current_line is None:
            current_line = line_index + 1
        current.append(line)
    if current:
        blocks_source.append(("p", _Paragraph(" ".join(current), current_line)))
    paragraphs = [item for kind, item in blocks_source if kind == "p"]

    first_marker = 2 if heading_has_marker else 1
    if footnote_texts and len(footnote_texts) >= first_marker:
        _place_markers(paragraphs, first_marker, len(footnote_texts), path)

    body: list = []
    pending_breaks: list = []
    last_paragraph = paragraphs[-1] if paragraphs else None
    for kind, item in blocks_source:
        if kind == "pb":
            pending_breaks.append({"tag": "pb", "n": item})
            continue
        tag = "p"
        if item is paragraphs[0] and _SALUTATION.match(item.text):
            tag = "salute"
        elif item is last_paragraph and len(paragraphs) > 1 and _is_signature(item.text):
            tag = "signed"
        body.append({"tag": tag, "children": pending_breaks + _paragraph_nodes(item)})
        pending_breaks = []
    body.extend(pending_breaks)

    flat = flatten(body)
    footnotes: list[FootnoteRecord] = []
    sources, references = [], []
    classification = ""
    for footnote_number, (_line, text) in enumerate(footnote_texts, start=1):
        kind = EDITORIAL
        if footnote_number == 1 and text.startswith("Source:"):
            kind = SOURCE_NOTE
            note = parse_source_note(text)
            classification = note.classification
            for citation in note.citations:
                citation.footnote_number = footnote_number
                sources.append(citation)
            extra = find_parenthesised_citations(note.notes)
        else:
            extra = find_parenthesised_citations(text)
            if _CROSS_REFERENCE_ONLY.match(text):
                kind = CROSS_REFERENCE
        for citation in extra:
            citation.footnote_number = footnote_number
            sources.append(citation)
        for reference in find_cross_references(text, volume_identifier):
            reference.footnote_number = footnote_number
            references.append(reference)
        footnotes.append(
            FootnoteRecord(
                number=footnote_number,
                text=text,
                kind=kind,
                content=[text],
                anchor=flat.footnote_anchors.get(footnote_number),
            )
        )

    people, mentions = _people(title, body, flat.text, [text for _, text in footnote_texts])
    pages = [int(label) for label, _ in flat.page_breaks if label.isdigit()]
    page_start = int(top_page) if top_page and top_page.isdigit() else (pages[0] - 1 if pages else None)
    record = LetterRecord(
        number=number,
        title=title,
        xml_id=f"d{number}",
        doc_type=doc_type_from_heading(title),
        classification=classification,
        page_start=page_start,
        page_end=pages[-1] if pages else page_start,
        body=body,
        body_text=flat.text,
        page_breaks=flat.page_breaks,
        footnotes=footnotes,
        people=mentions,
        sources=sources,
        references=references,
        source_path=str(path),
        source_line=heading_line,
    )
    return record, people


def _people(title: str, body: list, body_text: str, footnote_texts: list[str]):
    """Sender and recipient from the heading, full names from the signature, titled names as mentions."""
    people: dict[str, PersonRecord] = {}
    mentions: list[PersonMention] = []

    def remember(name: str, role: str, as_written: str, title_words: str = "", organization: bool = False) -> None:
        key = ("org:" + normalise(name)) if organization else person_key(name)
        person = people.get(key)
        if person is None:
            person = people[key] = PersonRecord(
                key=key,
                display_name=name,
                sort_name=name if organization else sort_name(name),
                is_organization=organization,
            )
        elif len(name.split()) > len(person.display_name.split()):
            person.display_name, person.sort_name = name, sort_name(name)
        if title_words and title_words not in HONORIFICS and title_words not in person.titles:
            person.titles.append(title_words)
        if role == MENTIONED and any(m.person_key == key for m in mentions):
            return
        if not any(m.person_key == key and m.role == role for m in mentions):
            mentions.append(PersonMention(person_key=key, role=role, name_as_written=as_written))

    parties = split_parties(title)
    if parties:
        for phrase, role in zip(parties, (SENDER, RECIPIENT), strict=True):
            party = parse_party(phrase)
            remember(party.name, role, phrase, party.title, party.is_organization)
    signature = next((b for b in reversed(body) if isinstance(b, dict) and b.get("tag") == "signed"), None)
    if signature:
        signed = "".join(c for c in signature["children"] if isinstance(c, str)).strip()
        sender = next((m for m in mentions if m.role == SENDER), None)
        if sender and normalise(surname(signed)) == sender.person_key.removeprefix("name:"):
            remember(signed, SENDER, sender.name_as_written)
    for text in [body_text, *footnote_texts]:
        for title_words, name, _ in find_titled_mentions(text):
            remember(name, MENTIONED, f"{title_words} {name}", title_words)
    known = {key.removeprefix("name:") for key in people if key.startswith("name:")}
    for text in [body_text, *footnote_texts]:
        for name, _ in find_full_names(text, known):
            remember(name, MENTIONED, name)
    return people, mentions


def parse_text_volume(paths: list[Path | str], identifier: str, title: str = "") -> ParsedVolume:
    """Several text files of one volume → a parsed volume (every file is read and checked first)."""
    parsed = ParsedVolume(volume=VolumeRecord(identifier=identifier, title=title), letters=[])
    letters = []
    seen: dict[int, str] = {}
    for path in sorted(Path(p) for p in paths):
        letter, people = parse_text_document(path, identifier)
        if letter.number in seen:
            raise ParseError(
                path, letter.source_line, f"document {letter.number} appears twice (also in {seen[letter.number]})"
            )
        seen[letter.number] = str(path)
        for key, person in people.items():
            existing = parsed.people.get(key)
            if existing is None:
                parsed.people[key] = person
            else:
                if len(person.display_name.split()) > len(existing.display_name.split()):
                    existing.display_name, existing.sort_name = person.display_name, person.sort_name
                existing.titles.extend(t for t in person.titles if t not in existing.titles)
        letters.append(letter)
    parsed.letters = sorted(letters, key=lambda letter: letter.number)
    parsed.source_path = ", ".join(str(p) for p in paths)
    return parsed
