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
from .people import Correspondence, LetterPerson, Person, PersonCount, PersonIdentifier, PersonLetter
from .reports import ErrorReport
from .search import FacetKey, SearchDoc
from .sources import ArchivalSource, SourceCitation
from .volumes import Chapter, Term, Volume

__all__ = [
    "Annotation",
    "AnnotationQuerySet",
    "ArchivalSource",
    "Chapter",
    "Correspondence",
    "CrossReference",
    "Erratum",
    "ErrorReport",
    "FacetKey",
    "Footnote",
    "ImportRun",
    "Letter",
    "LetterPerson",
    "LetterProblem",
    "LetterQuerySet",
    "Person",
    "PersonCount",
    "PersonIdentifier",
    "PersonLetter",
    "ReviewQueueItem",
    "SearchDoc",
    "Revision",
    "SourceCitation",
    "Term",
    "Transition",
    "Volume",
]
