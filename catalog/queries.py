"""Read queries for the public pages and the API: what a reader may see, fetched in a fixed number
of queries per page (no query per letter, footnote, person or node).

Who sees what (the public rule): lists, counts, facets, search, people, sources and volumes show
published letters only — to everyone, staff included (staff work in the admin). A person, a volume
or an archival source is public only when a published letter refers to it; a person's persons-list
description and titles are shown only when every volume that names them has something published.
A single letter's page (and its JSON) also opens for staff on a draft, marked "not published", as
a preview.

Lists never load ``body``, ``body_text`` or ``import_snapshot`` (:data:`LIST_FIELDS`).
"""

from __future__ import annotations

import datetime
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from types import SimpleNamespace

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db import connection, connections
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, ExtractYear
from django.http import Http404
from django.utils import timezone

from catalog import administrations, search
from catalog import facets as facet_counts
from catalog.body import iter_nodes
from catalog.models import (
    Annotation,
    ArchivalSource,
    Chapter,
    Correspondence,
    CrossReference,
    Erratum,
    Footnote,
    Letter,
    LetterPerson,
    Person,
    PersonCount,
    PersonIdentifier,
    PersonLetter,
    SourceCitation,
    Term,
    Volume,
)
from catalog.models.letters import sees_unpublished
from catalog.rendering import RenderContext, local_id, stored_ref_targets, volume_heading
from catalog.search import search_vector  # noqa: F401 - migration 0002 once imported it from here

ROLES = (LetterPerson.Role.SENDER, LetterPerson.Role.RECIPIENT, LetterPerson.Role.MENTIONED)
LIST_FIELDS = (
    "id",
    "volume_id",
    "number",
    "xml_id",
    "title",
    "doc_type",
    "date_min",
    "date_max",
    "date_precision",
    "place",
    "classification",
    "page_start",
    "page_end",
    "status",
    "provisional",
    "administration",
    "chapter_id",
    "volume__identifier",
    "volume__title",
    "volume__series",
    "volume__subseries",
    "volume__volume_number",
)
LETTER_HEAVY_FIELDS = ("body", "body_text", "import_snapshot")  # never loaded for a list or a link
DOC_TYPE_LABELS = dict(Letter._meta.get_field("doc_type").choices)
CLASSIFICATIONS = [
    ("top-secret", "Top Secret"),
    ("secret", "Secret"),
    ("confidential", "Confidential"),
    ("limited-official-use", "Limited Official Use"),
    ("unclassified", "Unclassified"),
    ("no-marking", "No classification marking"),
]
CLASSIFICATION_LABELS = dict(CLASSIFICATIONS)


def is_staff(user) -> bool:
    return bool(user is not None and user.is_active and user.is_staff)


def public_letters() -> QuerySet:
    """The letters readers may see and count: the published ones."""
    return Letter.objects.published()


def public_volumes() -> QuerySet:
    return Volume.objects.filter(Exists(public_letters().filter(volume=OuterRef("pk"))))


def public_people() -> QuerySet:
    return Person.objects.filter(
        Exists(LetterPerson.objects.filter(person=OuterRef("pk"), letter__status=Letter.Status.PUBLISHED))
    )


def people_prefetch() -> Prefetch:
    return Prefetch(
        "letter_people",
        queryset=LetterPerson.objects.select_related("person")
        .only("id", "letter_id", "role", "name_as_written", "person__slug", "person__display_name")
        .order_by("role", "person__sort_name", "id"),
    )


def list_letters(queryset: QuerySet | None = None) -> QuerySet:
    """Published letters with what a list row shows (never the body), by date, volume and number."""
    queryset = public_letters() if queryset is None else queryset
    return (
        queryset.select_related("volume").only(*LIST_FIELDS).prefetch_related(people_prefetch()).order_by(*DATE_ORDER)
    )


DATE_ORDER = (F("date_min").asc(nulls_last=True), "volume__identifier", "number")
SORTS = {
    "date": DATE_ORDER,
    "-date": (F("date_min").desc(nulls_last=True), "volume__identifier", "number"),
    "volume": ("volume__identifier", "number"),
}


def classification_base():
    """The base marking of ``classification`` ("Secret; Nodis" → "secret") as an SQL expression."""
    whens = [When(classification__istartswith=label, then=Value(slug)) for slug, label in CLASSIFICATIONS]
    return Case(*whens, default=Value(""), output_field=CharField())


def split_people(letter: Letter) -> dict[str, list[LetterPerson]]:
    """The prefetched people of a letter by role (in the order the importer recorded them)."""
    groups: dict[str, list[LetterPerson]] = {role: [] for role in ROLES}
    for link in letter.letter_people.all():
        groups.setdefault(link.role, []).append(link)
    return groups


# -- the list's filters --------------------------------------------------------------------------

MAX_VALUES = 20  # values of one facet a request may select


class MultiValueField(forms.Field):
    """Every value of a repeated parameter (``?person=a&person=b``), cleaned and bounded."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = [value]
        cleaned: list[str] = []
        for item in value:
            item = search.normalise(item)[:300]
            if item and item not in cleaned:
                cleaned.append(item)
        return cleaned[:MAX_VALUES]

    def validate(self, value):
        return None


class MultiFilter(django_filters.Filter):
    field_class = MultiValueField


class QueryField(forms.CharField):
    """A reader's search words, bounded and normalised (``catalog.search.normalise``) first."""

    def to_python(self, value):
        return search.normalise(value)


class QueryFilter(django_filters.CharFilter):
    field_class = QueryField


def state_params(params) -> list[tuple[str, str]]:
    """The list's state as (name, value) pairs, for links and hidden fields: the filter
    parameters only, each value bounded and normalised, never the page."""
    names = set(LetterFilter.base_filters) - {"page"}
    pairs = []
    for name in params:
        if name in names:
            for value in params.getlist(name)[:MAX_VALUES]:
                value = search.normalise(value)[:300]
                if value:
                    pairs.append((name, value))
    return pairs


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_partial_date(value: str, *, end: bool = False) -> datetime.datetime | None:
    """``1978``, ``1978-01`` or ``1978-01-25`` → the first moment of that period (Washington time),
    or with ``end`` the first moment after it; None when it is not such a date."""
    match = _PARTIAL_DATE.match((value or "").strip())
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    try:
        start = datetime.date(year, month, day)
        if end:
            if match[3]:
                start += datetime.timedelta(days=1)
            elif match[2]:
                start = datetime.date(year + (month == 12), month % 12 + 1, 1)
            else:
                start = datetime.date(year + 1, 1, 1)
    except (ValueError, OverflowError):
        return None
    if not 1 <= start.year <= 9998:
        return None
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time()))


def _years(values: list[str]) -> Q:
    condition = Q()
    for value in values:
        if re.fullmatch(r"\d{3}0s", value):
            start = int(value[:4])
            condition |= Q(date_min__year__gte=start, date_min__year__lte=start + 9)
        elif re.fullmatch(r"\d{4}", value) and int(value) >= 1:
            condition |= Q(date_min__year=int(value))
    return condition if condition else Q(pk__in=[])


