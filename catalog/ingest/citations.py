"""Source notes, archival citations and cross-references inside footnote text.

A FRUS source note reads "Source: {repository}, {collection…}, Box {n}, {folder}. {classification}.
{further notes}". Folder titles carry commas, colons and dates of their own, so the citation is
split on the classification marking (a closed list), not on punctuation alone.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from catalog.vocabulary import is_volume_identifier

from .limits import MAX_DOCUMENT_NUMBER, MAX_FOOTNOTE_NUMBER
from .records import CrossReference, LetterRecord, SourceCitation

CLASSIFICATIONS = [
    "Top Secret",
    "Secret",
    "Confidential",
    "Limited Official Use",
    "Unclassified",
    "No classification marking",
]
CAVEATS = [
    "Sensitive",
    "Nodis",
    "Exdis",
    "Limdis",
    "Eyes Only",
    "Exclusively Eyes Only",
    "Immediate",
    "Priority",
    "Flash",
    "Niact",
    "Noforn",
    "Personal",
    "Codeword",
    "Umbra",
    "Routine",
    "Specat",
    "Cherokee",
    "Roger Channel",
    "Personal and Confidential",
]
_CLASSIFICATION = re.compile(
    r"(?:(?<=^)|(?<=[.)]\s))(?P<marking>(?:"
    + "|".join(re.escape(c) for c in CLASSIFICATIONS)
    + r")(?:\s*[;,]\s*(?:"
    + "|".join(re.escape(c) for c in sorted(CAVEATS, key=len, reverse=True))
    + r")[^.;,]*)*)\.",
)
_REPOSITORY = re.compile(
    r"^(?:"
    r"(?:[A-Z][\w.]*\s+){1,3}(?:Presidential\s+)?(?:Library|Materials|Materials Project)\b"
    r"|National Archives"
    r"|Library of Congress"
    r"|Department of (?:State|Defense|the Army|the Navy)"
    r"|Central Intelligence Agency"
    r"|Washington National Records Center"
    r"|Federal Records Center"
    r"|Naval (?:History|Historical)"
    r"|Hoover Institution"
    r"|(?!Public\b)[A-Z][\w.]+\s+Papers\b"
    r")"
)
NATIONAL_ARCHIVES = "National Archives"
CENTRAL_DECIMAL_FILE = "RG 59, Central Decimal File"
# "724.34119/836", "710.H Agenda/½", "033.1140 Stimson, Henry L./45": three digits, a subject after
# the point, then "/" and the document's serial (digits, fractions, letters).
_DECIMAL_FILE = re.compile(r"^(?P<number>\d{3}(?:\.[0-9A-Za-z][\w ,.\-–]*?)?/[0-9A-Za-z½¼¾⅓⅔\-–]+)\.?$")
# A remark wholly in square brackets: "[Extract.]", "[Paraphrase]".
_EDITORIAL_REMARK = re.compile(r"^\[[^\[\]]+\]\.?$")
_IBID = re.compile(r"^\s*\(?\s*Ibid\b", re.IGNORECASE)
_BOX = re.compile(r"^Box(?:es)?\s+(?P<box>[\w\-–]+)\s*(?P<rest>.*)$")
_MULTI_SEGMENT_REPOSITORIES = {"Library of Congress", "National Archives"}
_DOC_FORMS = {"Telegram", "Letter", "Memorandum", "Message", "Cable"}
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


@dataclass
class SourceNote:
    citations: list[SourceCitation] = field(default_factory=list)
    classification: str = ""
    notes: str = ""
    document_form: str = ""  # "Telegram" in "Roosevelt Papers: Telegram"


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on a separator outside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def looks_archival(text: str) -> bool:
    return bool(_REPOSITORY.match(text.strip()))


def parse_citation(raw: str) -> SourceCitation:
    """Split one archival citation into repository, collection, box and folder."""
    raw = raw.strip().rstrip(".").strip()
    segments = split_top_level(raw)
    repository = segments[0]
    rest = segments[1:]
    if ":" in repository:
        repository, first = (s.strip() for s in repository.split(":", 1))
        rest = [first, *rest] if first not in _DOC_FORMS else rest
    elif repository in _MULTI_SEGMENT_REPOSITORIES and rest and rest[0].endswith("Division"):
        repository = f"{repository}, {rest.pop(0)}"
    box_index = next((i for i, s in enumerate(rest) if _BOX.match(s)), None)
    collection, box, folder = "", "", ""
    if box_index is not None:
        box_match = _BOX.match(rest[box_index])
        box = box_match.group("box")
        collection = ", ".join(rest[:box_index])
        folder_parts = rest[box_index + 1 :]
        if box_match.group("rest"):
            folder_parts = [box_match.group("rest"), *folder_parts]
        folder = ", ".join(folder_parts)
    elif len(rest) == 1:
        collection = rest[0]
    elif rest:
        colon_index = next((i for i, s in enumerate(rest) if ":" in s and i > 0), None)
        split_at = colon_index if colon_index is not None else len(rest) - 1
        collection = ", ".join(rest[:split_at])
        folder = ", ".join(rest[split_at:])
    return SourceCitation(repository=repository, collection=collection, box=box, folder=folder, raw=raw)


def decimal_file(text: str) -> SourceCitation | None:
    """A State Department decimal file number ("724.34119/836", "710.H Agenda/½") as the file of
    the Department's Central Decimal File it names (National Archives, Record Group 59).

    The whole number is the folder, so the documents of one file ("724.34119/…") sort together."""
    match = _DECIMAL_FILE.match(text.strip())
    if not match:
        return None
    number = match.group("number")
    return SourceCitation(
        repository=NATIONAL_ARCHIVES, collection=CENTRAL_DECIMAL_FILE, folder=number, raw=text.strip().rstrip(".")
    )


def is_source_note_text(text: str) -> bool:
    """Whether a plain-text footnote 1 is the source note: "Source: …", or a bare decimal file number."""
    return text.startswith("Source:") or decimal_file(text) is not None


def is_editorial_remark(text: str) -> bool:
    """An editor's remark printed as a source note ("[Extract.]", "[Translation.]"): no archive."""
    return bool(_EDITORIAL_REMARK.match(text.strip()))


