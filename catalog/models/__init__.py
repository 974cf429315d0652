from .history import Revision
from .imports import ImportRun
from .letters import CrossReference, Footnote, Letter, LetterQuerySet
from .people import LetterPerson, Person, PersonIdentifier
from .sources import ArchivalSource, SourceCitation
from .volumes import Chapter, Term, Volume

__all__ = [
    "ArchivalSource",
    "Chapter",
    "CrossReference",
    "Footnote",
    "ImportRun",
    "Letter",
    "LetterPerson",
    "LetterQuerySet",
    "Person",
    "PersonIdentifier",
    "Revision",
    "SourceCitation",
    "Term",
    "Volume",
]
