"""Read queries for the public pages and the API: what a reader may see, fetched in a fixed number
of queries per page (no query per footnote, person or node).

Full-text search lives in :func:`search_letters` so that PostgreSQL full-text search (a
``SearchVector`` over title + body_text, with a GIN index) can replace the ``icontains`` below
without touching the views.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from catalog.body import iter_nodes
from catalog.models import (
    Chapter,
    CrossReference,
    Footnote,
    Letter,
    LetterPerson,
    Person,
    PersonIdentifier,
    SourceCitation,
    Term,
    Volume,
)
from catalog.rendering import RenderContext, local_id, ref_targets

ROLES = (LetterPerson.Role.SENDER, LetterPerson.Role.RECIPIENT, LetterPerson.Role.MENTIONED)


# -- lists ---------------------------------------------------------------------------------------


def people_prefetch() -> Prefetch:
    return Prefetch(
        "letter_people",
        queryset=LetterPerson.objects.select_related("person").order_by("role", "person__sort_name", "id"),
    )


def letter_list(user) -> QuerySet:
    """The reader's list: by date (undated last), then volume and number."""
    return (
        Letter.objects.visible_to(user)
        .select_related("volume")
        .prefetch_related(people_prefetch())
        .order_by(F("date_min").asc(nulls_last=True), "volume__identifier", "number")
    )


SEARCH_CONFIG = "english"


def search_vector() -> SearchVector:
    """The searched text; the GIN index of migration 0002 is built on exactly this expression."""
    return SearchVector("title", "body_text", config=SEARCH_CONFIG)


def search_letters(queryset: QuerySet, q: str) -> QuerySet:
    """Letters matching ``q``, best first.

    On PostgreSQL: full-text search with English stemming ("negotiate" finds "negotiations"),
    web-search syntax ("quoted phrases", -excluded, or), ranked. Elsewhere (SQLite, the embedded
    default): every word must occur in the heading or the text, case-insensitively.
    """
    q = (q or "").strip()
    if not q:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        ordering = queryset.query.order_by
        return (
            queryset.annotate(search=search_vector(), rank=SearchRank(search_vector(), query))
            .filter(search=query)
            .order_by("-rank", *ordering)
        )
    for word in q.split()[:10]:
        queryset = queryset.filter(Q(title__icontains=word) | Q(body_text__icontains=word))
    return queryset


def has_person(queryset: QuerySet, slug: str, role: str = "") -> QuerySet:
    links = LetterPerson.objects.filter(letter=OuterRef("pk"), person__slug=slug)
    if role:
        links = links.filter(role=role)
    return queryset.filter(Exists(links))


def has_repository(queryset: QuerySet, repository: str) -> QuerySet:
    citations = SourceCitation.objects.filter(letter=OuterRef("pk"), source__repository__iexact=repository.strip())
    return queryset.filter(Exists(citations))


def facets(queryset: QuerySet) -> dict[str, list[dict]]:
    """Counts of the filtered letters by volume, document type and repository (three queries)."""
    ids = queryset.order_by().values("pk")
    base = Letter.objects.filter(pk__in=ids).order_by()
    volumes = list(base.values(value=F("volume__identifier")).annotate(count=Count("pk")).order_by("value"))
    doc_types = list(
        base.exclude(doc_type="").values(value=F("doc_type")).annotate(count=Count("pk")).order_by("value")
    )
    repositories = list(
        SourceCitation.objects.filter(letter__in=ids)
        .values(value=F("source__repository"))
        .annotate(count=Count("letter", distinct=True))
        .order_by("-count", "value")[:20]
    )
    labels = dict(Letter._meta.get_field("doc_type").choices)
    for row in doc_types:
        row["label"] = labels.get(row["value"], row["value"])
    return {"volume": volumes, "doc_type": doc_types, "repository": repositories}


def split_people(letter: Letter) -> dict[str, list[LetterPerson]]:
    """The prefetched people of a letter by role (in the order the importer recorded them)."""
    groups: dict[str, list[LetterPerson]] = {role: [] for role in ROLES}
    for link in letter.letter_people.all():
        groups.setdefault(link.role, []).append(link)
    return groups


# -- one volume ----------------------------------------------------------------------------------


@dataclass
class ChapterGroup:
    chapter: Chapter | None
    letters: list[Letter] = field(default_factory=list)


def volume_page(identifier: str, user) -> tuple[Volume, list[ChapterGroup]]:
    """A volume and its visible letters in order, grouped by chapter when it has chapters."""
    try:
        volume = Volume.objects.get(identifier=identifier)
    except Volume.DoesNotExist:
        raise Http404("No such volume") from None
    chapters = list(volume.chapters.all())
    letters = list(
        Letter.objects.visible_to(user).filter(volume=volume).prefetch_related(people_prefetch()).order_by("number")
    )
    for letter in letters:
        letter.volume = volume  # the same object: no query per letter for its citation
    if not chapters:
        return volume, [ChapterGroup(None, letters)] if letters else []
    groups: OrderedDict[int | None, ChapterGroup] = OrderedDict((c.pk, ChapterGroup(c)) for c in chapters)
    loose = ChapterGroup(None)
    for letter in letters:
        groups.get(letter.chapter_id, loose).letters.append(letter)
    result = [g for g in groups.values() if g.letters]
    if loose.letters:
        result.append(loose)
    return volume, result


