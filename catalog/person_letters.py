"""The side tables of people's public pages: ``PersonLetter`` (for every published letter, one row
per person it names and role, with the letter's date, year, volume and number), and the counts kept
with it, ``PersonCount`` (a person's letters by role and by year) and ``Correspondence`` (letters two
people are both parties to). A person's page reads these alone (issue 12: the most prolific
person's page read every one of their letters, several times).

Kept by ONE function, :func:`refresh_letters`, which replaces the rows of the letters it is given
from their current people and status (a withdrawn or unpublished letter has none; a person taken off
a letter loses its row: the rows are replaced by letter, so nobody is left counting a letter that no
longer names them) and moves the stored counts by the difference of those letters' rows before and
after. Every path that changes a letter's status, date, volume, number or people calls it with the
letters it touched:

- saves and deletes of single records: the signals of :func:`connect_signals` (``Letter`` saved,
  ``LetterPerson`` saved or deleted; a letter about to be deleted; a deleted person takes their
  rows and counts by cascade);
- the workflow's moves (``catalog.workflow.apply``: an ``update()``, no signal);
- the import (``catalog.ingest.loader``: at the end of each volume, its written and published
  letters, and a skipped file's published drafts; signals are paused meanwhile);
- merging people (``catalog.admin.people.merge_people``; signals paused meanwhile);
- a backup's load (``catalog.backup.load_catalog``): the file holds these tables with the rest, or,
  written before they existed, they are rebuilt.

Revisions restored, spreadsheet imports and the admin's letter form save through the ORM: the
signals cover them. A bulk ``update()`` of letters elsewhere must call :func:`refresh_letters`.
Each chunk locks its letters first (``SELECT … FOR UPDATE``), so two transactions refreshing the same
letter take turns and never both subtract the same "before".

:func:`rebuild` recomputes everything (``manage.py refresh_person_letters``; the migration fills them
with set-based SQL on PostgreSQL).
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from itertools import permutations

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import ExtractYear

from catalog.models import Correspondence, Letter, LetterPerson, PersonCount, PersonLetter

CHUNK = 1000
# A letter's row depends on these fields: a save that names none of them leaves the rows as they are.
PARTIES = (LetterPerson.Role.SENDER, LetterPerson.Role.RECIPIENT)
LETTER_FIELDS = frozenset({"status", "date_min", "volume", "volume_id", "number"})


def _delete(ids: list[int]) -> None:
    # One DELETE, no signal per row (the page cache's receivers would make Django fetch every row first).
    PersonLetter.objects.filter(letter_id__in=ids)._raw_delete(PersonLetter.objects.db)


def _rows(ids: list[int]):
    links = (
        LetterPerson.objects.filter(letter_id__in=ids, letter__status=Letter.Status.PUBLISHED)
        .annotate(year=ExtractYear("letter__date_min"))
        .values_list(
            "person_id",
            "letter_id",
            "role",
            "name_as_written",
            "letter__date_min",
            "year",
            "letter__volume__identifier",
            "letter__number",
        )
        .order_by("letter_id", "id")
    )
    rank = {role: i for i, role in enumerate(LetterPerson.Role.values)}  # sender, recipient, mentioned
    firsts: dict[tuple[int, int], tuple[int, str]] = {}
    for person_id, letter_id, role, *_ in links:
        key = (person_id, letter_id)
        if key not in firsts or rank[role] < firsts[key][0]:
            firsts[key] = (rank[role], role)
    return [
        PersonLetter(
            person_id=person_id,
            letter_id=letter_id,
            role=role,
            name_as_written=name,
            date_min=date_min,
            year=year,
            volume_identifier=volume,
            number=number,
            first=firsts[(person_id, letter_id)][1] == role,
        )
        for person_id, letter_id, role, name, date_min, year, volume, number in links
    ]


INSERT_SQL = """
INSERT INTO catalog_personletter
    (person_id, letter_id, role, name_as_written, date_min, year, volume_identifier, number, first)
