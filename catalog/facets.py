"""Every facet's counts of a search or a filtered list, from the public search table (PostgreSQL).

``catalog_searchdoc`` (``catalog/models/search.py``) has one narrow row per published letter: its
vector (out of line), its date, and its facet keys as integers, also packed as big-endian int32
bytes. A page's counts are ONE statement over it, a UNION of index scans: the letters passing
every selected facet, and for each selection those passing all the others (letters failing two
count for nothing); each group's packed keys are concatenated by ``string_agg`` and fetched in
binary. numpy counts them (``bincount``): 219,316 hits' 3.3 M keys in ~10 ms, where PostgreSQL's
``unnest`` and ``GROUP BY`` of text keys took 0.7 s.

Multi-select faceting as ``catalog.queries.stored_facets`` defines it: a letter passing every
selection counts for every facet and for the total; one failing exactly one selection counts for
that facet's own values only.

The numbers of the keys are read from ``catalog_facetkey`` and kept per process (a number is never
given to another key; the mapping is read again when the table was emptied and recreated —
``pg_relation_filenode`` changes — or when a number beyond the known ones appears).

:func:`counts` answers ``None`` when a filter cannot be applied to the search table (a filter added
to ``LetterFilter`` later that it does not know): the caller then counts over the letters."""

from __future__ import annotations

import threading

import numpy as np
import psycopg
from django.db import connections
from django.db.models import BinaryField, BooleanField
from django.db.models.expressions import RawSQL

from catalog.models import SearchDoc

# Filters beyond the facets that apply to the search table as they do to the letters: the same
# LetterFilter methods run on a SearchDoc queryset (its ``date_min`` and its vector).
SEARCHDOC_FILTERS = frozenset({"q", "scope", "sort", "date_from", "date_to", "year_from", "year_to"})


class _Keys:
    """The key numbers of one database: ``prefix[n]`` (an index into ``prefixes``) and ``value[n]``."""

    def __init__(self, filenode: int):
        self.filenode = filenode
        self.prefixes: list[str] = []
        self.prefix_codes: dict[str, int] = {}
        self.code = np.zeros(0, dtype=np.int16)
        self.value: list[str] = []

    def extend(self, rows: list[tuple[int, str]]) -> None:
        if not rows:
            return
        size = rows[-1][0] + 1
        if size > len(self.code):
            code = np.full(size, -1, dtype=np.int16)
            code[: len(self.code)] = self.code
            self.code = code
            self.value.extend([""] * (size - len(self.value)))
        for number, key in rows:
            prefix, _, value = key.partition(":")
            if prefix not in self.prefix_codes:
                self.prefix_codes[prefix] = len(self.prefixes)
                self.prefixes.append(prefix)
            self.code[number] = self.prefix_codes[prefix]
            self.value[number] = value


_known: dict[tuple[str, str], _Keys] = {}
_lock = threading.Lock()


def _keys(cursor, alias: str, filenode: int, needed: int) -> _Keys:
    """The key numbers of this database, read (again) as needed; ``needed``: the highest number
    seen in the counts."""
    name = str(connections[alias].settings_dict.get("NAME"))
    with _lock:
        known = _known.get((alias, name))
        if known is None or known.filenode != filenode:
            known = _known[(alias, name)] = _Keys(filenode)
        if needed >= len(known.code):
            cursor.execute("SELECT id, key FROM catalog_facetkey WHERE id >= %s ORDER BY id", [len(known.code)])
            known.extend(cursor.fetchall())
        return known


def preload(alias: str = "default") -> None:
    """Read every key number now (a process's first search reads them; tests counting a page's
    statements in the steady state). Nothing on other databases."""
    if connections[alias].vendor != "postgresql":
        return
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_relation_filenode('catalog_facetkey'), coalesce(max(id), -1) FROM catalog_facetkey")
        filenode, highest = cursor.fetchone()
        _keys(cursor, alias, filenode, highest)


def forget() -> None:
    """Drop the key numbers kept (tests)."""
    with _lock:
        _known.clear()


def _searchdoc_rows(letter_filter, data: dict, *, ranked: bool = False):
    """The search table's rows passing every filter but the facets, or ``None``; ``ranked``: the
    query matched through the RUM index, to be read in its order (``catalog.search.search``)."""
    from catalog import search
    from catalog.queries import FACETS

    narrowing = {name for name, value in data.items() if value not in (None, "", [])}
    if narrowing - set(FACETS) - SEARCHDOC_FILTERS:
        return None
    rows = SearchDoc.objects.using(letter_filter.queryset.db).all()
    for name in SEARCHDOC_FILTERS & narrowing:
        if name == "q":
            rows = search.search(rows, data["q"], data.get("scope") or "all", ranked=ranked)
        else:
            rows = letter_filter.filters[name].filter(rows, data[name])
    return rows


