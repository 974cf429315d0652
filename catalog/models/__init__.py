from .history import Revision
from .letters import (
    CrossReference,
    Erratum,
    Footnote,
    Letter,
    LetterProblem,
    LetterQuerySet,
    ReviewQueueItem,
    Transition,
)
from .imports import ImportRun
from .people import LetterPerson, Person, PersonIdentifier
from .reports import ErrorReport
from .sources import ArchivalSource, SourceCitation
from .volumes import Chapter, Term, Volume

__all__ = [
    "ArchivalSource",
    "Chapter",
    "CrossReference",
    "Erratum",
    "ErrorReport",
    "Footnote",
    "ImportRun",
    "Letter",
    "LetterPerson",
    "LetterProblem",
    "LetterQuerySet",
    "Person",
    "PersonIdentifier",
    "ReviewQueueItem",
    "Revision",
    "SourceCitation",
    "Term",
    "Transition",
    "Volume",
]
