"""Full-text search over the published letters: headings, bodies and footnotes.

A reader's query is parsed here, once, into terms (the web-search syntax: words, "quoted phrases",
``or`` between two terms, ``-excluded`` terms and ``prefix*``), after being bounded and normalised
(control characters dropped, at most :data:`MAX_QUERY_CHARS` characters and :data:`MAX_TERMS`
terms) so that no query — 37 KB of ``"w "``, 100,000 quotation marks, a megabyte — reaches the
database as anything but a handful of plain terms. Nothing a reader types is an error: what cannot
be read is dropped.

The same parsed query runs on both databases:

- PostgreSQL: each term is a ``tsquery`` with English stemming (a phrase ``<->``, a prefix ``:*``),
  combined with ``&``, ``|`` and ``!``; headings and bodies are matched through the GIN index of
  migration 0002, footnotes through their own GIN index; results are ranked with ``ts_rank`` and
  snippets come from ``ts_headline``.
- SQLite (the ``make run`` default): every term must occur (case-insensitively) in the heading, the
  body or a footnote; snippets are cut around the first match. No stemming, no ranking beyond the
  chosen sort.

``scope`` chooses where to look: ``all`` (headings, bodies and footnotes: a letter matches when its
heading-and-body, or one of its footnotes, holds the whole query), ``body`` (heading and body) or
``footnotes``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db import connection
from django.db.models import BooleanField, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, StrIndex, Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalog.models import Footnote, Letter, SearchDoc

SEARCH_CONFIG = "english"
SCOPES = ("all", "body", "footnotes")
MAX_QUERY_CHARS = 256
MAX_TERMS = 12
MAX_TERM_CHARS = 64
SNIPPET_CHARS = 220
# Private-use characters mark a highlighted match in ts_headline's output; the text is escaped
# first, then they become <mark> tags (so nothing from the text can open a tag).
_START, _STOP = "\ue000", "\ue001"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ue000-\uf8ff]")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def search_vector() -> SearchVector:
    """Heading + body as migration 0002's GIN index had it (0002 still imports it)."""
    return SearchVector("title", "body_text", config=SEARCH_CONFIG)


# -- the stored index (PostgreSQL) ---------------------------------------------------------------
#
# Two columns of catalog_letter that only PostgreSQL has (migration 0008_search_stored_vector) and
# that are no model fields, so that no page ever loads them and no ``Letter.save()`` writes them:
#
# - ``search_vector``: heading (weight A) + body (B) + every footnote (C), GIN-indexed;
# - ``facet_keys``: the letter's facet values as text keys (``vol:<volume id>``, ``adm:<slug>``,
#   ``year:<year>``, ``type:<doc type>``, ``class:<base marking>``, ``sender:<person id>``,
#   ``recipient:<person id>``, ``person:<person id>``, ``repo:<repository>``), GIN-indexed, so that
#   one pass over the matching letters counts every facet (``catalog.queries.facets``).
#
# Both are written by ONE statement, :func:`reindex_letters`, which every path that writes a
# letter, its footnotes, people or sources calls with the ids it touched.

SCOPE_WEIGHTS = {"body": "{a,b}", "footnotes": "{c}"}


def stored_vector() -> RawSQL:
    return RawSQL('"catalog_letter"."search_vector"', [], output_field=SearchVectorField())


def searchdoc_vector() -> RawSQL:
    """The same vector in the public search table (``catalog/models/search.py``)."""
    return RawSQL('"catalog_searchdoc"."vector"', [], output_field=SearchVectorField())


def searchdoc_words() -> RawSQL:
    """The search table's vector without positions and weights: the expression of its GIN index
    (migration 0015). Matching a word or an AND/OR/NOT of words there needs no vector read; a phrase
    needs positions (``searchdoc_vector``, RUM)."""
    return RawSQL('strip("catalog_searchdoc"."vector")', [], output_field=SearchVectorField())