class LetterFilter(django_filters.FilterSet):
    """The one set of filters of ``/letters/`` and ``GET /api/letters/``.

    Facets (repeat a parameter for several values: OR within a facet, AND across facets):
    ``volume``, ``administration``, ``year`` (``1978`` or a decade ``1970s``), ``doc_type``,
    ``sender``, ``recipient``, ``person`` (any role; person slugs), ``repository``,
    ``classification`` (the base marking). Also ``date_from``/``date_to`` (a year, a year-month or a
    full date), ``q`` with ``scope`` (all, body, footnotes) and ``sort`` (relevance, date, -date,
    volume). ``year_from``/``year_to`` are older names kept working. Invalid values are ignored.
    """

    q = QueryFilter(method="filter_q", label="Search")
    scope = django_filters.ChoiceFilter(
        choices=[(s, s) for s in search.SCOPES], method="filter_nothing", empty_label=None, label="Search in"
    )
    sort = django_filters.ChoiceFilter(
        choices=[(s, s) for s in ("relevance", "date", "-date", "volume")],
        method="filter_nothing",
        empty_label=None,
        label="Sort",
    )
    volume = MultiFilter(method="filter_volume", label="Volume")
    administration = MultiFilter(method="filter_administration", label="Administration")
    year = MultiFilter(method="filter_year", label="Year")
    doc_type = MultiFilter(method="filter_doc_type", label="Document type")
    sender = MultiFilter(method="filter_sender", label="Sender")
    recipient = MultiFilter(method="filter_recipient", label="Recipient")
    person = MultiFilter(method="filter_person", label="Person")
    repository = MultiFilter(method="filter_repository", label="Repository")
    classification = MultiFilter(method="filter_classification", label="Classification")
    date_from = django_filters.CharFilter(method="filter_date_from", label="From", max_length=10)
    date_to = django_filters.CharFilter(method="filter_date_to", label="To", max_length=10)
    year_from = django_filters.NumberFilter(
        field_name="date_min__year", lookup_expr="gte", min_value=1, max_value=9999, decimal_places=0
    )
    year_to = django_filters.NumberFilter(
        field_name="date_min__year", lookup_expr="lte", min_value=1, max_value=9999, decimal_places=0
    )

    class Meta:
        model = Letter
        fields: list[str] = []

    # -- applying --------------------------------------------------------------------------------
    def filter_queryset(self, queryset, exclude: tuple[str, ...] = ()):
        for name, value in self.form.cleaned_data.items():
            if name in exclude:
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def cleaned(self) -> dict:
        if not self.is_bound:
            return {}
        self.errors  # noqa: B018 - validates the form
        return self.form.cleaned_data

    def queryset_without(self, *names: str) -> QuerySet:
        """The filtered letters with some filters left out (a facet's own, for its counts)."""
        queryset = self.queryset.all()
        if self.is_bound:
            self.errors  # noqa: B018
            queryset = self.filter_queryset(queryset, exclude=names)
        return queryset

    def by_relevance(self) -> bool:
        """Sorted by relevance: a query, and the relevance sort chosen or no sort chosen."""
        data = self.cleaned()
        sort = data.get("sort") or ""
        return bool(search.parse(data.get("q") or "")) and sort in ("", "relevance")

    def sorted_qs(self) -> QuerySet:
        queryset = self.qs
        data = self.cleaned()
        sort = data.get("sort") or ""
        if self.by_relevance():
            return queryset.order_by(*search.relevance_order(queryset), *DATE_ORDER)
        if sort == "relevance":  # relevance without a query: by date
            return queryset.order_by(*DATE_ORDER)
        return queryset.order_by(*SORTS.get(sort, DATE_ORDER))

    # -- the filters ----------------------------------------------------------------------------
    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_q(self, queryset, name, value):
        return search.search(queryset, value, self.form.cleaned_data.get("scope") or "all")

    def filter_volume(self, queryset, name, value):
        return queryset.filter(volume__identifier__in=value)

    def filter_administration(self, queryset, name, value):
        return queryset.filter(administration__in=value)

    def filter_year(self, queryset, name, value):
        return queryset.filter(_years(value))

    def filter_doc_type(self, queryset, name, value):
        return queryset.filter(doc_type__in=value)

    def _people(self, queryset, value, role=""):
        links = LetterPerson.objects.filter(letter=OuterRef("pk"), person__slug__in=value)
        if role:
            links = links.filter(role=role)
        return queryset.filter(Exists(links))

    def filter_sender(self, queryset, name, value):
        return self._people(queryset, value, LetterPerson.Role.SENDER)

    def filter_recipient(self, queryset, name, value):
        return self._people(queryset, value, LetterPerson.Role.RECIPIENT)

    def filter_person(self, queryset, name, value):
        return self._people(queryset, value)

    def filter_repository(self, queryset, name, value):
        if connection.vendor == "postgresql":
            # The stored facet keys (GIN): the join through citations and sources was planned
            # for 855 sources of a repository that has 84,660 (1.1 s a page at 300k letters).
            sql, params = _selection_keys("repository", value)
            return queryset.filter(
                RawSQL(f'"catalog_letter"."facet_keys" && {sql}', params, output_field=BooleanField())  # noqa: S611
            )
        condition = Q()
        for repository in value:
            condition |= Q(source__repository__iexact=repository)
        return queryset.filter(Exists(SourceCitation.objects.filter(condition, letter=OuterRef("pk"))))

    def filter_classification(self, queryset, name, value):
        return queryset.alias(classification_base=classification_base()).filter(classification_base__in=value)

    def filter_date_from(self, queryset, name, value):
        start = parse_partial_date(value)
        return queryset.filter(date_min__gte=start) if start else queryset

    def filter_date_to(self, queryset, name, value):
        end = parse_partial_date(value, end=True)
        return queryset.filter(date_min__lt=end) if end else queryset


FACETS = (
    "volume",
    "administration",
    "year",
    "doc_type",
    "sender",
    "recipient",
    "person",
    "repository",
    "classification",
)
FACET_LABELS = {
    "volume": "Volume",
    "administration": "Administration",
    "year": "Year",
    "doc_type": "Document type",
    "sender": "Sender",
    "recipient": "Recipient",
    "person": "Person",
    "repository": "Repository",
    "classification": "Classification",
}
FACET_LIMIT = 100  # values per facet (the most frequent); the rest through the type-ahead's search


def _volume_label(row: dict) -> str:
    volume = SimpleNamespace(
        identifier=row["value"],
        title=row["v_title"] or "",
        series=row["v_series"] or "",
        subseries=row["v_subseries"] or "",
        volume_number=row["v_number"] or "",
    )
    return volume_heading(volume)