def parse_source_note(text: str) -> SourceNote:
    """Split a source note into its citations, classification marking and further notes.

    An editorial remark ("[Extract.]") stays the note's text and cites no archive; a decimal file
    number is a file of the Central Decimal File (see ``decimal_file``)."""
    body = re.sub(r"^\s*Source:\s*", "", text.strip())
    note = SourceNote()
    if is_editorial_remark(body):
        note.notes = body
        return note
    match = _CLASSIFICATION.search(body)
    if match:
        citation_text = body[: match.start()].strip()
        note.classification = match.group("marking").strip()
        note.notes = body[match.end() :].strip()
    else:
        sentence_end = re.search(r"\.\s+(?=[A-Z])", body)
        citation_text = body[: sentence_end.start()] if sentence_end else body
        note.notes = body[sentence_end.end() :].strip() if sentence_end else ""
    citation_text = citation_text.strip().rstrip(".")
    form = re.match(r"^(?P<repo>.+?):\s*(?P<form>" + "|".join(_DOC_FORMS) + r")$", citation_text)
    if form:
        note.document_form = form.group("form")
    for part in split_top_level(citation_text, ";"):
        if (file := decimal_file(part)) is not None:
            note.citations.append(file)
        elif is_editorial_remark(part):
            note.notes = f"{part} {note.notes}".strip()
        elif looks_archival(part) or not note.citations:
            note.citations.append(parse_citation(part))
    return note