def counts(
    letter_filter,
    data: dict,
    active: list[tuple[str, list]],
    selections: list[tuple[str, list]],
    kept_prefix: str,
    limit: int,
) -> tuple[dict[str, dict[str, int]], int] | None:
    """``(counts, total)`` as ``catalog.queries._read_counts`` gives them (``{prefix: {value: n}}``,
    the person facets cut to their ``limit`` most frequent values, ties included), or ``None``.

    ``selections``: each active facet's selection as an SQL array of text keys (with parameters);
    ``kept_prefix``: when only one facet narrows the catalog, its prefix: the pass covers the letters
    selected, and that facet's own counts come from the kept counts (``catalog_facetcount``)."""
    from catalog.queries import TOP_KEYS_SQL

    rows = _searchdoc_rows(letter_filter, data)
    if rows is None:
        return None
    alias = rows.db
    matches = _matches(letter_filter, alias, selections)
    if kept_prefix:
        rows, matches, active = rows.filter(matches[0]), [], []
    # Group 0: the letters passing every selection; group i: those passing every selection but the
    # i-th — group 0 and the letters failing the i-th alone, which count for that facet's values
    # only: group i less group 0 (counts add up). Each group is a scan of its own whose selections
    # the keys' GIN index answers (a bitmap: no row tested; testing ``keys && …`` on every hit and
    # grouping by the result cost 2–3× more for "President" and a document type at 332k letters).
    packed = RawSQL('"catalog_searchdoc"."packed"', [], output_field=BinaryField())
    parts, params = [], []
    for g in range(len(matches) + 1):
        part = rows
        for i, match in enumerate(matches):
            if i != g - 1:
                part = part.filter(match)
        inner, inner_params = part.order_by().annotate(p=packed).values_list("p").query.sql_with_params()
        parts.append(
            f"SELECT {g} AS g, count(*) AS n, string_agg(p, ''::bytea) AS packed FROM ({inner}) AS part{g} (p)"  # noqa: S608
        )
        params.extend(inner_params)
    sql = f"""
        SELECT g, n, packed, (SELECT pg_relation_filenode('catalog_facetkey'))
        FROM ({" UNION ALL ".join(parts)}) AS parts
    """  # noqa: S608 - fixed SQL; the values are parameters
    if kept_prefix:
        # The selected facet's own counts, kept over every published letter, in the same statement
        # (``g = -1``: the key's text as bytes); the person facets' cut to their most frequent.
        kept = TOP_KEYS_SQL.format(counts="SELECT key, n FROM catalog_facetcount WHERE key LIKE %s", limit=int(limit))
        sql = f"{sql} UNION ALL SELECT -1, n, convert_to(k, 'UTF8'), 0::oid FROM ({kept}) AS kept"  # noqa: S608
        params = (*params, kept_prefix + ":%")
    groups = _fetch_binary(alias, sql, params)
    total, arrays, kept_counts, filenode = 0, [], {}, 0
    for g, n, packed, node in groups:
        if g < 0:
            kept_counts[bytes(packed).decode().partition(":")[2]] = n
            continue
        filenode = node
        if g == 0:
            total = n
        arrays.append((g, np.frombuffer(packed or b"", dtype=">i4").astype(np.int32)))
    highest = max((int(keys.max()) for _, keys in arrays if len(keys)), default=-1)
    with connections[alias].cursor() as cursor:
        if highest < 0:
            result = _tally_to_counts(None, None, limit)
        else:
            known = _keys(cursor, alias, filenode, highest)
            size = len(known.code)
            tallies = {g: np.bincount(keys, minlength=size)[:size].astype(np.int64) for g, keys in arrays}
            passing = tallies.get(0, np.zeros(size, dtype=np.int64))
            tally = passing.copy()
            for g, group in tallies.items():
                if g:  # the letters failing the g-th selection alone, for that facet's values
                    own = known.code == known.prefix_codes.get(_prefix_of(active[g - 1][0]), -2)
                    tally[own] += group[own] - passing[own]
            result = _tally_to_counts(tally, known, limit)
    if kept_prefix:
        result[kept_prefix] = kept_counts
    return result, total


