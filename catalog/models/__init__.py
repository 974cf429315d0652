from .history import Revision
from .letters import CrossReference, Footnote, Letter, LetterQuerySet
from .people import LetterPerson, Person, PersonIdentifier
from .reports import ErrorReport
from .sources import ArchivalSource, SourceCitation
from .volumes import Chapter, Term, Volume

__all__ = [
    "ArchivalSource",
    "Chapter",
    "CrossReference",
    "ErrorReport",
    "Footnote",
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