class ScopedVector(Func):
    """``ts_filter(vector, weights)``: only the lexemes of some weights (a scope)."""

    function = "ts_filter"
    output_field = SearchVectorField()

    def __init__(self, vector, weights: str):
        super().__init__(vector, Value(weights), output_field=SearchVectorField())


class RumDistance(Func):
    """``vector <=> query``: RUM's distance, ``1 / ts_rank`` for words (RUM's own score for
    phrases); ordering by it ascending reads the hits in the RUM index's order."""

    template = "(%(expressions)s)"
    arg_joiner = " <=> "
    output_field = FloatField()


class RumDistanceFunction(Func):
    """``rum_ts_distance(vector, query)``: the function behind ``<=>``, the same values; written as
    a call, no index order is taken for it (the hits are sorted)."""

    function = "rum_ts_distance"
    output_field = FloatField()


# The RUM index: on the public search table since migration 0015 (0012 had it on the letters).
RUM_INDEX = "searchdoc_vector_rum"
_rum_found: dict[tuple[str, str], bool] = {}


def rum_index(alias: str = "default") -> bool:
    """Whether this PostgreSQL database has the RUM index (migration 0015, on the public search
    table, where the ``rum`` extension was available): asked once per process and database,
    ``forget_rum()`` to ask again."""
    from django.db import connections

    conn = connections[alias]
    if conn.vendor != "postgresql":
        return False
    key = (alias, str(conn.settings_dict.get("NAME")))
    if key not in _rum_found:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [RUM_INDEX])
            _rum_found[key] = cursor.fetchone() is not None
    return _rum_found[key]


def forget_rum() -> None:
    _rum_found.clear()


class SearchVectorExact(Func):
    """``vector @@ query`` as a boolean expression (usable in ``filter()``)."""

    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()


def _classification_sql() -> str:
    from catalog.queries import CLASSIFICATIONS

    whens = " ".join(
        f"WHEN UPPER(l.classification::text) LIKE UPPER('{label.replace(chr(39), chr(39) * 2)}%%') THEN '{slug}'"
        for slug, label in CLASSIFICATIONS
    )
    return f"CASE {whens} ELSE NULL END"


REINDEX_SQL = """
UPDATE catalog_letter AS l SET
    search_vector =
        setweight(to_tsvector(%(config)s, coalesce(l.title, '')), 'A')
        || setweight(to_tsvector(%(config)s, coalesce(l.body_text, '')), 'B')
        || setweight(to_tsvector(%(config)s, coalesce(n.notes, '')), 'C'),
    facet_keys = array_remove(ARRAY[
        'vol:' || l.volume_id,
        CASE WHEN l.administration <> '' THEN 'adm:' || l.administration END,
        CASE WHEN l.date_min IS NOT NULL
             THEN 'year:' || extract(year FROM l.date_min AT TIME ZONE %(tz)s)::int END,
        CASE WHEN l.doc_type <> '' THEN 'type:' || l.doc_type END,
        'class:' || ({classification})
    ]::text[], NULL) || coalesce(p.keys, '{{}}') || coalesce(r.keys, '{{}}')
FROM catalog_letter AS t
LEFT JOIN LATERAL (
    SELECT string_agg(f.text, ' ' ORDER BY f.number, f.id) AS notes
    FROM catalog_footnote f WHERE f.letter_id = t.id
) n ON true
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT k ORDER BY k) AS keys
    FROM catalog_letterperson lp
    CROSS JOIN LATERAL (VALUES ('person:' || lp.person_id),
                               (CASE WHEN lp.role IN ('sender', 'recipient')
                                     THEN lp.role || ':' || lp.person_id END)) v(k)
    WHERE lp.letter_id = t.id AND k IS NOT NULL
) p ON true
LEFT JOIN LATERAL (
    -- The source by its primary key, one lookup a citation: a join here lets the planner hash every
    -- archival source once per letter when its statistics lag behind a bulk import (60 s for 1,000
    -- letters at 66k letters, measured).
    SELECT array_agg(DISTINCT k ORDER BY k) AS keys
    FROM (
        SELECT 'repo:' || (SELECT s.repository FROM catalog_archivalsource s WHERE s.id = c.source_id) AS k
        FROM catalog_sourcecitation c
        WHERE c.letter_id = t.id
    ) citations
) r ON true
WHERE l.id = t.id AND {where}
"""