def repeat_ibid(notes: list[tuple[int, str]], sources: list[SourceCitation]) -> None:
    """Resolve "Ibid.": a footnote that opens with it cites again the source of the footnote before
    it (the last source that footnote cites; a chain of "Ibid."s follows it back). ``notes`` are
    (number, text) pairs; the repeated citations are appended to ``sources``."""
    cited: dict[int | None, list[SourceCitation]] = {}
    for citation in sources:
        cited.setdefault(citation.footnote_number, []).append(citation)
    previous = None
    for number, text in sorted(notes, key=lambda note: note[0]):
        if previous is not None and not cited.get(number) and cited.get(previous) and _IBID.match(text):
            repeated = dataclasses.replace(cited[previous][-1], footnote_number=number, raw=text.strip())
            sources.append(repeated)
            cited[number] = [repeated]
        previous = number


def find_parenthesised_citations(text: str) -> list[SourceCitation]:
    """Archival citations given in parentheses inside a footnote: "(Carter Library, …, Box 69, …)"."""
    found = []
    depth, start = 0, None
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index + 1
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0 and start is not None:
                inner = text[start:index].strip()
                for part in split_top_level(inner, ";"):
                    if (file := decimal_file(part)) is not None:
                        found.append(file)
                    elif looks_archival(part):
                        found.append(parse_citation(part))
    return found


def roman_to_int(numeral: str) -> int | None:
    numeral = numeral.lower()
    if not numeral or any(c not in _ROMAN for c in numeral):
        return None
    total = 0
    for index, char in enumerate(numeral):
        value = _ROMAN[char]
        if index + 1 < len(numeral) and _ROMAN[numeral[index + 1]] > value:
            total -= value
        else:
            total += value
    return total


_VOLUME_CITATION = re.compile(
    r"Foreign Relations,?\s+(?P<start>\d{4})(?:[–\-](?P<end>\d{4}))?,\s+[Vv]ol\.\s+(?P<vol>[IVXLCivxlc]+|\d+)"
    r"(?:,\s+[Pp]art\s+(?P<part>\d+))?"
)
_DOCUMENTS = re.compile(
    r"(?:(?:[Ff]ootnote|fn\.)\s+(?P<fn>\d+),\s+)?\bDocuments?\s+(?P<numbers>\d+(?:(?:\s*,\s*|\s*,?\s+and\s+)\d+)*)"
)


def volume_identifier(start: str, end: str | None, volume: str, part: str | None = None) -> str:
    """ "Foreign Relations, 1977–1980, Vol. VI" → "frus1977-80v06"."""
    number = int(volume) if volume.isdigit() else roman_to_int(volume)
    identifier = f"frus{start}" + (f"-{end[2:]}" if end else "")
    identifier += f"v{number:02d}" if number is not None else ""
    if part:
        identifier += f"p{int(part)}"
    return identifier


def find_cross_references(text: str, current_volume: str) -> list[CrossReference]:
    """Documents a footnote points to: "See Document 310.", "See footnote 5, Document 315.",
    "printed in Foreign Relations, 1977–1980, Vol. VI, …, Document 12", or a whole volume."""
    references: list[CrossReference] = []
    volume_mentions = [
        (m, identifier)
        for m in _VOLUME_CITATION.finditer(text)
        if is_volume_identifier(identifier := volume_identifier(m["start"], m["end"], m["vol"], m["part"]))
    ]
    for match in _DOCUMENTS.finditer(text):
        volume = current_volume
        # A document number in the same sentence after a volume citation belongs to that volume.
        for mention, identifier in volume_mentions:
            between = text[mention.end() : match.start()]
            if mention.end() <= match.start() and not re.search(r"[.;]\s", between):
                volume = identifier
        footnote = int(match["fn"]) if match["fn"] else None
        if footnote is not None and footnote > MAX_FOOTNOTE_NUMBER:
            footnote = None
        for number in re.findall(r"\d+", match["numbers"]):
            if 1 <= int(number) <= MAX_DOCUMENT_NUMBER:  # beyond: no document has that number
                references.append(
                    CrossReference(volume=volume, number=int(number), footnote=footnote, text=match.group(0))
                )
    cited_volumes = {r.volume for r in references}
    for mention, identifier in volume_mentions:
        if identifier not in cited_volumes and identifier != current_volume:
            references.append(CrossReference(volume=identifier, number=None, text=mention.group(0)))
            cited_volumes.add(identifier)
    return references


