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

import bisect
import re
from pathlib import Path

from catalog.body import flatten
from catalog.vocabulary import normalise

from .citations import (
    find_cross_references,
    find_parenthesised_citations,
    is_source_note_text,
    parse_source_note,
    repeat_ibid,
)
from .limits import (
    MAX_DOCUMENT_CHARS,
    MAX_DOCUMENT_NUMBER,
    MAX_FOOTNOTES,
    MAX_MARKER_STEPS,
    MAX_PAGE,
    MAX_TEXT_FILE_BYTES,
)
from .names import (
    doc_type_from_heading,
    find_full_names,
    find_titled_mentions,
    organization_key,
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
_DIGITS = re.compile(r"[0-9]+")
_AFTER_MARKER = frozenset("—–)];:,.”’\"'")
_SALUTATION = re.compile(r"^(?:Dear|My dear|Mr\.|Madam|Sir|Excellency|Your Excellency)\b.*[:,]$")
_SIGNATURE_TOKEN = re.compile(r"^(?:[A-Z][\w’'\-]*\.?|[A-Z]\.)$")
_CROSS_REFERENCE_ONLY = re.compile(r"^See\s+(?:footnote\s+\d+,\s+)?Documents?\s+[\d,\sand]+\.?$")


def read_lines(path: Path) -> list[str]:
    """The file's lines with a BOM, CRLF line ends and trailing spaces removed.

    Refused: a file larger than ``MAX_TEXT_FILE_BYTES`` (never read past the limit), bytes that are
    not UTF-8, and NUL characters (no text holds them, and the database cannot store them)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_TEXT_FILE_BYTES + 1)
    except OSError as error:
        raise ParseError(path, None, f"cannot read the file: {error.strerror or error}") from None
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise ParseError(
            path,
            data.count(b"\n", 0, MAX_TEXT_FILE_BYTES) + 1,
            f"refused: the file is larger than {MAX_TEXT_FILE_BYTES // (1024 * 1024)} MiB; "
            "expected one document (a real one is far smaller)",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseError(path, line, "expected UTF-8 text") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise ParseError(path, text.count("\n", 0, nul) + 1, "expected text, found a NUL character (byte 0)")
    return [line.rstrip(" \t") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def page_value(label: str) -> int | None:
    """A page label's number ("808" → 808); None for labels that are not numbers ("xii")."""
    return int(label) if label.isascii() and label.isdecimal() else None


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


STRONG, AFTER_NUMBER, ENUMERATOR = 0, 1, 2  # how likely a place is to be a marker, best first


class _MarkerIndex:
    """Every place a footnote marker may stand, by marker number, in text order within each class.

    A marker is the digits of its number glued after a word, punctuation or number, and followed by
    a boundary (a space, the end, a page break, or punctuation a marker precedes in print). Classes,
    best first: glued to a word or punctuation; glued to a number ("November 154" — then a space must
    follow, else every "January 12." would read as "January 1" + marker 2); a digit alone between
    parentheses, which is a list label ("(2) heavy bombers") far more often than a marker.
    Built in one pass over the text, so placing many markers never rescans it.
    """

    def __init__(self, paragraphs: list[_Paragraph], last: int):
        width = len(str(last))
        self.places: dict[int, tuple[list, list, list]] = {}
        for index, paragraph in enumerate(paragraphs):
            text = paragraph.text
            ends = []
            for run in _DIGITS.finditer(text):
                ends.extend(p for p, _ in paragraph.page_breaks if run.start() < p < run.end())
                ends.append(run.end())
            for end in ends:
                for size in range(1, width + 1):
                    position = end - size
                    if position <= 0 or not "0" <= text[position] <= "9":
                        break
                    digits = text[position:end]
                    if digits[0] == "0" or int(digits) > last:
                        continue
                    before = text[position - 1]
                    if before.isspace():
                        continue
                    after_number = before.isdigit()
                    if not paragraph.is_boundary(end, punctuation=not after_number):
                        continue
                    kind = AFTER_NUMBER if after_number else STRONG
                    if before == "(" and end < len(text) and text[end] == ")":
                        kind = ENUMERATOR
                    self.places.setdefault(int(digits), ([], [], []))[kind].append((index, position))

    def candidates(self, marker: int, start: tuple[int, int]) -> list[tuple[int, int]]:
        """Places for ``marker`` at or after ``start``, best class first."""
        found = []
        for places in self.places.get(marker, ((), (), ())):
            found.extend(places[bisect.bisect_left(places, start) :])
        return found


def _place_markers(paragraphs: list[_Paragraph], first: int, last: int, path: Path) -> None:
    """Find markers first..last in order; backtrack when an early choice leaves a later marker no place.

    Iterative (an explicit stack, so 1,500 markers need no 1,500-deep recursion), remembers the
    (marker, start) pairs that failed, and gives up after ``MAX_MARKER_STEPS`` tries."""
    index = _MarkerIndex(paragraphs, last)
    failed: set[tuple[int, tuple[int, int]]] = set()
    deepest, steps = first, 0
    stack = [[first, (0, 0), index.candidates(first, (0, 0)), 0]]  # marker, start, candidates, next
    placed: list[tuple[int, int]] = []
    while stack:
        frame = stack[-1]
        marker, start, candidates, tried = frame
        deepest = max(deepest, marker)
        if tried >= len(candidates):
            failed.add((marker, start))
            stack.pop()
            if placed:
                placed.pop()
            continue
        frame[3] = tried + 1
        steps += 1
        if steps > MAX_MARKER_STEPS:
            raise ParseError(
                path,
                paragraphs[0].line if paragraphs else None,
                f"refused: footnote markers {first}–{last} cannot be told apart from the other digits of the "
                f"text within {MAX_MARKER_STEPS:,} tries",
            )
        where = candidates[tried]
        if marker == last:
            placed.append(where)
            break
        following = (where[0], where[1] + len(str(marker)))
        if (marker + 1, following) in failed:
            continue
        placed.append(where)
        stack.append([marker + 1, following, index.candidates(marker + 1, following), 0])
    else:
        line = paragraphs[-1].line if paragraphs else None
        raise ParseError(
            path,
            line,
            f"footnote marker {deepest} not found in the text: expected the digits {deepest} glued after a "
            f"word or punctuation, after marker {deepest - 1} and before marker {deepest + 1}",
        )
    for marker, (paragraph, position) in enumerate(placed, start=first):
        paragraphs[paragraph].markers.append((position, marker))


def _check_pages(line: str, path: Path, line_number: int) -> None:
    for match in _INLINE_PAGE.finditer(line):
        page = page_value(match.group(1))
        if page is not None and page > MAX_PAGE:
            raise ParseError(path, line_number, f"expected a page number up to {MAX_PAGE:,}, found [Page {page}]")


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
        _check_pages(lines[index], path, index + 1)
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
    if not 1 <= number <= MAX_DOCUMENT_NUMBER:
        raise ParseError(
            path, heading_line, f"expected a document number from 1 to {MAX_DOCUMENT_NUMBER:,}, found {number}"
        )
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
            if expected > MAX_FOOTNOTES:
                raise ParseError(
                    path, line_index + 1, f"refused: more than {MAX_FOOTNOTES:,} footnotes in one document"
                )
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
        not title[-2].isdigit() or bool(footnote_texts and is_source_note_text(footnote_texts[0][1]))
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
        _check_pages(line, path, line_index + 1)
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
    size = len(flat.text) + sum(len(text) for _, text in footnote_texts)
    if size > MAX_DOCUMENT_CHARS:
        raise ParseError(
            path,
            heading_line,
            f"refused: the document has {size:,} characters; at most {MAX_DOCUMENT_CHARS:,} are accepted",
        )
    footnotes: list[FootnoteRecord] = []
    sources, references = [], []
    classification = ""
    for footnote_number, (_line, text) in enumerate(footnote_texts, start=1):
        kind = EDITORIAL
        if footnote_number == 1 and is_source_note_text(text):
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

    repeat_ibid([(n, text) for n, (_line, text) in enumerate(footnote_texts, start=1)], sources)
    people, mentions = _people(title, body, flat.text, [text for _, text in footnote_texts])
    pages = [page for label, _ in flat.page_breaks if (page := page_value(label)) is not None]
    page_start = page_value(top_page) if top_page and page_value(top_page) is not None else None
    if page_start is None and pages:
        page_start = max(pages[0] - 1, 0)
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
        key = organization_key(name) if organization else person_key(name)
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