SELECT lp.person_id, l.id, lp.role, lp.name_as_written, l.date_min,
       extract(year FROM l.date_min AT TIME ZONE %(tz)s)::int, v.identifier, l.number,
       row_number() OVER (
           PARTITION BY lp.person_id, lp.letter_id
           ORDER BY CASE lp.role WHEN 'sender' THEN 0 WHEN 'recipient' THEN 1 ELSE 2 END
       ) = 1
FROM catalog_letterperson lp
JOIN catalog_letter l ON l.id = lp.letter_id
JOIN catalog_volume v ON v.id = l.volume_id
WHERE lp.letter_id = ANY(%(ids)s) AND l.status = 'published'
"""
ADD_SQL = """
INSERT INTO {table} (person_id, {column}, {value})
SELECT * FROM unnest(%s::bigint[], %s::{type}[], %s::int[])
ON CONFLICT (person_id, {column}) DO UPDATE SET {value} = {table}.{value} + EXCLUDED.{value}
"""
SUBTRACT_SQL = """
UPDATE {table} c SET {value} = c.{value} - d.n
FROM unnest(%s::bigint[], %s::{type}[], %s::int[]) AS d(person_id, k, n)
WHERE c.person_id = d.person_id AND c.{column} = d.k
"""
# (model, the key column and its SQL type, the count column)
PAIRS = (Correspondence, "other_id", "bigint", "letters")
COUNTS = (PersonCount, "key", "text", "n")


def _insert(ids: list[int]) -> int:
    """The rows of these letters, from their people (published letters only)."""
    if connection.vendor == "postgresql":  # one INSERT … SELECT: no row through Python
        with connection.cursor() as cursor:
            cursor.execute(INSERT_SQL, {"ids": ids, "tz": settings.TIME_ZONE})
            return cursor.rowcount
    rows = _rows(ids)
    PersonLetter.objects.bulk_create(rows, batch_size=CHUNK)
    return len(rows)


def _tallies(ids: list[int]) -> tuple[Counter, Counter]:
    """The pairs (``Correspondence``) and counts (``PersonCount``) these letters' rows make now."""
    rows = list(
        PersonLetter.objects.filter(letter_id__in=ids).values_list("letter_id", "person_id", "role", "year", "first")
    )
    counts: Counter = Counter()
    for _, person_id, role, year, first in rows:
        counts[(person_id, role)] += 1
        if first:
            counts[(person_id, f"y:{'' if year is None else year}")] += 1
    return _pairs((letter_id, person_id) for letter_id, person_id, role, *_ in rows if role in PARTIES), counts


def _pairs(parties) -> Counter:
    """(person, other) → letters both are parties to, from (letter id, person id) pairs."""
    by_letter: dict[int, set[int]] = {}
    for letter_id, person_id in parties:
        by_letter.setdefault(letter_id, set()).add(person_id)
    pairs: Counter = Counter()
    for people in by_letter.values():
        pairs.update(permutations(sorted(people), 2))
    return pairs


def _apply(delta: Counter, kind: tuple) -> None:
    """Add ``delta`` ((person, key) → n) to the stored counts of ``kind`` (rows reaching 0 are deleted)."""
    model, column, sql_type, value = kind
    delta = Counter({key: n for key, n in delta.items() if n})
    if not delta:
        return
    if connection.vendor == "postgresql":
        names = {"table": model._meta.db_table, "column": column, "type": sql_type, "value": value}
        added = [(p, k, n) for (p, k), n in delta.items() if n > 0]
        taken = [(p, k, -n) for (p, k), n in delta.items() if n < 0]
        with connection.cursor() as cursor:
            for sql, rows in ((ADD_SQL, added), (SUBTRACT_SQL, taken)):
                if rows:
                    cursor.execute(sql.format(**names), [list(c) for c in zip(*rows, strict=True)])
        if taken:
            model.objects.filter(person_id__in={p for p, _, _ in taken}, **{value: 0}).delete()
        return
    people = {p for p, _ in delta}
    stored = {
        (row.person_id, getattr(row, column)): row
        for row in model.objects.filter(person_id__in=people, **{f"{column}__in": {k for _, k in delta}})
        if (row.person_id, getattr(row, column)) in delta
    }
    created, changed, emptied = [], [], []
    for (person_id, key), n in delta.items():
        row = stored.get((person_id, key))
        if row is None:
            if n > 0:
                created.append(model(person_id=person_id, **{column: key, value: n}))
            continue
        setattr(row, value, getattr(row, value) + n)
        (changed if getattr(row, value) > 0 else emptied).append(row)
    model.objects.bulk_create(created, batch_size=CHUNK)
    model.objects.bulk_update(changed, [value], batch_size=CHUNK)
    if emptied:
        model.objects.filter(pk__in=[row.pk for row in emptied]).delete()