def facet_values(name: str, letters: QuerySet, limit: int = FACET_LIMIT) -> list[dict]:
    """``[{"value", "label", "count"}]`` of one facet over ``letters`` (one query)."""
    plain = letters.order_by()
    ids = plain.values("pk")
    if name == "volume":
        rows = list(
            plain.values(
                value=F("volume__identifier"),
                v_title=F("volume__title"),
                v_series=F("volume__series"),
                v_subseries=F("volume__subseries"),
                v_number=F("volume__volume_number"),
            )
            .annotate(count=Count("pk"))
            .order_by("value")
        )
        return [{"value": r["value"], "label": _volume_label(r), "count": r["count"]} for r in rows]
    if name == "administration":
        rows = plain.exclude(administration="").values(value=F("administration")).annotate(count=Count("pk"))
        rows = sorted(rows, key=lambda r: administrations.order(r["value"]))
        return [{"value": r["value"], "label": administrations.label(r["value"]), "count": r["count"]} for r in rows]
    if name == "year":
        rows = (
            plain.filter(date_min__isnull=False)
            .annotate(value=ExtractYear("date_min"))
            .values("value")
            .annotate(count=Count("pk"))
            .order_by("value")
        )
        return [{"value": str(r["value"]), "label": str(r["value"]), "count": r["count"]} for r in rows]
    if name == "doc_type":
        rows = plain.exclude(doc_type="").values(value=F("doc_type")).annotate(count=Count("pk")).order_by("value")
        return [
            {"value": r["value"], "label": DOC_TYPE_LABELS.get(r["value"], r["value"]), "count": r["count"]}
            for r in rows
        ]
    if name in ("sender", "recipient", "person"):
        links = LetterPerson.objects.filter(letter__in=ids)
        if name != "person":
            links = links.filter(role=name)
        rows = (
            links.values(value=F("person__slug"), label=F("person__display_name"))
            .annotate(count=Count("letter", distinct=True))
            .order_by("-count", "person__sort_name", "value")[:limit]
        )
        return [{"value": r["value"], "label": r["label"], "count": r["count"]} for r in rows]
    if name == "repository":
        rows = (
            SourceCitation.objects.filter(letter__in=ids)
            .values(value=F("source__repository"))
            .annotate(count=Count("letter", distinct=True))
            .order_by("-count", "value")[:limit]
        )
        return [{"value": r["value"], "label": r["value"], "count": r["count"]} for r in rows]
    if name == "classification":
        counts = dict(
            plain.annotate(value=classification_base()).exclude(value="").values_list("value").annotate(n=Count("pk"))
        )
        return [{"value": v, "label": label, "count": counts[v]} for v, label in CLASSIFICATIONS if v in counts]
    raise ValueError(name)


def facets(letter_filter: LetterFilter) -> dict[str, list[dict]]:
    """Every facet's values with counts, each computed with the *other* facets' filters applied
    (multi-select faceting): a value's count is the number of results choosing it alone gives."""
    if connection.vendor == "postgresql":
        return stored_facets(letter_filter)[0]
    return {name: facet_values(name, letter_filter.queryset_without(name)) for name in FACETS}


# -- facets in one pass over the stored facet keys (PostgreSQL) ------------------------------------

FACET_KEY_PREFIX = {
    "volume": "vol",
    "administration": "adm",
    "year": "year",
    "doc_type": "type",
    "sender": "sender",
    "recipient": "recipient",
    "person": "person",
    "repository": "repo",
    "classification": "class",
}


def _year_keys(values: list[str]) -> list[str]:
    """The ``year:`` keys a year facet selection matches (as ``_years`` filters them)."""
    keys = []
    for value in values:
        if re.fullmatch(r"\d{3}0s", value):
            keys += [f"year:{year}" for year in range(int(value[:4]), int(value[:4]) + 10)]
        elif re.fullmatch(r"\d{4}", value) and int(value) >= 1:
            keys.append(f"year:{int(value)}")
    return keys


def _selection_keys(name: str, values: list[str]) -> tuple[str, list]:
    """An SQL array of the facet keys that a selection of ``name`` matches, with its parameters."""
    prefix = FACET_KEY_PREFIX[name]
    if name == "volume":
        return "ARRAY(SELECT 'vol:' || v.id FROM catalog_volume v WHERE v.identifier = ANY(%s))", [values]
    if name in ("sender", "recipient", "person"):
        sql = f"ARRAY(SELECT '{prefix}:' || p.id FROM catalog_person p WHERE p.slug = ANY(%s))"  # noqa: S608 - fixed prefix
        return sql, [values]
    if name == "repository":
        # The repositories' keys as written, matched case-insensitively among the kept counts'
        # (every repository of a published letter; a few dozen keys) rather than among every
        # archival source (84k rows scanned for each use, ~90 ms, at 300k letters).
        sql = (
            "ARRAY(SELECT c.key FROM catalog_facetcount c WHERE c.n > 0 AND c.key LIKE 'repo:%%'"
            " AND UPPER(substr(c.key, 6)) IN (SELECT UPPER(x) FROM unnest(%s::text[]) x))"
        )
        return sql, [values]
    if name == "year":
        return "%s::text[]", [_year_keys(values)]
    return "%s::text[]", [[f"{prefix}:{value}" for value in values]]


# Filters that only shape the page, never narrow the letters.
NOT_NARROWING = {"scope", "sort"}


def _filters_beyond_facets(data: dict) -> bool:
    """Whether anything but the facets narrows the letters: a query, a date bound, or any filter
    added later (read from ``LetterFilter.base_filters``, so a new one never gets the whole
    catalog's kept counts by mistake)."""
    for name in set(LetterFilter.base_filters) - set(FACETS) - NOT_NARROWING:
        value = data.get(name)
        if name == "q":
            narrows = bool(search.parse(value or ""))
        elif name in ("date_from", "date_to"):
            narrows = bool(parse_partial_date(value or "", end=name == "date_to"))
        else:
            narrows = value not in (None, "", [])
        if narrows:
            return True
    return False


PERSON_PREFIXES = ("sender", "recipient", "person")
# The counted keys a page needs: every key of the small facets, and of each person facet the keys
# counted at least as often as its FACET_LIMIT-th (ties included: ``_facet_rows`` breaks them by
# name). ``rank()`` over the counts; the person facets have tens of thousands of keys.
TOP_KEYS_SQL = """
    SELECT k, n FROM (
        SELECT k, n, CASE WHEN split_part(k, ':', 1) IN ('sender', 'recipient', 'person')
                          THEN rank() OVER (PARTITION BY split_part(k, ':', 1) ORDER BY n DESC) ELSE 0 END AS r
        FROM ({counts}) AS counted (k, n)
        WHERE n > 0
    ) AS ranked
    WHERE r <= {limit}
"""


def _read_counts(cursor, sql: str, params) -> tuple[dict[str, dict[str, int]], int]:
    counts: dict[str, dict[str, int]] = {prefix: {} for prefix in FACET_KEY_PREFIX.values()}
    total = 0
    cursor.execute(TOP_KEYS_SQL.format(counts=sql, limit=int(FACET_LIMIT)), params)  # noqa: S608
    for key, count in cursor.fetchall():
        if key == "#":
            total = count
            continue
        prefix, _, value = key.partition(":")
        if prefix in counts:
            counts[prefix][value] = count
    return counts, total