def sources_consulted(volume: Volume) -> list[tuple[str, list[str]]]:
    """The volume's own list of sources: (repository, [collections]) in the order it prints them."""
    grouped: OrderedDict[str, list[str]] = OrderedDict()
    links = Volume.sources_consulted.through.objects.filter(volume=volume).order_by("id")
    rows = links.values_list("archivalsource__repository", "archivalsource__collection")
    for repository, collection in rows:
        grouped.setdefault(repository, []).append(collection)
    return list(grouped.items())


# -- one letter ----------------------------------------------------------------------------------


def find_letter(identifier: str, user, *, number: int | None = None, xml_id: str = "") -> Letter:
    """A visible letter by number, or by its (possibly old) xml id; Http404 otherwise."""
    letters = Letter.objects.visible_to(user).select_related("volume", "chapter").filter(volume__identifier=identifier)
    letter = None
    if number is not None:
        letter = letters.filter(number=number).first()
    elif xml_id:
        letter = letters.filter(xml_id=xml_id).first()
    if letter is None:
        raise Http404("No such document")
    return letter


@dataclass
class ReferenceEntry:
    """One target a letter points to, with the footnotes that point there."""

    volume: str
    number: int | None
    target_footnote: int | None
    text: str
    target: Letter | None
    volume_known: bool = False
    footnotes: list[int] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return self.target is not None


@dataclass
class SourceEntry:
    """One archival source a letter cites, with the footnotes that cite it."""

    source: object
    raw: str
    is_source_note: bool = False
    footnotes: list[int] = field(default_factory=list)


@dataclass
class LetterPage:
    letter: Letter
    footnotes: list[Footnote]
    people: dict[str, list[LetterPerson]]
    sources: list[SourceEntry]
    references: list[ReferenceEntry]
    reference_rows: list[CrossReference]
    context: RenderContext
    heading_notes: list[Footnote]
    previous: Letter | None = None
    next: Letter | None = None


def load_letter_page(letter: Letter, user, *, neighbours: bool = True) -> LetterPage:
    """Everything the letter page (and the API) shows, in a fixed number of queries."""
    footnotes = list(Footnote.objects.filter(letter=letter).order_by("number"))
    links = list(
        LetterPerson.objects.filter(letter=letter).select_related("person").order_by("role", "person__sort_name", "id")
    )
    people: dict[str, list[LetterPerson]] = {role: [] for role in ROLES}
    for link in links:
        people.setdefault(link.role, []).append(link)

    citations = SourceCitation.objects.filter(letter=letter).select_related("source", "footnote")
    sources: OrderedDict[int, SourceEntry] = OrderedDict()
    for citation in sorted(citations, key=lambda c: (c.footnote.number if c.footnote_id else -1, c.pk)):
        entry = sources.get(citation.source_id)
        if entry is None:
            entry = sources[citation.source_id] = SourceEntry(citation.source, citation.raw or citation.source.raw)
        entry.is_source_note = entry.is_source_note or citation.is_source_note
        if citation.footnote_id and citation.footnote.number and citation.footnote.number not in entry.footnotes:
            entry.footnotes.append(citation.footnote.number)  # an unnumbered source note is no "footnote 0"

    visible = Letter.objects.visible_to(user)
    rows = list(
        CrossReference.objects.filter(letter=letter)
        .select_related("footnote", "target__volume")
        .order_by("footnote__number", "id")
    )
    referenced_volumes = {r.target_volume for r in rows if r.target_number is None}
    nodes = [*(letter.body or []), *(n for f in footnotes for n in (f.content or []))]
    body_refs = ref_targets(nodes, letter.volume.identifier)
    referenced_volumes |= {t.volume for t in body_refs if not t.document}
    known_volumes = (
        set(Volume.objects.filter(identifier__in=referenced_volumes).values_list("identifier", flat=True))
        if referenced_volumes
        else set()
    )
    visible_target_ids = _visible_ids(visible, [r.target_id for r in rows if r.target_id], user)
    references: OrderedDict[tuple, ReferenceEntry] = OrderedDict()
    for row in rows:
        key = (row.target_volume, row.target_number, row.target_footnote)
        entry = references.get(key)
        if entry is None:
            target = row.target if row.target_id in visible_target_ids else None
            entry = references[key] = ReferenceEntry(
                volume=row.target_volume,
                number=row.target_number,
                target_footnote=row.target_footnote,
                text=row.text,
                target=target,
                volume_known=row.target_volume in known_volumes,
            )
        if row.footnote_id and row.footnote.number not in entry.footnotes:
            entry.footnotes.append(row.footnote.number)

    context = build_render_context(letter, nodes, user, body_refs, known_volumes)
    page = LetterPage(
        letter=letter,
        footnotes=footnotes,
        people=people,
        sources=list(sources.values()),
        references=list(references.values()),
        reference_rows=rows,
        context=context,
        # Numbered notes with no place in the body stand on the heading (the source note, and in
        # older volumes the heading's own notes).
        heading_notes=[f for f in footnotes if f.anchor is None and f.number > 0],
    )
    if neighbours:
        siblings = visible.filter(volume_id=letter.volume_id).order_by("number").only("id", "number", "title")
        page.previous = siblings.filter(number__lt=letter.number).order_by("-number").first()
        page.next = siblings.filter(number__gt=letter.number).first()
    return page