def _fetch_binary(alias: str, sql: str, params) -> list[tuple]:
    """``sql``'s rows with the results in PostgreSQL's binary format: the packed keys arrive as
    they are stored (13 MB for 219,316 hits), not as hexadecimal text twice their size to encode on
    the server and decode here (128–174 ms against 307–363 ms, measured at 332k letters). Through
    Django's cursor wrappers, so that the statement is logged, counted and timed as any other."""
    connection = connections[alias]
    rows: list[tuple] = []
    with connection.cursor() as cursor:

        def binary(sql, params, many, context):
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
                # No parallel workers: the hits' rows would travel through a Gather to the one
                # process that aggregates them (228 ms against 164 ms alone, 219,316 hits).
                raw.execute("SET max_parallel_workers_per_gather = 0")
                try:
                    raw.execute(sql, params, binary=True)
                    rows.extend(raw.fetchall())
                finally:
                    raw.execute("RESET max_parallel_workers_per_gather")

        debug = getattr(cursor, "debug_sql", None)
        if debug is None:
            cursor._execute_with_wrappers(sql, params, many=False, executor=binary)
        else:
            with debug(sql, params):
                cursor._execute_with_wrappers(sql, params, many=False, executor=binary)
    return rows


def _matches(letter_filter, alias: str, selections: list[tuple[str, list]]) -> list[RawSQL]:
    """Each selection (an SQL array of text keys) as ``keys && '{its numbers}'`` (GIN). The numbers
    are looked up first, in one statement for every selection (kept on ``letter_filter`` for the
    request): given as values, the planner estimates how many letters they select and combines the
    keys' and the words' indexes; given as a subquery it guessed 3,325 letters for 77,120, read the
    keys' index alone and tested the words on every row's vector (0.8 s at 332k letters)."""
    if not selections:
        return []
    numbers = getattr(letter_filter, "_facet_key_numbers", None)
    if numbers is None:
        arrays = ", ".join(
            f"ARRAY(SELECT f.id FROM catalog_facetkey f WHERE f.key = ANY({sql}))"  # noqa: S608
            for sql, _ in selections
        )
        with connections[alias].cursor() as cursor:
            cursor.execute(f"SELECT {arrays}", [p for _, params in selections for p in params])  # noqa: S608
            numbers = list(cursor.fetchone())
        letter_filter._facet_key_numbers = numbers
    return [
        RawSQL('"catalog_searchdoc"."keys" && %s::integer[]', [list(ids)], output_field=BooleanField())
        for ids in numbers
    ]


# Hits up to which the candidates are the hits sorted by their distance (each hit's vector read,
# ~7 µs) rather than read in the RUM index's order, which scores every letter holding the words
# before the filters drop most of them (289 ms for "President" + 3 filters, 5,060 hits, at 332k
# letters).
SORTED_TOP_HITS_UP_TO = 20_000


def top_hits(
    letter_filter, data: dict, selections: list[tuple[str, list]], limit: int, hits: int | None = None
) -> list[tuple[int, float]] | None:
    """The ``(letter id, distance)`` of the first ``limit`` hits by RUM's distance, read in the
    search table's RUM index order with every filter applied (``catalog.search.ranked_slice``'s
    candidates); ``None`` without a query, without the RUM index, or for a filter the table does
    not know."""
    from catalog import search

    parsed = search.parse(data.get("q") or "")
    few = hits is not None and hits <= SORTED_TOP_HITS_UP_TO
    rows = _searchdoc_rows(letter_filter, data, ranked=not few) if parsed else None
    if rows is None or not search.rum_index(rows.db):
        return None
    for match in _matches(letter_filter, rows.db, selections):
        rows = rows.filter(match)
    # ``rum_ts_distance(v, q)`` is what ``v <=> q`` calls (the same values); written as a call, the
    # planner takes no index order for it and sorts the few hits.
    kind = search.RumDistanceFunction if few else search.RumDistance
    distance = kind(search.searchdoc_vector(), search.pg_query(parsed))
    return list(rows.annotate(d=distance).order_by("d").values_list("letter_id", "d")[:limit])


def _prefix_of(name: str) -> str:
    from catalog.queries import FACET_KEY_PREFIX

    return FACET_KEY_PREFIX[name]


def _tally_to_counts(tally: np.ndarray | None, known: _Keys | None, limit: int) -> dict[str, dict[str, int]]:
    from catalog.queries import FACET_KEY_PREFIX, PERSON_PREFIXES

    result: dict[str, dict[str, int]] = {prefix: {} for prefix in FACET_KEY_PREFIX.values()}
    if tally is None:
        return result
    numbers = np.flatnonzero(tally)
    codes = known.code[numbers]
    for prefix, code in known.prefix_codes.items():
        if prefix not in result:
            continue
        mine = numbers[codes == code]
        if not len(mine):
            continue
        counted = tally[mine]
        if prefix in PERSON_PREFIXES and len(mine) > limit:
            # the values counted at least as often as the limit-th (ties included), as TOP_KEYS_SQL
            floor = np.partition(counted, len(counted) - limit)[len(counted) - limit]
            keep = counted >= floor
            mine, counted = mine[keep], counted[keep]
        values = known.value
        result[prefix] = {values[int(number)]: int(n) for number, n in zip(mine, counted, strict=True)}
    return result