@dataclass(frozen=True)
class RefTarget:
    """Where a TEI ``ref/@target`` points: a volume, a document or other anchor in it, a fragment."""

    volume: str
    document: str = ""  # "d192", or another xml id ("pg_821", "ch3"); empty for a whole volume
    number: int | None = None  # the document number when ``document`` is "d<number>"
    fragment: str = ""  # "fn2"

    @property
    def footnote(self) -> int | None:
        digits = self.fragment[2:]
        if digits.isascii() and digits.isdigit() and int(digits) <= MAX_FOOTNOTE_NUMBER:
            return int(digits)
        return None


_HSG_URL = re.compile(r"^https?://history\.state\.gov/historicaldocuments/(?P<volume>[^/#?]+)(?:/(?P<doc>[^/#?]+))?")
_TARGET_VOLUME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_TARGET_LETTER = re.compile(r"^d(?P<number>[0-9]+)(?:fn(?P<fn>[A-Za-z0-9]+))?$")
_TARGET_ANCHOR = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


def parse_ref_target(target: str, current_volume: str) -> RefTarget | None:
    """``#d192fn2``, ``#pg_5``, ``frus1977-80v06``, ``frus1977-80v06#d12``, or the Office of the
    Historian's URL of either → where it points; None for anything else (other sites, paths)."""
    target = str(target or "").strip()
    url = _HSG_URL.match(target)
    if url:
        target = url["volume"] + (f"#{url['doc']}" if url["doc"] else "")
    if not target:
        return None
    volume, _, document = target.partition("#")
    volume = volume.strip() or current_volume
    if not volume or not _TARGET_VOLUME.match(volume):
        return None
    if not document:
        return RefTarget(volume=volume)
    match = _TARGET_LETTER.match(document)
    if match and not 1 <= int(match["number"]) <= MAX_DOCUMENT_NUMBER:
        return None  # no document has that number
    if match:
        fragment = f"fn{match['fn']}" if match["fn"] else ""
        return RefTarget(volume, f"d{match['number']}", int(match["number"]), fragment)
    if _TARGET_ANCHOR.match(document):
        return RefTarget(volume, document)
    return None


def with_ref_targets(nodes: list, current_volume: str) -> list:
    """A copy of a body (or footnote content) tree whose every ``ref`` node carries ``"to"``: where
    it points, parsed once at import as ``[volume, document, number, fragment]``, or None when the
    target is not one the catalog can link (another site, a path). Renderers read ``"to"`` only."""

    def walk(node):
        if isinstance(node, list):
            return [walk(child) for child in node]
        if not isinstance(node, dict):
            return node
        copy = dict(node)
        if "children" in copy and isinstance(copy["children"], list):
            copy["children"] = [walk(child) for child in copy["children"]]
        if copy.get("tag") == "ref":
            raw = next((str(copy[k]) for k in ("target", "ref", "href") if copy.get(k)), "")
            found = parse_ref_target(raw, current_volume)
            copy["to"] = [found.volume, found.document, found.number, found.fragment] if found else None
        return copy

    return walk(nodes or [])


def record_with_ref_targets(record: LetterRecord, volume: str) -> LetterRecord:
    """The letter with the cross-reference targets of its body and footnotes parsed once and stored
    on their nodes (``with_ref_targets``), marked done for ``volume``: the loader, or the parse
    worker beside it (catalog/ingest/parse_worker.py), whichever sees the record first."""
    if record.ref_targets_for == volume:
        return record
    notes = [dataclasses.replace(note, content=with_ref_targets(note.content, volume)) for note in record.footnotes]
    return dataclasses.replace(
        record, body=with_ref_targets(record.body, volume), footnotes=notes, ref_targets_for=volume
    )