def _visible_ids(visible: QuerySet, ids: list[int], user) -> set[int]:
    if not ids:
        return set()
    if user is not None and user.is_active and user.is_staff:
        return set(ids)
    return set(visible.filter(pk__in=ids).values_list("pk", flat=True))


def build_render_context(letter: Letter, nodes: list, user, body_refs=None, known_volumes=None) -> RenderContext:
    """The lookups the renderer needs for one letter: at most one query each for people, terms and
    cross-reference targets, and none when the body has no such nodes."""
    volume = letter.volume
    person_ids, term_ids = set(), set()
    for node in iter_nodes(nodes):
        tag = node.get("tag")
        if tag == "person":
            person_ids |= {local_id(node.get(k)) for k in ("ref", "corresp", "key", "target") if node.get(k)}
        elif tag == "term":
            term_ids |= {local_id(node.get(k)) for k in ("ref", "target", "key") if node.get(k)}
    people = {}
    if person_ids:
        people = dict(
            PersonIdentifier.objects.filter(volume=volume, local_id__in=person_ids).values_list(
                "local_id", "person__slug"
            )
        )
    terms = {}
    if term_ids:
        terms = dict(Term.objects.filter(volume=volume, xml_id__in=term_ids).values_list("xml_id", "expansion"))
    body_refs = body_refs if body_refs is not None else ref_targets(nodes, volume.identifier)
    known_letters: set[tuple[str, str]] = set()
    letter_refs = [t for t in body_refs if t.document]
    if letter_refs:
        condition = Q()
        for target in letter_refs:
            if target.number is not None:
                condition |= Q(volume__identifier=target.volume, number=target.number)
            else:
                condition |= Q(volume__identifier=target.volume, xml_id=target.document)
        for vol, number, xml_id in (
            Letter.objects.visible_to(user).filter(condition).values_list("volume__identifier", "number", "xml_id")
        ):
            known_letters.add((vol, f"d{number}"))
            if xml_id:
                known_letters.add((vol, xml_id))
    if known_volumes is None:
        wanted = {t.volume for t in body_refs if not t.document}
        known_volumes = (
            set(Volume.objects.filter(identifier__in=wanted).values_list("identifier", flat=True)) if wanted else set()
        )
    return RenderContext(
        volume=volume.identifier,
        people=people,
        terms=terms,
        known_letters=known_letters,
        known_volumes=set(known_volumes),
    )


# -- one person ----------------------------------------------------------------------------------


def person_page(slug: str, user) -> tuple[Person, dict[str, list[LetterPerson]]]:
    """A person and the visible letters they sent, received or are mentioned in."""
    try:
        person = Person.objects.get(slug=slug)
    except Person.DoesNotExist:
        raise Http404("No such person") from None
    visible = Letter.objects.visible_to(user)
    links = (
        LetterPerson.objects.filter(person=person, letter__in=visible.values("pk"))
        .select_related("letter__volume")
        .order_by(F("letter__date_min").asc(nulls_last=True), "letter__volume__identifier", "letter__number")
    )
    groups: dict[str, list[LetterPerson]] = {role: [] for role in ROLES}
    for link in links:
        groups.setdefault(link.role, []).append(link)
    if not any(groups.values()) and not (user is not None and user.is_active and user.is_staff):
        raise Http404("No published letters for this person")
    return person, groups


# -- the list's filters --------------------------------------------------------------------------


class LetterFilter(django_filters.FilterSet):
    """The list's filters: ``volume``, ``doc_type``, ``year_from``/``year_to``, ``person`` (a slug),
    ``repository`` and the full-text ``q``. Invalid values are ignored rather than emptying the list."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    volume = django_filters.CharFilter(field_name="volume__identifier", label="Volume")
    doc_type = django_filters.ChoiceFilter(
        choices=Letter._meta.get_field("doc_type").choices, label="Document type", empty_label="Any type"
    )
    # Years a date can hold; anything else is an invalid value, ignored like the others.
    year_from = django_filters.NumberFilter(
        field_name="date_min__year", lookup_expr="gte", label="From year", min_value=1, max_value=9999, decimal_places=0
    )
    year_to = django_filters.NumberFilter(
        field_name="date_min__year", lookup_expr="lte", label="To year", min_value=1, max_value=9999, decimal_places=0
    )
    person = django_filters.CharFilter(method="filter_person", label="Person")
    repository = django_filters.CharFilter(method="filter_repository", label="Repository")

    class Meta:
        model = Letter
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return search_letters(queryset, value)

    def filter_person(self, queryset, name, value):
        return has_person(queryset, value.strip())

    def filter_repository(self, queryset, name, value):
        return has_repository(queryset, value)