def reindex_for(obj) -> int:
    """:func:`reindex_letters` for what an edit of ``obj`` changes: a letter itself, the letters
    citing an archival source (the repository facet); nothing for other records (people and
    volumes are keyed by id, their names read when the facets are shown)."""
    from catalog.models import ArchivalSource, SourceCitation

    if isinstance(obj, Letter):
        return reindex_letters([obj.pk])
    if isinstance(obj, ArchivalSource):
        return reindex_letters(SourceCitation.objects.filter(source=obj).values_list("letter_id", flat=True))
    return 0


def reindex_letters(letter_ids) -> int:
    """(Re)compute the stored search vector and facet keys of these letters in ONE set-based
    UPDATE (footnotes, people and sources aggregated in the same statement); ``None`` means every
    letter (the migration). The number of letters updated; a no-op (0) on other databases, which
    search the texts directly."""
    if connection.vendor != "postgresql":
        return 0
    from django.conf import settings

    if letter_ids is None:
        where, ids = "true", None
    else:
        ids = sorted({int(pk) for pk in letter_ids})
        if not ids:
            return 0
        where = "t.id = ANY(%(ids)s)"
    sql = REINDEX_SQL.format(classification=_classification_sql(), where=where)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"config": SEARCH_CONFIG, "tz": settings.TIME_ZONE, "ids": ids})
        return cursor.rowcount


def rebuild_index() -> int:
    """Every letter's stored index, from scratch (migrations, bench databases)."""
    return reindex_letters(None)