def stored_facets(letter_filter: LetterFilter) -> tuple[dict[str, list[dict]], int]:
    """Every facet's counts and the number of results, in one pass over the matching letters'
    ``facet_keys`` (catalog/search.py), plus one query for volume labels and one for people's.

    Each letter carries whether it passes each selected facet's filter; a letter passing all of
    them counts for every facet and for the total, one failing exactly one facet's filter counts
    for that facet's values only (its own selection is left out of its counts), others for none.

    When only facets narrow the catalog, the counts over every published letter come from
    ``catalog_facetcount`` (migration 0011, kept exact by triggers): ``/letters/`` reads them
    alone, and with one facet selected that facet's own counts are read there while the pass
    covers the selected letters only. With two or more facets the pass covers only the letters
    failing at most one of them (an OR of ANDs of ``facet_keys && …``, which the GIN index
    answers)."""
    data = letter_filter.cleaned()
    active = [(name, data[name]) for name in FACETS if data.get(name)]
    db = letter_filter.queryset.db  # the database the router reads from (a replica)
    plain = not _filters_beyond_facets(data)
    with connections[db].cursor() as cursor:
        if plain and not active:
            counts, total = _read_counts(cursor, "SELECT key, n FROM catalog_facetcount", [])
            return _facet_rows(counts), total
        selections = [_selection_keys(name, values) for name, values in active]
        # The public search table first (catalog.facets): one narrow row per published letter.
        counted = facet_counts.counts(
            letter_filter,
            data,
            active,
            selections,
            FACET_KEY_PREFIX[active[0][0]] if plain and len(active) == 1 else "",
            FACET_LIMIT,
        )
        if counted is not None:
            return _facet_rows(counted[0]), counted[1]
        base = letter_filter.queryset_without(*FACETS).order_by()
        matches = [
            RawSQL(f'"catalog_letter"."facet_keys" && {sql}', params, output_field=BooleanField())  # noqa: S611
            for sql, params in selections
        ]
        kept_prefix = ""
        if plain and len(active) == 1:
            # The selected facet's own counts are over every published letter: the kept counts
            # (joined to the pass below); the pass covers the selected letters only.
            kept_prefix = FACET_KEY_PREFIX[active[0][0]]
            base = base.filter(matches[0])
            active, matches = [], []
        elif len(active) >= 2:
            # Letters failing two or more selections count for nothing: leave them out of the pass.
            sql_parts, part_params = [], []
            for skip in range(len(active)):
                terms = [i for i in range(len(active)) if i != skip]
                sql_parts.append(
                    "(" + " AND ".join(f'"catalog_letter"."facet_keys" && {selections[i][0]}' for i in terms) + ")"
                )
                for i in terms:
                    part_params += selections[i][1]
            base = base.filter(RawSQL(" OR ".join(sql_parts), part_params, output_field=BooleanField()))  # noqa: S611
        columns = {"fk": RawSQL('"catalog_letter"."facet_keys"', [], output_field=CharField())}
        for i, match in enumerate(matches):
            columns[f"m{i}"] = match
        inner, inner_params = base.annotate(**columns).values_list(*columns).query.sql_with_params()
        flags = [f"m{i}" for i in range(len(active))]
        fails = " + ".join(f"(NOT coalesce({m}, false))::int" for m in flags) or "0"
        # A letter failing one selection counts for that facet's keys only.
        own_keys = "ARRAY(SELECT x FROM unnest(fk) x WHERE x LIKE '{}:%%')"
        own = " ".join(
            f"WHEN NOT coalesce({m}, false) THEN " + own_keys.format(FACET_KEY_PREFIX[name])
            for m, (name, _) in zip(flags, active, strict=True)
        )
        # The number of results: every letter's keys hold exactly one ``vol:`` key, so the letters
        # passing every filter are counted by the volume keys (of the selected volumes when that
        # facet is selected: the others' come from letters failing it); a letter not indexed yet
        # (no keys) counts as "#". No "#" appended to every letter's keys: that array copy cost
        # 40% of the pass (1.4 s against 1.0 s for 2.3 M keys, measured).
        passed = "CASE WHEN cardinality(fk) > 0 THEN fk ELSE '{#}'::text[] END"
        keys = f"CASE WHEN fails = 0 THEN {passed} {own} END" if active else passed
        # No CTE (it would keep PostgreSQL from scanning in parallel).
        sql = f"""
            SELECT k, count(*)
            FROM (
                SELECT unnest({keys}) AS k
                FROM (
                    SELECT {", ".join(["fk", *flags])}, {fails} AS fails
                    FROM ({inner}) AS matching ({", ".join(["fk", *flags])})
                ) AS r
                WHERE fails <= 1
            ) AS keyed
            GROUP BY k
        """  # noqa: S608
        if kept_prefix:
            sql = f"""
                SELECT k, n FROM ({sql}) AS passed (k, n) WHERE k NOT LIKE %s
                UNION ALL
                SELECT key, n FROM catalog_facetcount WHERE key LIKE %s
            """  # noqa: S608
            inner_params = (*inner_params, kept_prefix + ":%", kept_prefix + ":%")
        counts, unindexed = _read_counts(cursor, sql, inner_params)
    rows = _facet_rows(counts)
    selected = set(data.get("volume") or [])
    return rows, unindexed + sum(r["count"] for r in rows["volume"] if not selected or r["value"] in selected)


def _facet_rows(counts: dict[str, dict[str, int]], limit: int = FACET_LIMIT) -> dict[str, list[dict]]:
    """The facet rows (the same values, labels and order as ``facet_values``) from counted keys."""
    rows: dict[str, list[dict]] = {}
    volumes = Volume.objects.filter(pk__in=[int(v) for v in counts["vol"]]).values(
        "id", "identifier", "title", "series", "subseries", "volume_number"
    )
    volume_rows = []
    for v in volumes:
        row = {
            "value": v["identifier"],
            "v_title": v["title"],
            "v_series": v["series"],
            "v_subseries": v["subseries"],
            "v_number": v["volume_number"],
        }
        volume_rows.append(
            {"value": v["identifier"], "label": _volume_label(row), "count": counts["vol"][str(v["id"])]}
        )
    rows["volume"] = sorted(volume_rows, key=lambda r: r["value"])
    rows["administration"] = [
        {"value": slug, "label": administrations.label(slug), "count": n}
        for slug, n in sorted(counts["adm"].items(), key=lambda item: administrations.order(item[0]))
    ]
    rows["year"] = [
        {"value": year, "label": year, "count": n}
        for year, n in sorted(counts["year"].items(), key=lambda i: int(i[0]))
    ]
    rows["doc_type"] = [
        {"value": t, "label": DOC_TYPE_LABELS.get(t, t), "count": n} for t, n in sorted(counts["type"].items())
    ]
    # People: the top ``limit`` by count, ties by sort name — labels for the candidates only.
    wanted: set[int] = set()
    for prefix in ("sender", "recipient", "person"):
        ranked = sorted(counts[prefix].values(), reverse=True)
        if ranked:
            floor = ranked[min(limit, len(ranked)) - 1]
            wanted |= {int(pk) for pk, n in counts[prefix].items() if n >= floor}
    people = {
        p["id"]: p
        for p in Person.objects.filter(pk__in=sorted(wanted)).values("id", "slug", "display_name", "sort_name")
    }
    for prefix in ("sender", "recipient", "person"):
        found = [(n, people[int(pk)]) for pk, n in counts[prefix].items() if int(pk) in people]
        found.sort(key=lambda item: (-item[0], item[1]["sort_name"], item[1]["slug"]))
        rows[prefix] = [{"value": p["slug"], "label": p["display_name"], "count": n} for n, p in found[:limit]]
    rows["repository"] = [
        {"value": repo, "label": repo, "count": n}
        for repo, n in sorted(counts["repo"].items(), key=lambda item: (-item[1], item[0]))[:limit]
    ]
    rows["classification"] = [
        {"value": v, "label": label, "count": counts["class"][v]}
        for v, label in CLASSIFICATIONS
        if v in counts["class"]
    ]
    return rows


@dataclass
class Chip:
    name: str
    value: str
    label: str


def active_chips(letter_filter: LetterFilter, facet_rows: dict[str, list[dict]]) -> list[Chip]:
    """The active filters as removable chips, labelled (person names, administrations …)."""
    data = letter_filter.cleaned()
    chips = []
    for name in FACETS:
        labels = {row["value"]: row["label"] for row in facet_rows.get(name, [])}
        for value in data.get(name) or []:
            label = labels.get(value) or {
                "administration": administrations.label(value),
                "classification": CLASSIFICATION_LABELS.get(value, value),
                "doc_type": DOC_TYPE_LABELS.get(value, value),
            }.get(name, value)
            chips.append(Chip(name, value, label))
    for name in ("date_from", "date_to", "year_from", "year_to"):
        if data.get(name) not in (None, ""):
            value = data[name]
            value = str(int(value)) if isinstance(value, (int, float)) or hasattr(value, "to_integral") else value
            chips.append(Chip(name, value, value))
    if search.parse(data.get("q") or ""):
        chips.append(Chip("q", data["q"], f"“{data['q']}”"))
    return chips


