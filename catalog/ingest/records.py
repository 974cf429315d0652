"""Neutral records: what every format parser produces and the one loader consumes.

Parsers are pure functions from a file to these records; they never touch the database. The loader
never looks at a file. A new input format therefore means a new parser and nothing else.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field


class ParseError(Exception):
    """Bad input: names the file, the line, and what was expected there."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


# Roles a person plays in a letter.
SENDER = "sender"
RECIPIENT = "recipient"
MENTIONED = "mentioned"

# Kinds of footnote.
SOURCE_NOTE = "source"
EDITORIAL = "editorial"
CROSS_REFERENCE = "cross-reference"


@dataclass
class PersonRecord:
    """A person (or an office acting as a party) as a volume knows them.

    ``key`` identifies the person inside the volume: the persons-list id (``p_CJ_2``) where the
    volume has one, otherwise a key derived from the name (``name:carter``).
    """

    key: str
    display_name: str
    sort_name: str = ""
    description: str = ""
    titles: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    is_organization: bool = False
    from_persons_list: bool = False
    source_line: int | None = None


@dataclass
class PersonMention:
    """One person's part in one letter, with the words the edition uses for them."""

    person_key: str
    role: str
    name_as_written: str


@dataclass
class SourceCitation:
    """An archival source as cited in a footnote, split into its parts."""

    repository: str
    collection: str = ""
    box: str = ""
    folder: str = ""
    raw: str = ""
    footnote_number: int | None = None
    source_line: int | None = None  # for a volume's own list of sources: where it lists this one


@dataclass
class CrossReference:
    """A pointer to another document: ``volume`` + ``number`` (``number`` None for a whole volume)."""

    volume: str
    number: int | None = None
    footnote: int | None = None
    text: str = ""
    footnote_number: int | None = None  # the footnote of this letter that makes the reference


@dataclass
class FootnoteRecord:
    number: int  # 0 for an unnumbered source note printed before the heading
    text: str
    kind: str = EDITORIAL
    content: list = field(default_factory=list)  # inline body nodes, for rendering
    anchor: int | None = None  # offset in the letter's body text; None when on the heading


@dataclass
class LetterRecord:
    number: int
    title: str
    xml_id: str = ""
    doc_type: str = ""
    date_min: datetime.datetime | None = None
    date_max: datetime.datetime | None = None
    date_precision: str = ""
    place: str = ""
    dateline: str = ""
    classification: str = ""
    page_start: int | None = None
    page_end: int | None = None
    body: list = field(default_factory=list)
    body_text: str = ""
    page_breaks: list[tuple[str, int]] = field(default_factory=list)
    footnotes: list[FootnoteRecord] = field(default_factory=list)
    people: list[PersonMention] = field(default_factory=list)
    sources: list[SourceCitation] = field(default_factory=list)
    references: list[CrossReference] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # glossary term keys used in the letter
    chapter: str = ""  # xml:id of the chapter or compilation the letter belongs to
    # Why an editor should look at this letter before it is published (e.g. a title the importer made).
    review_reasons: list[str] = field(default_factory=list)
    source_path: str = ""
    source_line: int | None = None
    # A digest of the document as the file holds it (and of what around it shapes its record), from
    # a parser that can give one: an unchanged document is then skipped before it is read again.
    source_checksum: str = ""
    # The volume identifier against which the body's and footnotes' ``ref`` nodes already carry
    # their parsed targets (``citations.with_ref_targets``); "" when not yet done (the loader does it).
    ref_targets_for: str = ""


@dataclass
class UnchangedDocument:
    """What a parser yields instead of a LetterRecord for a document listed in
    ``ParsedVolume.unchanged`` whose digest is still the one given there: the document is as the
    catalog last loaded it, so it is not turned into a record at all."""

    number: int
    source_checksum: str
    source_path: str = ""
    source_line: int | None = None


@dataclass
class TermRecord:
    key: str
    term: str
    expansion: str
    source_line: int | None = None


@dataclass
class ChapterRecord:
    key: str
    title: str
    order: int
    kind: str = "chapter"
    source_line: int | None = None
    # Notes printed on the chapter's heading, outside any document ("Continued from …").
    notes: list[FootnoteRecord] = field(default_factory=list)


@dataclass
class VolumeRecord:
    identifier: str
    title: str = ""
    series: str = ""
    subseries: str = ""
    volume_number: str = ""
    editors: list[dict] = field(default_factory=list)  # [{"name": ..., "role": ...}]
    year_published: int | None = None
    persons: list[PersonRecord] = field(default_factory=list)
    terms: list[TermRecord] = field(default_factory=list)
    chapters: list[ChapterRecord] = field(default_factory=list)
    repositories: list[str] = field(default_factory=list)
    # The volume's guide to its sources: every collection it lists, under its repository.
    collections: list[SourceCitation] = field(default_factory=list)
    source_line: int | None = None  # where the header names the volume


@dataclass
class ParsedVolume:
    """A volume's front matter plus its letters; ``letters`` may be a lazy stream."""

    volume: VolumeRecord
    letters: Iterator[LetterRecord] | list[LetterRecord]
    source_path: str = ""
    # People found in letters rather than in a persons list; filled as letters are parsed.
    people: dict[str, PersonRecord] = field(default_factory=dict)
    # Documents the catalog already holds as last loaded (number → source_checksum), filled by the
    # loader before it reads ``letters``: a parser that gives digests may skip them (UnchangedDocument).
    unchanged: dict[int, str] = field(default_factory=dict)
