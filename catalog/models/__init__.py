from .annotations import Annotation, AnnotationQuerySet
from .history import Revision
from .letters import CrossReference, Footnote, Letter, LetterQuerySet
from .people import LetterPerson, Person, PersonIdentifier
from .sources import ArchivalSource, SourceCitation
from .volumes import Chapter, Term, Volume

__all__ = [
    "Annotation",
    "AnnotationQuerySet",
    "ArchivalSource",
    "Chapter",
    "CrossReference",
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