def suggestions(letter_filter: LetterFilter, chips: list[Chip]) -> list[tuple[Chip, int]]:
    """When nothing matches: for each active filter, how many results there are without it (one
    query per active filter, at most a few)."""
    found = []
    for name in dict.fromkeys(chip.name for chip in chips):
        count = letter_filter.queryset_without(name).count()
        if count:
            for chip in chips:
                if chip.name == name:
                    found.append((chip, count))
    return found


# -- volumes and administrations -----------------------------------------------------------------


@dataclass
class ChapterGroup:
    chapter: Chapter | None
    letters: list[Letter] = field(default_factory=list)


def public_volume(identifier: str) -> Volume:
    """A volume with something published; Http404 otherwise (its front matter stays private)."""
    volume = public_volumes().filter(identifier=identifier).first()
    if volume is None:
        raise Http404("No such volume")
    return volume


VOLUME_LETTERS_PER_PAGE = 100


@dataclass
class VolumePage:
    volume: Volume
    groups: list[ChapterGroup]
    page: Page  # of published letters, by number; ``page.paginator.count`` is the exact total


def volume_page(identifier: str, page_number=1) -> VolumePage:
    """A volume and one page of its published letters in order (list fields only: never the body),
    grouped by chapter when it has chapters. Four queries: volume, chapters, count, the page."""
    volume = public_volume(identifier)
    chapters = list(volume.chapters.all())
    letters = (
        public_letters()
        .filter(volume=volume)
        .only(*[f for f in LIST_FIELDS if not f.startswith("volume__")])
        .order_by("number")
    )
    page = Paginator(letters, VOLUME_LETTERS_PER_PAGE).get_page(page_number)
    rows = list(page.object_list)
    for letter in rows:
        letter.volume = volume  # the same object: no query per letter for its citation
    if not chapters:
        return VolumePage(volume, [ChapterGroup(None, rows)] if rows else [], page)
    groups: OrderedDict[int | None, ChapterGroup] = OrderedDict((c.pk, ChapterGroup(c)) for c in chapters)
    loose = ChapterGroup(None)
    for letter in rows:
        groups.get(letter.chapter_id, loose).letters.append(letter)
    result = [g for g in groups.values() if g.letters]
    if loose.letters:
        result.append(loose)
    return VolumePage(volume, result, page)


def sources_consulted(volume: Volume) -> list[tuple[str, list[str]]]:
    """The volume's own list of sources: (repository, [collections]) in the order it prints them."""
    grouped: OrderedDict[str, list[str]] = OrderedDict()
    links = Volume.sources_consulted.through.objects.filter(volume=volume).order_by("id")
    rows = links.values_list("archivalsource__repository", "archivalsource__collection")
    for repository, collection in rows:
        grouped.setdefault(repository, []).append(collection)
    return list(grouped.items())


def volume_index() -> list[Volume]:
    """Every volume with something published, with its count of published letters (one query)."""
    return list(
        Volume.objects.annotate(published=Count("letters", filter=Q(letters__status=Letter.Status.PUBLISHED)))
        .filter(published__gt=0)
        .only("id", "identifier", "title", "series", "subseries", "volume_number", "year_published")
        .order_by("identifier")
    )


def printed_page(identifier: str, page: int) -> tuple[Volume, list[Letter]]:
    """The published documents of a volume printed on page ``page`` (one that starts, runs over or
    ends there)."""
    volume = public_volume(identifier)
    letters = list(
        public_letters()
        .filter(volume=volume, page_start__lte=page)
        .filter(Q(page_end__gte=page) | Q(page_end__isnull=True, page_start=page))
        .only(*[f for f in LIST_FIELDS if not f.startswith("volume__")])
        .prefetch_related(people_prefetch())
        .order_by("number")
    )
    for letter in letters:
        letter.volume = volume
    return volume, letters


def administration_index() -> list[dict]:
    """Every administration with its count of published letters, in order (one query)."""
    counts = dict(
        public_letters().exclude(administration="").values_list("administration").annotate(n=Count("pk")).order_by()
    )
    return [
        {"slug": a.slug, "label": a.label, "start": a.start, "count": counts.get(a.slug, 0)}
        for a in administrations.ADMINISTRATIONS
    ]


# -- people --------------------------------------------------------------------------------------


def _private_identifiers() -> QuerySet:
    """People's ids in volumes with nothing published."""
    return PersonIdentifier.objects.exclude(Exists(public_letters().filter(volume=OuterRef("volume"))))


def _description_public(person_ids) -> set[int]:
    """Of these people, those whose every volume (by its persons-list ids) has something published:
    only their descriptions and titles may be shown (they came from some volume's persons list)."""
    hidden = set(_private_identifiers().filter(person_id__in=person_ids).values_list("person_id", flat=True))
    return {pk for pk in person_ids if pk not in hidden}


PEOPLE_INDEX_LIMIT = 500


def people_index(query: str = "", limit: int = PEOPLE_INDEX_LIMIT) -> list[dict]:
    """People named in published letters, with the count of those letters, by name; ``query``
    narrows by name (the type-ahead). Two queries."""
    query = search.normalise(query)[:100]
    rows = (
        LetterPerson.objects.filter(letter__status=Letter.Status.PUBLISHED)
        .values("person_id", "person__slug", "person__display_name", "person__sort_name", "person__description")
        .annotate(count=Count("letter", distinct=True))
        .order_by("person__sort_name", "person_id")
    )
    if query:
        rows = rows.filter(Q(person__display_name__icontains=query) | Q(person__sort_name__icontains=query))
    rows = list(rows[:limit])
    shown = _description_public([r["person_id"] for r in rows])
    return [
        {
            "slug": r["person__slug"],
            "name": r["person__display_name"],
            "description": r["person__description"] if r["person_id"] in shown else "",
            "count": r["count"],
        }
        for r in rows
    ]


@dataclass
class PersonPage:
    person: Person
    show_description: bool
    groups: dict[str, list[PersonLetter]]  # each with its letter (list fields) and name_as_written
    counts: dict[str, int]
    per_year: list[tuple[int, int]]
    correspondents: list[dict]
    total: int


PERSON_LETTERS_PER_PAGE = 50