def footnote_vector() -> SearchVector:
    """A footnote's text; the GIN index of this branch's footnote migration is built on it."""
    return SearchVector("text", config=SEARCH_CONFIG)


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase's words
    prefix: bool = False
    negated: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class ParsedQuery:
    """Groups combined with AND; the terms of one group with OR."""

    groups: list[list[Term]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(not t.negated for g in self.groups for t in g)

    @property
    def positive_words(self) -> list[str]:
        return [w for g in self.groups for t in g if not t.negated for w in t.words]

    def __str__(self) -> str:
        parts = []
        for group in self.groups:
            rendered = []
            for t in group:
                text = f'"{t.text}"' if len(t.words) > 1 else t.text + ("*" if t.prefix else "")
                rendered.append(("-" if t.negated else "") + text)
            parts.append(" or ".join(rendered))
        return " ".join(parts)


def normalise(q) -> str:
    """The query bounded and cleaned: NFC, no control characters, single spaces, at most
    MAX_QUERY_CHARS characters (cut at a space where possible)."""
    if not isinstance(q, str):
        q = "" if q is None else str(q)
    q = q[: MAX_QUERY_CHARS * 4]
    q = unicodedata.normalize("NFC", q)
    q = _CONTROL.sub(" ", q)
    q = re.sub(r"\s+", " ", q).strip()
    if len(q) > MAX_QUERY_CHARS:
        cut = q[:MAX_QUERY_CHARS]
        q = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return q


_TOKEN = re.compile(r'(?P<neg>-)?"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')


def parse(q) -> ParsedQuery:
    """Read a reader's query (see the module's docstring); never raises."""
    q = normalise(q)
    groups: list[list[Term]] = []
    pending_or = False
    count = 0
    for match in _TOKEN.finditer(q):
        if count >= MAX_TERMS:
            break
        if match["phrase"] is not None:
            words = tuple(w.lower()[:MAX_TERM_CHARS] for w in _WORD.findall(match["phrase"]))
            term = Term(words, negated=bool(match["neg"])) if words else None
        else:
            raw = match["word"]
            if raw.lower() == "or" and groups:
                pending_or = True
                continue
            negated = raw.startswith("-") and len(raw) > 1
            prefix = raw.rstrip().endswith("*")
            words = tuple(w.lower()[:MAX_TERM_CHARS] for w in _WORD.findall(raw))
            if not words:
                continue
            # "U.S.", "arms-control": a phrase of its parts
            term = Term(words, negated=negated) if len(words) > 1 else Term(words, prefix=prefix, negated=negated)
        if term is None:
            continue
        count += 1
        if pending_or and groups and not term.negated and not any(t.negated for t in groups[-1]):
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    return ParsedQuery(groups)


# -- PostgreSQL ---------------------------------------------------------------------------------


def _pg_term(term: Term) -> SearchQuery:
    stem = re.sub(r"\W", "", term.words[0])
    if term.prefix and stem:
        # Letters, digits and underscores only: safe inside a raw tsquery.
        return SearchQuery(f"{stem}:*", search_type="raw", config=SEARCH_CONFIG)
    if len(term.words) > 1:
        return SearchQuery(term.text, search_type="phrase", config=SEARCH_CONFIG)
    return SearchQuery(term.text, search_type="plain", config=SEARCH_CONFIG)


def pg_query(parsed: ParsedQuery) -> SearchQuery | None:
    combined = None
    for group in parsed.groups:
        alternatives = None
        for term in group:
            query = _pg_term(term)
            if term.negated:
                query = ~query
            alternatives = query if alternatives is None else alternatives | query
        combined = alternatives if combined is None else combined & alternatives
    return combined


# -- SQLite and other databases -------------------------------------------------------------------


def _contains(fields: tuple[str, ...], text: str) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": text})
    return condition


def _plain_condition(parsed: ParsedQuery, fields: tuple[str, ...]) -> Q:
    condition = Q()
    for group in parsed.groups:
        alternatives = Q()
        for term in group:
            part = _contains(fields, term.text)
            alternatives |= ~part if term.negated else part
        condition &= alternatives
    return condition


# -- the public entry points ----------------------------------------------------------------------


def search(queryset: QuerySet, q, scope: str = "all", *, ranked: bool = False) -> QuerySet:
    """``queryset`` narrowed to the letters matching ``q`` in ``scope``, annotated with ``rank``
    (higher is better; 0 on databases without ranking). With the RUM index (PostgreSQL, migration
    0012) also aliased ``distance`` (lower is better): :func:`relevance_order`. A queryset of the
    public search table (``SearchDoc``, PostgreSQL) is narrowed the same way, its own vector
    matched, and neither ranked nor ordered: it is counted (``catalog.facets``) — words through the
    GIN index of its stripped vector (a bitmap of the hits, no vector read), phrases through its RUM
    index (positions in the index: no recheck); ``ranked``: through RUM, to be read in its order."""
    parsed = parse(q)
    if not parsed:
        return queryset
    scope = scope if scope in SCOPES else "all"
    if connection.vendor == "postgresql":
        query = pg_query(parsed)
        counting = queryset.model is SearchDoc
        vector = stored_vector()
        if counting:
            words = scope == "all" and all(len(t.words) == 1 for g in parsed.groups for t in g)
            vector = searchdoc_words() if words and not ranked else searchdoc_vector()
        queryset = queryset.alias(fts=vector)
        if scope == "all":
            queryset = queryset.filter(fts=query)
        else:
            scoped = SearchVectorExact(ScopedVector(vector, SCOPE_WEIGHTS[scope]), query)
            if not any(t.negated for g in parsed.groups for t in g):
                # Without negation a match in part of the vector is a match in the whole: the GIN
                # index finds the candidates, the weight filter rechecks them.
                queryset = queryset.filter(fts=query)
            queryset = queryset.filter(scoped)
        if counting:  # the public search table (catalog.facets): matching only, no order
            return queryset
        queryset = queryset.annotate(rank=SearchRank(vector, query))
        if rum_index(queryset.db):
            # Relevance order by RUM's distance (the same as the search table's, whose RUM index
            # yields the top hits in order: ``ranked_slice`` with ``catalog.facets.top_hits``).
            queryset = queryset.alias(distance=RumDistance(vector, query))
        return queryset
    body_fields = ("title", "body_text")
    body = _plain_condition(parsed, body_fields)
    notes = Exists(Footnote.objects.filter(_plain_condition(parsed, ("text",)), letter=OuterRef("pk")))
    condition = {"body": body, "footnotes": Q(notes)}.get(scope, body | Q(notes))
    return queryset.filter(condition).annotate(rank=Value(0.0, output_field=FloatField()))


def relevance_order(queryset: QuerySet) -> tuple:
    """The best hits first: RUM's distance where there is one (an ordered index scan), else
    ``ts_rank`` (every hit's vector read); the same order for words, ``1 / ts_rank``."""
    if "distance" in queryset.query.annotations:
        return (F("distance").asc(),)
    return (F("rank").desc(),)


def orders_by_distance(queryset: QuerySet) -> bool:
    return "distance" in queryset.query.annotations


# Hits; below, one sort of every hit is cheap (and one statement less). Above it the candidates
# come from the public search table's RUM order (catalog.facets.top_hits: narrow rows, the filters
# checked on them): sorting 5,751 hits' distances on the letters took 152 ms at 10k letters, the
# candidates a few ms. (When the letters held the RUM index, an ordered scan with selective filters
# walked their wide rows: 1.2 s at 300k with 3 filters, and the bar was 10,000.)
RANKED_SLICE_FROM = 500


def ranked_slice(queryset: QuerySet, bottom: int, top: int, tie_order: tuple, extra: int = 50, candidates=None) -> list:
    """``queryset.order_by(distance, *tie_order)[bottom:top]`` (a relevance-sorted page) without
    sorting every hit: PostgreSQL cannot read RUM's order and then break ties by date, so it would
    compute the distance of every hit (read every vector) and sort them. Instead the top hits come
    in the index's order (ids and distances only, ``LIMIT top + extra``); when the last of them is
    farther than the ``top``-th, every hit tied with the ``top``-th is among them, and the page is
    sorted out of those candidates alone. Otherwise (more ties than ``extra``) the extra grows
    eightfold once, then the plain sort answers (thousands of equal scores: a planted phrase).
    Exact either way.

    ``candidates(limit)``: the ``(pk, distance)`` of the first ``limit`` hits in distance order
    from elsewhere — the public search table's RUM index (``catalog.facets.top_hits``) — or
    ``None`` when it cannot answer; by default, and then, ``queryset`` itself."""
    if top <= bottom:
        return []
    extra = max(extra, top)
    for _ in range(2):
        limit = top + extra
        rows = candidates(limit) if candidates is not None else None
        if rows is None:
            rows = list(queryset.annotate(d=F("distance")).order_by("d").values_list("pk", "d")[:limit])
        if len(rows) < limit or rows[top - 1][1] < rows[-1][1]:
            if len(rows) <= bottom:
                return []
            cutoff = rows[min(top, len(rows)) - 1][1]
            ids = [pk for pk, distance in rows if distance <= cutoff]
            return list(queryset.filter(pk__in=ids).order_by("distance", *tie_order)[bottom:top])
        extra *= 8
    return list(queryset.order_by("distance", *tie_order)[bottom:top])


def _highlight_plain(text: str, words: list[str]) -> SafeString:
    """The text escaped, with each occurrence of the words in <mark> (matched on the raw text, so a
    word can never fall inside an escaped entity)."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return mark_safe(escape(text))  # noqa: S308 - escaped
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped


def _from_headline(text: str) -> SafeString:
    """ts_headline's output (markers, not tags) as safe HTML: escape everything, then the markers."""
    text = escape(text or "")
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308


@dataclass
class Snippet:
    where: str  # "text" or "footnote N"
    html: SafeString


def snippets(letter_ids: list[int], q, scope: str = "all") -> dict[int, list[Snippet]]:
    """Keyword-in-context snippets with the matches in <mark>, for the letters of one page of
    results (two queries: bodies, then footnotes). Only the snippets travel, never the texts."""
    parsed = parse(q)
    if not parsed or not letter_ids:
        return {}
    scope = scope if scope in SCOPES else "all"
    found: dict[int, list[Snippet]] = {}
    if connection.vendor == "postgresql":
        query = pg_query(parsed)
        options = {
            "config": SEARCH_CONFIG,
            "start_sel": _START,
            "stop_sel": _STOP,
            "max_words": 30,
            "min_words": 12,
            "max_fragments": 2,
            "fragment_delimiter": " … ",
        }
        if scope != "footnotes":
            # The stored vector's heading and body lexemes pick the letters (no text parsed twice).
            rows = (
                Letter.objects.filter(pk__in=letter_ids)
                .filter(SearchVectorExact(ScopedVector(stored_vector(), SCOPE_WEIGHTS["body"]), query))
                .annotate(snippet=SearchHeadline("body_text", query, **options))
                .values_list("pk", "snippet")
            )
            for pk, text in rows:
                if _START in (text or ""):
                    found.setdefault(pk, []).append(Snippet("text", _from_headline(text)))
        if scope != "body":
            rows = (
                Footnote.objects.filter(letter_id__in=letter_ids)
                .annotate(fts=footnote_vector())
                .filter(fts=query)
                .annotate(snippet=SearchHeadline("text", query, **options))
                .order_by("letter_id", "number")
                .values_list("letter_id", "number", "snippet")
            )
            seen: set[int] = set()
            for pk, number, text in rows:
                if pk in seen:
                    continue
                seen.add(pk)
                found.setdefault(pk, []).append(Snippet(f"footnote {number}", _from_headline(text)))
        return found
    words = parsed.positive_words
    first = words[0] if words else ""
    if not first:
        return {}
    if scope != "footnotes":
        position = StrIndex(Lower("body_text"), Value(first.lower()))
        rows = (
            Letter.objects.filter(pk__in=letter_ids)
            .annotate(at=position)
            .filter(at__gt=0)
            .annotate(window=Substr("body_text", _window_start(), SNIPPET_CHARS))
            .values_list("pk", "at", "window")
        )
        for pk, at, window in rows:
            found.setdefault(pk, []).append(Snippet("text", _cut(window, at > SNIPPET_CHARS // 2, words)))
    if scope != "body":
        position = StrIndex(Lower("text"), Value(first.lower()))
        rows = (
            Footnote.objects.filter(letter_id__in=letter_ids)
            .annotate(at=position)
            .filter(at__gt=0)
            .annotate(window=Substr("text", _window_start(), SNIPPET_CHARS))
            .order_by("letter_id", "number")
            .values_list("letter_id", "number", "at", "window")
        )
        seen = set()
        for pk, number, at, window in rows:
            if pk in seen:
                continue
            seen.add(pk)
            found.setdefault(pk, []).append(Snippet(f"footnote {number}", _cut(window, at > SNIPPET_CHARS // 2, words)))
    return found


def _window_start():
    from django.db.models.functions import Greatest

    return Greatest(F("at") - SNIPPET_CHARS // 2, Value(1))


def _cut(window: str, cut_before: bool, words: list[str]) -> SafeString:
    text = window or ""
    if cut_before and " " in text:
        text = "… " + text.split(" ", 1)[1]
    if len(text) >= SNIPPET_CHARS - 5 and " " in text:
        text = text.rsplit(" ", 1)[0] + " …"
    return _highlight_plain(text, words)