def refresh_letters(letter_ids, *, gone: bool = False) -> int:
    """Replace the side-table rows of these letters from their current people and status, and move
    the correspondences by the difference of the letters' pairs before and after (in chunks of a
    thousand letters: six statements each on PostgreSQL, all set-based). Returns the rows written."""
    ids = sorted({int(pk) for pk in letter_ids if pk is not None})
    written = 0
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            # The letters locked (in id order: no deadlock between two refreshes) before their rows
            # are read: a concurrent refresh of one of them waits, then reads what this one wrote.
            list(Letter.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk"))
            pairs, counts = _tallies(chunk)
            pairs_delta, counts_delta = Counter(), Counter()
            pairs_delta.subtract(pairs)
            counts_delta.subtract(counts)
            _delete(chunk)
            if not gone:  # ``gone``: the letters are being deleted, their rows leave with them
                written += _insert(chunk)
            pairs, counts = _tallies(chunk)
            pairs_delta.update(pairs)
            counts_delta.update(counts)
            _apply(pairs_delta, PAIRS)
            _apply(counts_delta, COUNTS)
    return written


def rebuild() -> int:
    """Every letter's rows again (published letters only have rows)."""
    with transaction.atomic():
        PersonLetter.objects.all()._raw_delete(PersonLetter.objects.db)
        Correspondence.objects.all()._raw_delete(Correspondence.objects.db)
        PersonCount.objects.all()._raw_delete(PersonCount.objects.db)
        ids = list(Letter.objects.published().order_by("pk").values_list("pk", flat=True))
        return refresh_letters(ids)


# -- single saves and deletes -----------------------------------------------------------------------

_paused = threading.local()


@contextmanager
def signals_paused():
    """Inside: saves and deletes refresh nothing by signal — for a bulk writer that calls
    :func:`refresh_letters` itself for everything it wrote (the import, at each volume's end)."""
    before = getattr(_paused, "value", False)
    _paused.value = True
    try:
        yield
    finally:
        _paused.value = before


def _letter_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    if raw or getattr(_paused, "value", False):
        return  # a backup's load (catalog/backup.py) brings these rows, or rebuilds them
    if update_fields is not None and not (set(update_fields) & LETTER_FIELDS):
        return
    if created and instance.status != Letter.Status.PUBLISHED:
        return  # a new draft has no rows, nor people yet
    refresh_letters([instance.pk])


def _letter_deleting(sender, instance, **kwargs):
    # Before the cascade takes the letter's rows away unseen: its counts go with them.
    if not getattr(_paused, "value", False):
        refresh_letters([instance.pk], gone=True)


def _link_changed(sender, instance, raw=False, **kwargs):
    if raw or getattr(_paused, "value", False):
        return
    refresh_letters([instance.letter_id])


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save, pre_delete

    post_save.connect(_letter_saved, sender=Letter, dispatch_uid="catalog.person_letters:letter")
    pre_delete.connect(_letter_deleting, sender=Letter, dispatch_uid="catalog.person_letters:letter-delete")
    post_save.connect(_link_changed, sender=LetterPerson, dispatch_uid="catalog.person_letters:link-save")
    post_delete.connect(_link_changed, sender=LetterPerson, dispatch_uid="catalog.person_letters:link-delete")