def person_page(slug: str, page: dict[str, int] | None = None) -> PersonPage:
    """A public person: letters sent, received, mentioned (counts, and one page of each), letters
    per year and top correspondents. Http404 for a person no published letter names.

    Everything is read from the side table ``PersonLetter`` (published letters only; see
    ``catalog.person_letters``) and the counts kept with it (``PersonCount``, ``Correspondence``):
    each role's page from the side table's (person, role, date) index with its letters joined, the
    counts by role and year and the correspondents read as stored — never a pass over the person's
    letters. Seven queries whatever the person's size."""
    mine = PersonLetter.objects.filter(person=OuterRef("pk"))
    person = Person.objects.filter(slug=slug).filter(Exists(mine)).first()
    if person is None:
        raise Http404("No such person")
    page = page or {}
    rows = PersonLetter.objects.filter(person=person)
    # The counts by role and by year, and the total, as kept by catalog.person_letters: a few rows.
    stored = dict(PersonCount.objects.filter(person=person).values_list("key", "n"))
    counts = {role: stored.get(role, 0) for role in ROLES}
    years = sorted((int(key[2:]), n) for key, n in stored.items() if key.startswith("y:") and key != "y:")
    order = (F("date_min").asc(nulls_last=True), "volume_identifier", "number")
    listed = rows.select_related("letter__volume").only(
        "id", "role", "name_as_written", "letter_id", *[f"letter__{f}" for f in LIST_FIELDS if f != "id"]
    )
    groups: dict[str, list[PersonLetter]] = {}
    for role in ROLES:
        number = max(1, min(page.get(role, 1), -(-counts[role] // PERSON_LETTERS_PER_PAGE)))
        start = (number - 1) * PERSON_LETTERS_PER_PAGE
        # The page's letter ids first (its OFFSET skipped inside the index), then those rows in full.
        ids = rows.filter(role=role).order_by(*order).values("letter_id")[start : start + PERSON_LETTERS_PER_PAGE]
        groups[role] = list(listed.filter(role=role, letter_id__in=ids).order_by(*order))
    per_year = years
    total = sum(n for key, n in stored.items() if key.startswith("y:"))  # undated letters too
    correspondents = _correspondents(person.pk)
    return PersonPage(
        person=person,
        show_description=bool(_description_public([person.pk])),
        groups=groups,
        counts=counts,
        per_year=per_year,
        correspondents=correspondents,
        total=total,
    )


def _correspondents(person_id: int) -> list[dict]:
    """The ten people most often on the other side of a person's published letters (as sender or
    recipient), read from the stored counts (``Correspondence``, kept by ``catalog.person_letters``)."""
    return list(
        Correspondence.objects.filter(person_id=person_id)
        .values(slug=F("other__slug"), name=F("other__display_name"), count=F("letters"))
        .order_by("-letters", "other__display_name")[:10]
    )


def letters_per_year_chart(per_year: list[tuple[int, int]], width: int = 600, height: int = 140) -> dict:
    """Bars for a server-rendered SVG chart: every year from the first to the last (empty years
    too), scaled to the busiest year."""
    if not per_year:
        return {}
    counts = dict(per_year)
    first, last = per_year[0][0], per_year[-1][0]
    years = list(range(first, last + 1))
    peak = max(counts.values())
    slot = width / max(len(years), 12)  # a few years keep narrow bars
    plot = height - 20
    bars = []
    for i, year in enumerate(years):
        n = counts.get(year, 0)
        h = round(plot * n / peak, 1) if peak else 0
        bars.append(
            {
                "year": year,
                "count": n,
                "x": round(i * slot + slot * 0.1, 1),
                "y": round(plot - h, 1),
                "width": round(slot * 0.8, 1),
                "height": h,
                "label_x": round(i * slot + slot / 2, 1),
            }
        )
    step = max(1, len(years) // 10)
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "peak": peak,
        "label_every": step,
        "first": first,
        "last": last,
        "label_y": height - 4,
    }


# -- archival sources ----------------------------------------------------------------------------


def repositories() -> list[dict]:
    """Repositories cited by published letters, with counts of collections and letters (one query)."""
    return list(
        SourceCitation.objects.filter(letter__status=Letter.Status.PUBLISHED)
        .values(repository=F("source__repository"))
        .annotate(letters=Count("letter", distinct=True), collections=Count("source__collection", distinct=True))
        .order_by("repository")
    )


def repository_page(repository: str) -> list[dict]:
    """A repository's collections (and boxes) with their published letters' counts; Http404 when no
    published letter cites it."""
    rows = list(
        SourceCitation.objects.filter(letter__status=Letter.Status.PUBLISHED, source__repository=repository)
        .values(collection=F("source__collection"))
        .annotate(letters=Count("letter", distinct=True))
        .order_by("collection")
    )
    if not rows:
        raise Http404("No such repository")
    return rows


def collection_letters(repository: str, collection: str, limit: int = 500) -> list[tuple[str, str, list[Letter]]]:
    """The published letters citing a collection, grouped by box and folder (two queries)."""
    citations = (
        SourceCitation.objects.filter(
            letter__status=Letter.Status.PUBLISHED, source__repository=repository, source__collection=collection
        )
        .values_list("letter_id", "source__box", "source__folder")
        .order_by("source__box", "source__folder", "letter_id")[: limit * 2]
    )
    citations = list(citations)
    if not citations:
        raise Http404("No such collection")
    letters = {
        letter.pk: letter for letter in list_letters(public_letters().filter(pk__in={c[0] for c in citations}))[:limit]
    }
    grouped: OrderedDict[tuple[str, str], list[Letter]] = OrderedDict()
    for letter_id, box, folder in citations:
        letter = letters.get(letter_id)
        if letter is not None and letter not in grouped.setdefault((box, folder), []):
            grouped[(box, folder)].append(letter)
    return [(box, folder, sorted(items, key=_date_key)) for (box, folder), items in grouped.items()]


def _date_key(letter: Letter):
    return (letter.date_min is None, letter.date_min or timezone.now(), letter.volume.identifier, letter.number)


NEIGHBOUR_FIELDS = ("volume_id", "number", "title", "date_min", "date_max", "date_precision", "volume__identifier")


def archival_neighbours(letter: Letter, sources: list[ArchivalSource] | None = None, limit: int = 10) -> list[dict]:
    """Published letters from the same box (or, without a box, the same collection) as this letter's
    sources, dated from this letter's date on (all of them for an undated letter), by date:
    ``[{"source", "scope", "letters"}]`` (one query when the sources are given)."""
    if sources is None:
        sources = list(ArchivalSource.objects.filter(citations__letter=letter).distinct())
    if not sources:
        return []
    condition = Q()
    for source in sources:
        if source.box:
            condition |= Q(
                source__repository=source.repository, source__collection=source.collection, source__box=source.box
            )
        elif source.collection:
            condition |= Q(source__repository=source.repository, source__collection=source.collection)
    if not condition:
        return []
    citations = SourceCitation.objects.filter(condition, letter__status=Letter.Status.PUBLISHED)
    if letter.date_min is not None:
        # The letters that follow this one on the shelf (by date): the walk starts at its date, so a
        # collection cited by most of the catalog ("RG 59, Central Decimal File") is not read from
        # its first letter on (300 ms a letter page at 100k letters).
        citations = citations.filter(letter__date_min__gte=letter.date_min)
    rows = list(
        citations.exclude(letter=letter)
        .select_related("letter__volume", "source")
        .only(
            "id",
            "source__repository",
            "source__collection",
            "source__box",
            # what a neighbour's line shows (title, reference, date): fewer columns to compile and load
            *[f"letter__{f}" for f in NEIGHBOUR_FIELDS],
            "letter_id",
        )
        .order_by(F("letter__date_min").asc(nulls_last=True), "letter__volume__identifier", "letter__number")[
            : min(
                200, 2 * limit * len(sources)
            )  # enough for each source's ten (a letter may cite two): no more to build
        ]
    )
    found: OrderedDict[tuple, dict] = OrderedDict()
    for source in sources:
        key = (source.repository, source.collection, source.box)
        found[key] = {"source": source, "scope": "box" if source.box else "collection", "letters": []}
    for row in rows:
        for key, entry in found.items():
            repo, collection, box = key
            same = row.source.repository == repo and row.source.collection == collection
            wanted = same and (not box or row.source.box == box) and len(entry["letters"]) < limit
            if wanted and row.letter not in entry["letters"]:
                entry["letters"].append(row.letter)
    return [e for e in found.values() if e["letters"]]


# -- one letter ----------------------------------------------------------------------------------


def find_letter(identifier: str, user, *, number: int | None = None, xml_id: str = "", page: bool = False) -> Letter:
    """A visible letter by number, or by its (possibly old) xml id; Http404 otherwise.

    ``page``: with what its page asks of the letter itself, in the same statement (a statement
    less each; most letters have no errata and no annotations): the numbers of the documents
    before and after it in its volume that ``user`` may see (``previous_number``,
    ``next_number``), and whether it has errata and public annotations (``has_errata``,
    ``has_public_annotations``)."""
    letters = (
        Letter.objects.visible_to(user)
        .select_related("volume", "chapter")
        .defer("import_snapshot", "volume__import_snapshot")
        .filter(volume__identifier=identifier)
    )
    if page:
        letters = letters.annotate(**_page_flags(user))
    letter = None
    if number is not None:
        letter = letters.filter(number=number).first()
    elif xml_id:
        letter = letters.filter(xml_id=xml_id).first()
    if letter is None:
        raise Http404("No such document")
    return letter


def _page_flags(user) -> dict:
    """find_letter(page=True)'s columns, as SQL of their own: as ORM subqueries, compiling them cost
    more than the statements they replace (four subqueries, each a query to compile)."""
    table, errata, notes = (f'"{m._meta.db_table}"' for m in (Letter, Erratum, Annotation))
    status, status_params = ("", []) if is_staff(user) else (" AND o.status = %s", [Letter.Status.PUBLISHED])
    around = (  # table names and fixed words only; the status is a parameter
        f"SELECT o.number FROM {table} o WHERE o.volume_id = {table}.volume_id"  # noqa: S608
        f" AND o.number {{}} {table}.number{status} ORDER BY o.number {{}} LIMIT 1"
    )
    return {
        "previous_number": RawSQL(around.format("<", "DESC"), status_params, output_field=IntegerField()),  # noqa: S611
        "next_number": RawSQL(around.format(">", "ASC"), status_params, output_field=IntegerField()),  # noqa: S611
        "has_errata": RawSQL(  # noqa: S611
            f"EXISTS (SELECT 1 FROM {errata} e WHERE e.letter_id = {table}.id)",  # noqa: S608
            [],
            output_field=BooleanField(),
        ),
        "has_public_annotations": RawSQL(  # noqa: S611
            f"EXISTS (SELECT 1 FROM {notes} a WHERE a.letter_id = {table}.id AND a.visibility = %s)",  # noqa: S608
            [Annotation.Visibility.PUBLIC],
            output_field=BooleanField(),
        ),
    }


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
    described: set[int] = field(default_factory=set)  # people whose description may be shown
    neighbours: list[dict] = field(default_factory=list)


def load_letter_page(letter: Letter, user, *, neighbours: bool = True) -> LetterPage:
    """Everything the letter page (and the API) shows, in a fixed number of queries."""
    footnotes = list(Footnote.objects.filter(letter=letter).order_by("number"))
    links = list(
        LetterPerson.objects.filter(letter=letter).select_related("person").order_by("role", "person__sort_name", "id")
    )
    people: dict[str, list[LetterPerson]] = {role: [] for role in ROLES}
    for link in links:
        people.setdefault(link.role, []).append(link)

    # Footnotes are loaded once, above: citations and cross-references get theirs from that list.
    by_id = {f.pk: f for f in footnotes}
    citations = list(SourceCitation.objects.filter(letter=letter).select_related("source"))
    for citation in citations:
        if citation.footnote_id in by_id:
            citation.footnote = by_id[citation.footnote_id]
    sources: OrderedDict[int, SourceEntry] = OrderedDict()
    for citation in sorted(citations, key=lambda c: (c.footnote.number if c.footnote_id else -1, c.pk)):
        entry = sources.get(citation.source_id)
        if entry is None:
            entry = sources[citation.source_id] = SourceEntry(citation.source, citation.raw or citation.source.raw)
        entry.is_source_note = entry.is_source_note or citation.is_source_note
        if citation.footnote_id and citation.footnote.number and citation.footnote.number not in entry.footnotes:
            entry.footnotes.append(citation.footnote.number)  # an unnumbered source note is no "footnote 0"

    rows = list(
        CrossReference.objects.filter(letter=letter)
        .select_related("target__volume")
        # A target letter is a link: never its body, text or import snapshot.
        .defer(*(f"target__{name}" for name in LETTER_HEAVY_FIELDS), "target__volume__import_snapshot")
        .order_by("footnote__number", "id")
    )
    for row in rows:
        if row.footnote_id in by_id:
            row.footnote = by_id[row.footnote_id]
    referenced_volumes = {r.target_volume for r in rows if r.target_number is None}
    nodes = [*(letter.body or []), *(n for f in footnotes for n in (f.content or []))]
    body_refs = stored_ref_targets(nodes)
    # The body's people, terms and documents, and every volume referred to: one statement.
    context = build_render_context(letter, nodes, user, body_refs, also_volumes=referenced_volumes)
    known_volumes = context.known_volumes
    references: OrderedDict[tuple, ReferenceEntry] = OrderedDict()
    for row in rows:
        key = (row.target_volume, row.target_number, row.target_footnote)
        entry = references.get(key)
        if entry is None:
            # The target was read with the row: whether the requester may open it needs no query.
            target = row.target if row.target_id is not None and _visible(row.target, user) else None
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
    # A query of its own for these few people: as a correlated EXISTS in the query above, PostgreSQL
    # hashed every person's identifiers once per page (160 ms at 100k letters).
    # Only a description is shown or not: people without one need no asking.
    with_description = {link.person_id for link in links if link.person.description}
    page.described = _description_public(with_description) if with_description else set()
    if not getattr(letter, "has_errata", True):
        _known_empty(letter, "errata")  # read by its notices (catalog.workflow.public_notices)
    if neighbours:
        page.neighbours = archival_neighbours(letter, [entry.source for entry in page.sources])
        if hasattr(letter, "previous_number"):  # find_letter(page=True) read them with the letter
            page.previous = SimpleNamespace(number=letter.previous_number) if letter.previous_number else None
            page.next = SimpleNamespace(number=letter.next_number) if letter.next_number else None
        else:
            # The documents before and after in the volume, in one query (two index probes).
            around = Letter.objects.visible_to(user).filter(volume_id=letter.volume_id)
            before = around.filter(number__lt=letter.number).order_by("-number").values("number")[:1]
            after = around.filter(number__gt=letter.number).order_by("number").values("number")[:1]
            for sibling in around.filter(Q(number=Subquery(before)) | Q(number=Subquery(after))).only(
                "id", "number", "title"
            ):
                if sibling.number < letter.number:
                    page.previous = sibling
                else:
                    page.next = sibling
    return page


def _visible(letter: Letter, user) -> bool:
    """Whether ``user`` may open this letter: ``Letter.objects.visible_to(user)``, for a letter in hand
    (the same rule: ``catalog.models.letters.sees_unpublished``)."""
    return sees_unpublished(user) or letter.status == Letter.Status.PUBLISHED


def _known_empty(instance, relation: str) -> None:
    """Mark a reverse relation known to be empty (as ``prefetch_related`` would): reading it asks
    nothing of the database."""
    empty = getattr(instance, relation).get_queryset()
    empty._result_cache = []
    empty._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = empty


def build_render_context(
    letter: Letter, nodes: list, user, body_refs=None, known_volumes=None, also_volumes=()
) -> RenderContext:
    """The lookups the renderer needs for one letter — people, terms, cross-reference targets and
    volumes — in one statement (a UNION ALL of those the body needs), none when it needs none.
    ``also_volumes``: more volume identifiers to look up (a letter's cross-references); those that
    exist are in the context's ``known_volumes``."""
    volume = letter.volume
    person_ids, term_ids = set(), set()
    for node in iter_nodes(nodes):
        tag = node.get("tag")
        if tag == "person":
            person_ids |= {local_id(node.get(k)) for k in ("ref", "corresp", "key", "target") if node.get(k)}
        elif tag == "term":
            term_ids |= {local_id(node.get(k)) for k in ("ref", "target", "key") if node.get(k)}
    body_refs = body_refs if body_refs is not None else stored_ref_targets(nodes)
    letter_refs = [t for t in body_refs if t.document]
    wanted_volumes = {t.volume for t in body_refs if not t.document} | set(also_volumes)

    def kind(name: str) -> Value:
        return Value(name, output_field=CharField())

    parts = []  # (kind, key, value, more): the same four text columns each
    if person_ids:
        parts.append(
            PersonIdentifier.objects.filter(volume=volume, local_id__in=person_ids)
            .order_by()
            .values_list(kind("person"), "local_id", "person__slug", kind(""))
        )
    if term_ids:
        parts.append(
            Term.objects.filter(volume=volume, xml_id__in=term_ids)
            .order_by()
            .values_list(kind("term"), "xml_id", "expansion", kind(""))
        )
    if letter_refs:
        condition = Q()
        for target in letter_refs:
            if target.number is not None:
                condition |= Q(volume__identifier=target.volume, number=target.number)
            else:
                condition |= Q(volume__identifier=target.volume, xml_id=target.document)
        parts.append(
            Letter.objects.visible_to(user)
            .filter(condition)
            .order_by()
            .values_list(kind("letter"), "volume__identifier", Cast("number", CharField()), "xml_id")
        )
    if known_volumes is None and wanted_volumes:
        parts.append(
            Volume.objects.filter(identifier__in=wanted_volumes)
            .order_by()
            .values_list(kind("volume"), "identifier", kind(""), kind(""))
        )
    rows = list(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]) if parts else []
    people, terms, known_letters, found_volumes = {}, {}, set(), set()
    for what, key, value, more in rows:
        if what == "person":
            people[key] = value
        elif what == "term":
            terms[key] = value
        elif what == "letter":
            known_letters.add((key, f"d{value}"))
            if more:
                known_letters.add((key, more))
        else:
            found_volumes.add(key)
    return RenderContext(
        volume=volume.identifier,
        people=people,
        terms=terms,
        known_letters=known_letters,
        known_volumes=set(known_volumes) if known_volumes is not None else found_volumes,
    )


def save_error_report(letter: Letter, message: str, email: str = "") -> None:
    from catalog.models import ErrorReport

    ErrorReport.objects.create(letter=letter, message=message, email=email)


# -- one page of results (the list page and the list API) ------------------------------------------


def letter_results(params, per_page: int, page_number) -> dict:
    """Everything ``/letters/`` and ``GET /api/letters/`` show for some parameters."""
    letter_filter = LetterFilter(params or None, queryset=list_letters())
    data = letter_filter.cleaned()
    paginator = Paginator(letter_filter.sorted_qs(), per_page)
    if connection.vendor == "postgresql":
        facet_rows, paginator.count = stored_facets(letter_filter)  # the count comes with the facets
    else:
        facet_rows = facets(letter_filter)
    page = paginator.get_page(page_number)
    ordered = page.object_list
    if (
        paginator.count > search.RANKED_SLICE_FROM
        and letter_filter.by_relevance()
        and search.orders_by_distance(ordered)
    ):
        # RUM: the page's rows from the top hits in the search table's RUM index order
        # (catalog.search.ranked_slice, catalog.facets.top_hits); a few thousand hits are sorted
        # faster whole, in one statement less.
        bottom = (page.number - 1) * per_page
        selections = [_selection_keys(name, values) for name in FACETS if (values := data.get(name))]
        page.object_list = search.ranked_slice(
            letter_filter.sorted_qs(),
            bottom,
            bottom + per_page,
            DATE_ORDER,
            candidates=lambda limit: facet_counts.top_hits(letter_filter, data, selections, limit, paginator.count),
        )
    letters = list(page.object_list)
    chips = active_chips(letter_filter, facet_rows)
    q, scope = data.get("q") or "", data.get("scope") or "all"
    return {
        "filter": letter_filter,
        "data": data,
        "page": page,
        "letters": letters,
        "snippets": search.snippets([letter.pk for letter in letters], q, scope),
        "facets": facet_rows,
        "chips": chips,
        "suggestions": suggestions(letter_filter, chips) if not paginator.count and chips else [],
    }


@dataclass
class ListEntry:
    letter: Letter
    people: dict[str, list[LetterPerson]]
    sources: list[SourceEntry]
    references: list[dict]


def list_entries(letters: list[Letter]) -> list[ListEntry]:
    """What the list API gives for each letter of a page: people (prefetched), sources and
    references (two queries for the whole page), errata (one)."""
    ids = [letter.pk for letter in letters]
    prefetch_related_objects(letters, "errata")
    sources: dict[int, OrderedDict[int, SourceEntry]] = {pk: OrderedDict() for pk in ids}
    citations = (
        SourceCitation.objects.filter(letter_id__in=ids)
        .select_related("source", "footnote")
        .only("id", "letter_id", "raw", "is_source_note", "footnote__number", "source")
        .order_by("letter_id", F("footnote__number").asc(nulls_first=True), "id")
    )
    for citation in citations:
        entries = sources[citation.letter_id]
        entry = entries.get(citation.source_id)
        if entry is None:
            entry = entries[citation.source_id] = SourceEntry(citation.source, citation.raw or citation.source.raw)
        entry.is_source_note = entry.is_source_note or citation.is_source_note
        if citation.footnote_id and citation.footnote.number not in entry.footnotes:
            entry.footnotes.append(citation.footnote.number)
    references: dict[int, list[dict]] = {pk: [] for pk in ids}
    rows = (
        CrossReference.objects.filter(letter_id__in=ids)
        .select_related("footnote", "target__volume")
        .only(
            "id",
            "letter_id",
            "target_volume",
            "target_number",
            "target_footnote",
            "footnote__number",
            "target__number",
            "target__status",
            "target__volume__identifier",
        )
        .order_by("letter_id", "footnote__number", "id")
    )
    for row in rows:
        resolved = row.target_id is not None and row.target.status == Letter.Status.PUBLISHED
        references[row.letter_id].append(
            {
                "volume": row.target_volume,
                "number": row.target_number,
                "footnote": row.footnote.number if row.footnote_id else None,
                "target_footnote": row.target_footnote,
                "resolved": resolved,
                "url": row.target.get_absolute_url() if resolved else None,
            }
        )
    return [
        ListEntry(letter, split_people(letter), list(sources[letter.pk].values()), references[letter.pk])
        for letter in letters
    ]
