from .annotations import Annotation, AnnotationQuerySet
from .history import Revision
from .imports import ImportRun
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
from .people import LetterPerson, Person, PersonIdentifier
from .reports import ErrorReport
from .sources import ArchivalSource, SourceCitation
from .volumes import Chapter, Term, Volume

__all__ = [
    "Annotation",
    "AnnotationQuerySet",
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
