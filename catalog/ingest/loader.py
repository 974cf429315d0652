"""The one loader: writes parsed records to the database.

One volume, one transaction: a failure anywhere rolls the whole volume back. Re-importing the same
records writes nothing. A changed record updates its letter field by field with a three-way merge
against the values of the last import (``Letter.import_snapshot``):

- the new value equals the last imported one → nothing to do (an editor's correction stays);
- the letter still holds the last imported value → take the new value;
- an editor changed the field since, and the import changed it too → a conflict: the editor's value
  is kept and reported, unless ``force`` is given, and either way a Revision records it.

An import never blanks a field the letter has, and a plain-text export never overrides a letter
last imported from the TEI master file: it only fills what is empty.

People are matched by a documented rule (see ``PersonResolver``).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, models, transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.base import ModelState
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog import administrations, caching, checks, person_letters, search
from catalog.annotating import reanchor_letter
from catalog.body import flatten
from catalog.models import (
    ArchivalSource,
    Chapter,
    CrossReference,
    Footnote,
    Letter,
    LetterPerson,
    Person,
    PersonIdentifier,
    Revision,
    SourceCitation,
    Term,
    Volume,
)
from catalog.vocabulary import normalise

from .citations import record_with_ref_targets
from .names import person_key, surname
from .records import LetterRecord, ParsedVolume, ParseError, PersonRecord, UnchangedDocument

logger = logging.getLogger(__name__)
# The advisory lock that makes imports into one PostgreSQL database take turns ("LBIMPORT" in ASCII).
IMPORT_LOCK_KEY = int.from_bytes(b"LBIMPORT", "big")

SCALAR_FIELDS = [
    "title",
    "xml_id",
    "doc_type",
    "date_min",
    "date_max",
    "date_precision",
    "place",
    "dateline",
    "classification",
    "page_start",
    "page_end",
    "body",
]
RELATED_FIELDS = ["chapter", "footnotes", "people", "sources", "references", "terms"]
# New letters are written this many at a time: one statement per table per batch (issue 13).
BATCH_SIZE = 500
FORMAT_RANK = {"text": 0, "tei": 1}


@dataclass
class Conflict:
    number: int | None  # the letter's number; None for the volume, a term or a person
    field: str
    editor_value: object
    import_value: object
    forced: bool = False
    subject: str = ""  # "volume", "term SALT", "person Jimmy Carter" when not a letter

    @property
    def label(self) -> str:
        return self.subject or f"d{self.number}"


SKIP, APPLY, CONFLICT = "skip", "apply", "conflict"


def merge_decision(current, last_import, new) -> str:
    """The three-way merge of one field: the editor's value, the last import's, this import's.

    Nothing new (or the editor already has it), or an empty import value: skip. The field still
    holds what the last import wrote: apply. Otherwise an editor changed it (blanking included):
    a conflict.
    """
    if _is_empty(new) or new in (current, last_import):
        return SKIP
    if current == last_import:
        return APPLY
    return CONFLICT


@dataclass
class ChangeReport:
    volume: str
    source: str = ""
    dry_run: bool = False
    created: list[int] = field(default_factory=list)
    updated: dict[int, list[str]] = field(default_factory=dict)
    unchanged: list[int] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    published: int = 0
    footnotes: int = 0
    people_created: int = 0
    people_matched: int = 0
    people_flagged: list[str] = field(default_factory=list)
    letters_flagged: list[str] = field(default_factory=list)  # "d5: why", for an editor to review
    sources_created: int = 0
    sources_cited: int = 0
    references: int = 0
    unresolved_references: int = 0
    terms: int = 0
    sources_listed: int = 0  # collections in the volume's own list of sources
    chapters: int = 0
    # Documents found unchanged by checksum before any merge work (the whole file, or one document).
    skipped_by_checksum: int = 0
    # The ids of the letters this import wrote (created or updated): known in full when the volume's
    # load ends (``VolumeLoader.finish``), the one place that hands them on (search index, caches).
    written_ids: set[int] = field(default_factory=set)

    @property
    def letters(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        prefix = "[dry run] " if self.dry_run else ""
        line = (
            f"{prefix}{self.volume}: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )
        if self.skipped_by_checksum:
            line += f" ({self.skipped_by_checksum} skipped by checksum)"
        if self.conflicts:
            line += f", {len(self.conflicts)} conflicts"
        line += (
            f"; {self.footnotes} footnotes, {self.people_created + self.people_matched} people "
            f"({self.people_created} new), {self.sources_cited} source citations, {self.sources_created} new "
            f"archival sources, {self.references} references ({self.unresolved_references} unresolved)"
        )
        if self.terms:
            line += f", {self.terms} terms"
        if self.sources_listed:
            line += f", {self.sources_listed} sources listed"
        if self.published:
            line += f"; {self.published} published"
        return line

    def as_dict(self) -> dict:
        """The report as JSON-ready data (for an ImportRun), with the summary line."""
        data = dataclasses.asdict(self)
        data["written_ids"] = sorted(self.written_ids)
        data["updated"] = [[number, fields] for number, fields in sorted(self.updated.items())]
        data["conflicts"] = [
            {**asdict, "label": c.label} for asdict, c in zip(data["conflicts"], self.conflicts, strict=True)
        ]
        data["summary"] = self.summary()
        return json.loads(json.dumps(data, default=str))

    def details(self) -> list[str]:
        lines = [f"  d{n}: created" for n in self.created]
        lines += [f"  d{n}: updated {', '.join(fields)}" for n, fields in sorted(self.updated.items())]
        for conflict in self.conflicts:
            verdict = "import value forced over the editor's" if conflict.forced else "editor's value kept"
            hint = "" if conflict.forced else " (--force to take the import's)"
            lines.append(f"  {conflict.label}: conflict on {conflict.field}: {verdict}{hint}")
        lines += [f"  person flagged for review: {name}" for name in self.people_flagged]
        lines += [f"  letter flagged for review: {why}" for why in self.letters_flagged]
        return lines


def _jsonable(value):
    # Datetimes in UTC, so that the same moment is written the same way whether it comes from a
    # parser (with a Washington offset) or back from the database (in UTC).
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat() if value.tzinfo else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _checksum(values: dict) -> str:
    return _checksum_of(_canonical_json(values))


def _canonical_json(values: dict) -> str:
    return json.dumps(values, sort_keys=True, default=str)


def _canonical_parts(values: dict) -> tuple[str, str]:
    """``_canonical_json(values)``, and the JSON of ``values["body"]`` alone made on the way ("" when
    there is none): the body is encoded once for the checksum, the snapshot and its own column (a
    jsonb column stores the value, whatever the order of its keys). "body" sorts before every other
    key of a letter's values, so the whole is the body's JSON followed by the rest's, byte for byte."""
    if "body" not in values or any(key < "body" for key in values):
        return _canonical_json(values), ""
    body = json.dumps(values["body"], sort_keys=True, default=str)
    rest = _canonical_json({key: value for key, value in values.items() if key != "body"})
    return '{"body": ' + body + (", " + rest[1:] if rest != "{}" else "}"), body


def _checksum_of(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()


def bulk_insert(model, objects: list, *, table: str = "") -> None:
    """Insert ``objects`` (primary keys set on them) in one statement: on PostgreSQL a COPY, with the
    ids taken from the table's sequence first; elsewhere ``bulk_create``.

    PostgreSQL's COPY is the floor the import is measured against (bench/bench_import.py); it also
    spares the client-side quoting of every JSON body that an INSERT's literals cost in Python.
    ``table`` (PostgreSQL): COPY into this table instead of the model's (a staging table with the
    same columns, see ``insert_staged_letters``); the ids are still the model's.
    """
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    meta = model._meta
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = f"COPY {connection.ops.quote_name(table or meta.db_table)} ({columns}) FROM STDIN"
        getters = _copy_getters(model)
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for obj in objects:
                copy.write_row([getter(obj) for getter in getters])


# New letters on PostgreSQL: COPYed into this staging table (the letters' columns, no index, no
# trigger; dropped when the transaction ends), then moved into catalog_letter by ONE INSERT … SELECT
# per batch that computes their stored search vector and facet keys in the same statement — each row
# written once, into its indexes once (the RUM index above all), where a COPY followed by
# ``search.reindex_letters``'s UPDATE wrote every letter twice (issue 13: 2.5× the letters' write).
LETTER_STAGE = "letterbook_letter_stage"
_REINDEX_SHAPE = re.compile(
    r"\s*UPDATE catalog_letter AS l SET\s+search_vector\s*=(?P<vector>.+?),\s*facet_keys\s*=(?P<facets>.+?)"
    r"\nFROM catalog_letter AS t\n(?P<joins>.+?)\nWHERE l\.id = t\.id AND \{where\}\s*",
    re.DOTALL,
)


def staged_letters_sql() -> str | None:
    """The INSERT … SELECT that moves the staged letters into catalog_letter with their search vector
    and facet keys, made from ``search.REINDEX_SQL`` itself (its two expressions and its joins, over
    the staged rows instead of the table's): the values are by construction the ones
    ``search.reindex_letters`` computes, whatever it computes. None when that statement no longer has
    the shape read here: the loader then COPYs and calls ``reindex_letters`` (the same values, slower)."""
    match = _REINDEX_SHAPE.fullmatch(search.REINDEX_SQL)
    if match is None:
        return None
    columns = [connection.ops.quote_name(f.column) for f in Letter._meta.concrete_fields]
    template = (
        f"INSERT INTO catalog_letter ({', '.join(columns)}, search_vector, facet_keys)\n"
        f"SELECT {', '.join('l.' + c for c in columns)},\n{match['vector']},\n{match['facets']}\n"
        f"FROM {LETTER_STAGE} AS l CROSS JOIN LATERAL (SELECT l.id) AS t(id)\n{match['joins']}"
    )
    return template.format(classification=search._classification_sql())


def insert_staged_letters(letters: list) -> bool:
    """Write ``letters`` (new, ids set by ``bulk_insert``'s sequence) into catalog_letter through the
    staging table, their stored search vectors and facet keys computed in the same INSERT (after
    their footnotes, people and citations are written: the statement reads them). False when this
    cannot be done (not PostgreSQL, or REINDEX_SQL of another shape): the caller COPYs the letters
    and calls ``search.reindex_letters``."""
    sql = staged_letters_sql() if connection.vendor == "postgresql" else None
    if sql is None:
        return False
    from django.conf import settings

    with connection.cursor() as cursor:
        cursor.execute(sql, {"config": search.SEARCH_CONFIG, "tz": settings.TIME_ZONE})
        cursor.execute(f"TRUNCATE {LETTER_STAGE}")
    return True


def prepare_letter_stage() -> bool:
    """The (empty) staging table of this transaction, created on first use; False where there is none."""
    if connection.vendor != "postgresql" or staged_letters_sql() is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {LETTER_STAGE} (LIKE catalog_letter INCLUDING DEFAULTS) "
            "ON COMMIT DROP"
        )
    return True


# Field types whose value goes to the COPY as the instance holds it (``get_db_prep_save`` would only
# hand it back): the per-value conversion is what the import's Python time went to (issue 13).
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,  # and its Small/Big/Positive kinds
    models.BooleanField,
    models.CharField,  # and SlugField, EmailField…
    models.TextField,
    models.ForeignKey,  # the attname: the id
)
_AS_IS = frozenset({int, str, bool})
_GETTERS: dict[type, list] = {}
_DEFAULTS: dict[type, list] = {}


def _row(model, values: dict):
    """An unsaved instance of ``model`` for ``bulk_insert``: ``values`` by attname (``letter_id``),
    every other field its default. What ``Model.__init__`` gives, without its per-keyword work:
    the import writes tens of thousands of these rows (footnotes, people, citations, terms)."""
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        # A callable default is called for each row (a new dict, list…); any other is one value, the
        # same object Django's ``get_default`` hands every instance.
        defaults = _DEFAULTS[model] = [
            (f.attname, f.default if f.has_default() and callable(f.default) else None, f.get_default())
            for f in model._meta.concrete_fields
        ]
    obj = model.__new__(model)
    obj._state = ModelState()
    attributes = obj.__dict__
    for attname, make, value in defaults:
        if attname not in values:
            attributes[attname] = make() if make is not None else value
    attributes.update(values)
    return obj


def _copy_getters(model) -> list:
    """For each concrete field, how to get the value COPY writes from an instance: the attribute as
    it is for plain fields, the JSON text for a JSONField, ``pre_save`` for ``auto_now`` dates, and
    Django's own ``get_db_prep_save`` for anything else (the same values a ``bulk_create`` writes)."""
    getters = _GETTERS.get(model)
    if getters is not None:
        return getters
    getters = []
    for f in model._meta.concrete_fields:
        if isinstance(f, models.JSONField):
            encoder = f.encoder

            def getter(obj, attname=f.attname, encoder=encoder, f=f):
                encoded = obj.__dict__.get("_copy_json")
                if encoded is not None and attname in encoded:
                    return encoded[attname]  # the JSON text of the same value, made already
                value = obj.__dict__[attname]
                if value is None or hasattr(value, "as_sql"):  # SQL NULL, an expression: Django's way
                    return f.get_db_prep_save(value, connection)
                return json.dumps(value, cls=encoder)  # what psycopg's Jsonb sends, as COPY text

        elif (
            isinstance(f, models.DateTimeField)
            and (f.auto_now or f.auto_now_add)
            and type(f).pre_save is models.DateTimeField.pre_save
        ):

            def getter(obj, attname=f.attname):
                # ``pre_save`` on an insert: now, set on the instance too; an aware datetime goes to
                # PostgreSQL as it is (``get_db_prep_value`` would hand it back unchanged).
                value = obj.__dict__[attname] = timezone.now()
                return value

        elif isinstance(f, _PLAIN_FIELDS) and not getattr(f, "auto_now", False):

            def getter(obj, attname=f.attname, f=f):
                value = obj.__dict__[attname]
                if value is None or type(value) in _AS_IS:
                    return value
                return f.get_db_prep_save(value, connection)  # e.g. a choice's enum, a lazy string

        else:

            def getter(obj, f=f):
                return f.get_db_prep_save(f.pre_save(obj, True), connection)

        getters.append(getter)
    _GETTERS[model] = getters
    return getters


def _check_length(model, field_name: str, value, where: tuple[str, int | None], what: str) -> None:
    limit = model._meta.get_field(field_name).max_length
    if limit and isinstance(value, str) and len(value) > limit:
        raise ParseError(
            where[0], where[1], f"{what} is {len(value):,} characters long: expected at most {limit:,} (refused)"
        )


def _chapter_notes(record) -> list[dict]:
    return [{"number": n.number, "kind": n.kind, "text": n.text, "content": n.content} for n in record.notes]


def _is_empty(value) -> bool:
    return value in (None, "", [], {})


class PersonResolver:
    """Finds the Person a volume's person record stands for, creating one only when none fits.

    The rule, in order:
    1. the volume already maps this id (``p_CJ_2``, or a name key such as ``name:carter``) to a person;
    2. a person with the same folded full name whose description agrees (equal, or one side empty)
       is the same person: the record enriches it;
    3. in the same volume, a person an earlier (text) import knew only by surname is the one entry of
       the volume's persons list with that surname (two entries with it — Harold and George S. Brown —
       and neither is chosen);
    4. a person with the same folded name but another description, or a single-surname name that
       matches another person's surname, is uncertain: a new person is created and flagged
       (``needs_review``, ``possible_duplicate_of``) for an editor to merge or keep apart;
    5. otherwise a new person.
    """

    def __init__(self, volume: Volume, report: ChangeReport, persons_list: list[PersonRecord] = ()):
        self.volume = volume
        self.report = report
        self.surname_counts: dict[str, int] = {}
        for person in persons_list:
            key = person_key(person.display_name)
            self.surname_counts[key] = self.surname_counts.get(key, 0) + 1
        self.cache: dict[str, Person] = {
            ident.local_id: ident.person
            for ident in PersonIdentifier.objects.filter(volume=volume).select_related("person")
        }

    def resolve(self, record: PersonRecord) -> Person:
        person = self.cache.get(record.key)
        if person is not None:
            self._enrich(person, record)
            return person
        person = self._match(record)
        PersonIdentifier.objects.create(person=person, volume=self.volume, local_id=record.key)
        self.cache[record.key] = person
        return person

    def _match(self, record: PersonRecord) -> Person:
        key = normalise(record.display_name)
        description = normalise(record.description)
        same_name = list(Person.objects.filter(match_key=key, is_organization=record.is_organization)[:5])
        for candidate in same_name:
            if not description or not candidate.description or normalise(candidate.description) == description:
                self.report.people_matched += 1
                self._enrich(candidate, record)
                return candidate
        surname_key = person_key(record.display_name)
        if record.from_persons_list and self.surname_counts.get(surname_key) == 1 and surname_key in self.cache:
            person = self.cache[surname_key]
            self.report.people_matched += 1
            self._enrich(person, record)
            return person
        uncertain = same_name[0] if same_name else None
        if uncertain is None and not record.is_organization:
            last = normalise(surname(record.display_name))
            if len(key.split()) == 1:
                uncertain = Person.objects.filter(match_key__endswith=f" {last}", is_organization=False).first()
            else:
                uncertain = Person.objects.filter(match_key=last, is_organization=False).first()
        person = Person.objects.create(
            display_name=record.display_name,
            sort_name=record.sort_name or record.display_name,
            titles=list(record.titles),
            description=record.description,
            aliases=list(record.aliases),
            is_organization=record.is_organization,
            possible_duplicate_of=uncertain,
            needs_review=uncertain is not None,
            import_snapshot={
                "display_name": record.display_name,
                "titles": sorted(record.titles),
                "description": record.description,
            },
        )
        self.report.people_created += 1
        if uncertain is not None:
            self.report.people_flagged.append(f"{person.display_name} (possibly {uncertain.display_name})")
        return person

    def _enrich(self, person: Person, record: PersonRecord) -> None:
        """Add what the record knows and the person lacks, never undoing an editor's change.

        A person is shared by volumes, each with its own wording, so the import only adds: a fuller
        name (while the name is still the one an import gave), titles it has not offered before, a
        description where none was ever imported. ``import_snapshot`` remembers what imports gave.
        """
        snapshot = dict(person.import_snapshot or {})
        changed = False
        imported_description = snapshot.get("description", person.description)
        if not person.description and not imported_description and record.description:
            person.description = snapshot["description"] = record.description
            changed = True
        name_untouched = person.display_name == snapshot.get("display_name", person.display_name)
        fuller_name = len(record.display_name.split()) > len(person.display_name.split())
        same_surname = normalise(surname(record.display_name)) == normalise(surname(person.display_name))
        if name_untouched and fuller_name and same_surname and not record.is_organization:
            person.aliases = sorted({*person.aliases, person.display_name})
            person.display_name = snapshot["display_name"] = record.display_name
            person.sort_name = record.sort_name or person.sort_name
            changed = True
        offered = snapshot.get("titles", person.titles)
        new_titles = [t for t in record.titles if t not in offered and t not in person.titles]
        if new_titles:
            person.titles = [*person.titles, *new_titles]
            changed = True
        snapshot["titles"] = sorted({*offered, *record.titles})
        if changed or snapshot != person.import_snapshot:
            person.import_snapshot = snapshot
            person.save()


@dataclass
class _Neighbour:
    """A letter before another, as the page checks read it."""

    number: int
    page_end: int | None


@dataclass
class _NewLetter:
    record: LetterRecord
    new: dict
    checksum: str
    canonical: str = ""  # ``new`` as the checksum's JSON (sorted keys): the snapshot's JSON text is made from it
    body_json: str = ""  # ``new["body"]`` as the canonical JSON holds it: the body column's JSON text


class VolumeLoader:
    def __init__(
        self, parsed: ParsedVolume, *, publish=False, force=False, user=None, source_format="text", file_checksum=""
    ):
        self.parsed = parsed
        self.file_checksum = file_checksum
        self.publish = publish
        self.force = force
        self.user = user
        self.source_format = source_format
        self.report = ChangeReport(volume=parsed.volume.identifier, source=parsed.source_path)

    # -- volume-level records -------------------------------------------------------------------
    def check_volume(self) -> None:
        record, path = self.parsed.volume, self.parsed.source_path
        for name in ("title", "series", "subseries", "volume_number"):
            _check_length(Volume, name, getattr(record, name), (path, record.source_line), f"the volume's {name}")
        for person in record.persons:
            self.check_person(person, (path, person.source_line))
        for term in record.terms:
            for name, value in (("term", term.term), ("xml_id", term.key)):
                _check_length(Term, name, value, (path, term.source_line), f"a term's {name}")
        for chapter in record.chapters:
            for name in ("xml_id", "title", "kind"):
                value = getattr(chapter, "key" if name == "xml_id" else name)
                _check_length(Chapter, name, value, (path, chapter.source_line), f"a chapter's {name}")
        for source in record.collections:
            where = (path, source.source_line or record.source_line)
            for name in ("repository", "collection", "box", "folder"):
                _check_length(ArchivalSource, name, getattr(source, name), where, f"a listed source's {name}")

    def load_volume(self) -> Volume:
        self.check_volume()
        record = self.parsed.volume
        volume, created = Volume.objects.get_or_create(identifier=record.identifier)
        self.volume_created = created
        fields = ("title", "series", "subseries", "volume_number", "editors", "year_published")
        if self.merge_object(volume, {name: getattr(record, name) for name in fields}, "volume") or created:
            volume.save()
        self.volume = volume
        self.people = PersonResolver(volume, self.report, record.persons)
        self.sources_cache: dict[tuple, ArchivalSource] = {}
        existing_terms = {t.xml_id: t for t in Term.objects.filter(volume=volume)}
        new_terms = []
        for term in record.terms:
            values = {"term": term.term, "expansion": term.expansion}
            current = existing_terms.get(term.key)
            if current is None:
                new_terms.append(Term(volume=volume, xml_id=term.key, import_snapshot=values, **values))
            elif changed := self.merge_object(current, values, f"term {current.term}"):
                current.save(update_fields=changed)
        Term.objects.bulk_create(new_terms)
        self.report.terms = len(record.terms)
        self.terms = {t.xml_id: t for t in Term.objects.filter(volume=volume)}
        for person in record.persons:
            self.people.resolve(person)
        self.report.sources_listed = len(record.collections)
        if record.collections:
            # The listed sources already in the catalog, in one query rather than one each.
            for source in ArchivalSource.objects.filter(
                repository__in={c.repository for c in record.collections},
                collection__in={c.collection for c in record.collections},
            ):
                self.sources_cache.setdefault((source.repository, source.collection, source.box, source.folder), source)
            consulted = [
                self.source_for(c.repository, c.collection, c.box, c.folder, c.raw) for c in record.collections
            ]
            known = set(volume.sources_consulted.values_list("pk", flat=True))
            # Through rows written one by one in order (``add()`` goes through a set): the volume's
            # page lists its sources in the order the volume prints them.
            through = Volume.sources_consulted.through
            rows, seen = [], set(known)
            for source in consulted:
                if source.pk not in seen:
                    seen.add(source.pk)
                    rows.append(through(volume=volume, archivalsource=source))
            through.objects.bulk_create(rows)
        self.chapters = {c.xml_id: c for c in Chapter.objects.filter(volume=volume)}
        self.existing, self.source_checksums = {}, {}
        for number, pk, checksum, status, published_at, source_checksum in Letter.objects.filter(
            volume=volume
        ).values_list("number", "pk", "import_checksum", "status", "published_at", "source_checksum"):
            self.existing[number] = (pk, checksum, status, published_at)
            self.source_checksums[number] = source_checksum
            if checksum and source_checksum:
                # As last loaded, no conflict open: the parser may skip the document if its digest
                # is unchanged (an editor's later changes are kept as a re-import would keep them).
                self.parsed.unchanged[number] = source_checksum
        self.new_source_checksums: list[Letter] = []  # unchanged letters whose digest is new
        self.seen: set[int] = set()
        self.pending: list[_NewLetter] = []  # new letters waiting for their batch
        self.indexed: set[int] = set()  # new letters whose search vector was computed with their batch
        self.to_publish: list[int] = []  # unchanged drafts to publish (with --publish), in one UPDATE
        # New letters as the review queue's checks read them (``checked_letter``, ``checks.body_facts``),
        # and the numbers (with their last page) and ids written so far: their problems at the volume's end.
        self.checked: dict[int, tuple[Letter, tuple]] = {}
        self.numbers_written: dict[tuple[int, int], int | None] = {}
        self.xml_ids_written: dict[str, int] = {}
        return volume

    def merge_object(self, obj, new: dict, subject: str) -> list[str]:
        """Three-way merge of an object's imported fields against its ``import_snapshot``.

        Returns the fields to save (empty: nothing changed); reports conflicts; records in the
        snapshot the values this import gave (a kept conflict keeps the old one, so it is reported
        again next time).
        """
        snapshot = dict(obj.import_snapshot or {})
        changed = []
        for name, value in new.items():
            value = _jsonable(value)
            current = _jsonable(getattr(obj, name))
            decision = merge_decision(current, snapshot.get(name, current), value)
            if decision == CONFLICT:
                self.report.conflicts.append(Conflict(None, name, current, value, forced=self.force, subject=subject))
                if not self.force:
                    continue
            if decision != SKIP:
                setattr(obj, name, value)
                changed.append(name)
            if not _is_empty(value):
                snapshot[name] = value
        if snapshot != obj.import_snapshot:
            obj.import_snapshot = snapshot
            changed.append("import_snapshot")
        return changed

    def chapter_for(self, key: str) -> Chapter | None:
        if not key:
            return None
        chapter = self.chapters.get(key)
        record = next((c for c in self.parsed.volume.chapters if c.key == key), None)
        if chapter is None:
            if record is not None:
                for name, value in (("title", record.title), ("kind", record.kind)):
                    where = (self.parsed.source_path, record.source_line)
                    _check_length(Chapter, name, value, where, f"a chapter's {name}")
            chapter = Chapter.objects.create(
                volume=self.volume,
                xml_id=key,
                title=record.title if record else key,
                order=record.order if record else 0,
                kind=record.kind if record else "chapter",
                notes=_chapter_notes(record) if record else [],
            )
            self.chapters[key] = chapter
            self.report.chapters += 1
        return chapter

    def sync_chapter_notes(self) -> None:
        """Chapters of this volume already in the catalog take the notes of their heading as printed
        now (a chapter is created with them; this keeps a re-import in step with a new release)."""
        for record in self.parsed.volume.chapters:
            chapter = self.chapters.get(record.key)
            if chapter is not None and chapter.notes != (notes := _chapter_notes(record)):
                chapter.notes = notes
                chapter.save(update_fields=["notes"])

    def person_for(self, key: str) -> Person:
        if key in self.people.cache:
            return self.people.cache[key]
        record = self.parsed.people.get(key) or next((p for p in self.parsed.volume.persons if p.key == key), None)
        if record is None:  # named by an id alone (an empty persName): keep the id, invent no name
            record = PersonRecord(key=key, display_name=key)
        return self.people.resolve(record)

    def source_for(self, repository: str, collection: str, box: str, folder: str, raw: str) -> ArchivalSource:
        parts = (repository, collection, box, folder)
        source = self.sources_cache.get(parts)
        if source is None:
            source, created = ArchivalSource.objects.get_or_create(
                repository=repository, collection=collection, box=box, folder=folder, defaults={"raw": raw}
            )
            self.report.sources_created += created
            self.sources_cache[parts] = source
        return source

    # -- one letter -----------------------------------------------------------------------------
    def new_values(self, record: LetterRecord) -> dict:
        """The import's value for every field it manages, in the form the snapshot keeps."""
        values = {name: _jsonable(getattr(record, name)) for name in SCALAR_FIELDS}
        values["chapter"] = record.chapter
        values["footnotes"] = [[f.number, f.kind, f.text, f.anchor, f.content] for f in record.footnotes]
        links: dict[tuple[int, str], str] = {}
        for mention in record.people:  # two names may be one person (after a merge): keep the first words
            links.setdefault((self.person_for(mention.person_key).pk, mention.role), mention.name_as_written)
        values["people"] = sorted([person_id, role, words] for (person_id, role), words in links.items())
        values["sources"] = [
            [c.footnote_number, c.repository, c.collection, c.box, c.folder, c.raw] for c in record.sources
        ]
        values["references"] = [[r.footnote_number, r.volume, r.number, r.footnote, r.text] for r in record.references]
        values["terms"] = sorted({t for t in record.terms if t in self.terms})
        return values

    def current_values(self, letter: Letter) -> dict:
        """The letter's value for every managed field as it stands now (an editor may have changed it)."""
        values = {name: _jsonable(getattr(letter, name)) for name in SCALAR_FIELDS}
        values["chapter"] = letter.chapter.xml_id if letter.chapter_id else ""
        values["footnotes"] = [[f.number, f.kind, f.text, f.anchor, f.content] for f in letter.footnotes.all()]
        values["people"] = sorted([lp.person_id, lp.role, lp.name_as_written] for lp in letter.letter_people.all())
        values["sources"] = [
            [
                c.footnote.number if c.footnote_id else None,
                c.source.repository,
                c.source.collection,
                c.source.box,
                c.source.folder,
                c.raw,
            ]
            for c in letter.source_citations.select_related("footnote", "source").order_by("id")
        ]
        values["references"] = [
            [r.footnote.number if r.footnote_id else None, r.target_volume, r.target_number, r.target_footnote, r.text]
            for r in letter.references.select_related("footnote").order_by("id")
        ]
        values["terms"] = sorted(letter.terms.values_list("xml_id", flat=True))
        return values

    def check_letter(self, record: LetterRecord) -> None:
        """Refuse, naming the file and line, a value longer than its database column holds."""
        where = (record.source_path, record.source_line)
        for name in ("title", "xml_id", "doc_type", "place", "dateline", "classification"):
            _check_length(Letter, name, getattr(record, name), where, f"document {record.number}: the {name}")
        for source in record.sources:
            for name in ("repository", "collection", "box", "folder"):
                _check_length(ArchivalSource, name, getattr(source, name), where, f"a cited source's {name}")
        for reference in record.references:
            _check_length(CrossReference, "target_volume", reference.volume, where, "a cross-reference's volume")
        for mention in record.people:
            _check_length(LetterPerson, "name_as_written", mention.name_as_written, where, "a person's name")
            _check_length(PersonIdentifier, "local_id", mention.person_key, where, "a person's id")
            person = self.parsed.people.get(mention.person_key)
            if person is not None:
                self.check_person(person, where)
        if record.chapter:
            _check_length(Chapter, "xml_id", record.chapter, where, "the chapter's id")

    @staticmethod
    def check_person(person: PersonRecord, where: tuple[str, int | None]) -> None:
        where = (where[0], person.source_line or where[1])
        _check_length(PersonIdentifier, "local_id", person.key, where, "a person's id")
        for name in ("display_name", "sort_name"):
            _check_length(Person, name, getattr(person, name), where, f"a person's {name.replace('_', ' ')}")

    def load_letter(self, record: LetterRecord | UnchangedDocument) -> None:
        """One record: a new letter waits for its batch, a changed one is merged now, an unchanged
        one (same checksum as the last import's) costs nothing more."""
        if isinstance(record, UnchangedDocument):
            self.see(record)
            self.unchanged_letter(record.number)
            self.report.skipped_by_checksum += 1
            return
        self.check_letter(record)
        self.see(record)
        record = self.with_ref_targets(record)
        new = self.new_values(record)
        canonical, body_json = _canonical_parts(new)
        checksum = _checksum_of(canonical)
        self.report.footnotes += len(record.footnotes)
        self.report.references += len(record.references)
        known = self.existing.get(record.number)
        if known is None:
            # The rows a new letter points at (its chapter, its archival sources) exist before its batch.
            self.chapter_for(new["chapter"])
            for _number, repository, collection, box, folder, raw in new["sources"]:
                self.source_for(repository, collection, box, folder, raw)
            self.pending.append(_NewLetter(record, new, checksum, canonical, body_json))
            if len(self.pending) >= BATCH_SIZE:
                self.flush()
            return
        pk, last_checksum, status, published_at = known
        if last_checksum == checksum:
            # Nothing new in the file: no need even to read the letter.
            if self.source_checksums[record.number] != record.source_checksum:
                self.new_source_checksums.append(Letter(pk=pk, source_checksum=record.source_checksum))
            self.unchanged_letter(record.number)
            return
        with transaction.atomic():  # a savepoint per changed letter only
            self.merge_letter(record, new, checksum, pk)

    def see(self, record: LetterRecord | UnchangedDocument) -> None:
        if record.number in self.seen:
            raise ParseError(
                record.source_path, record.source_line, f"document number {record.number} appears twice in the volume"
            )
        self.seen.add(record.number)

    def unchanged_letter(self, number: int) -> None:
        pk, _checksum, status, published_at = self.existing[number]
        if self.publish and status == Letter.Status.DRAFT and published_at is None:
            self.to_publish.append(pk)
        self.report.unchanged.append(number)

    def flush(self) -> None:
        """Write the waiting new letters, a batch at a time, in a savepoint per batch. When the
        database refuses a batch, its letters are written again one by one so that the refusal names
        the document (the volume is one transaction: nothing of it stays half-written)."""
        batch, self.pending = self.pending, []
        if batch:
            self.write_new(batch)

    def write_new(self, batch: list[_NewLetter]) -> None:
        try:
            with transaction.atomic():
                self.create_letters(batch)
        except DatabaseError as error:
            if len(batch) > 1:
                for item in batch:
                    self.write_new([item])
                return
            record = batch[0].record
            raise ParseError(
                record.source_path,
                record.source_line,
                f"document {record.number} could not be stored: {str(error).strip()}",
            ) from None

    def create_letters(self, batch: list[_NewLetter]) -> None:
        """New letters and all their rows: one INSERT per table for the whole batch."""
        now = timezone.now()
        letters = []
        for item in batch:
            record, new = item.record, item.new
            letter = Letter(
                volume=self.volume,
                number=record.number,
                import_snapshot={**new, "_format": self.source_format},
                import_checksum=item.checksum,
                source_checksum=record.source_checksum,
            )
            if record.review_reasons:
                # Flagged: in review, and not published even with --publish, until an editor looks.
                letter.status = Letter.Status.IN_REVIEW
            elif self.publish:
                letter.status = Letter.Status.PUBLISHED
                letter.published_at = now
            if item.canonical.startswith("{") and item.canonical != "{}":
                # The snapshot's JSON text for COPY, from the checksum's (the same values, keys sorted;
                # "_format" sorts first): a letter's body and footnotes encoded once less.
                letter._copy_json = {
                    "import_snapshot": '{"_format": ' + json.dumps(self.source_format) + ", " + item.canonical[1:]
                }
            self.set_scalars(letter, new, set(SCALAR_FIELDS))
            if item.body_json and letter.body is new["body"]:  # the value encoded (not a None made "")
                letter._copy_json = {**getattr(letter, "_copy_json", {}), "body": item.body_json}
            letter.chapter = self.chapter_for(new["chapter"])
            # What ``Letter.save`` derives, derived here (bulk_create calls no save): the body's text
            # as the parser flattened it (once), the administration of its date.
            letter.body_text = record.body_text or flatten(letter.body or []).text
            letter.administration = administrations.administration_for(letter.date_min)
            letters.append(letter)
        # The review queue's count of each letter's problems, from the records in hand, stored with the
        # row (an UPDATE of a letter afterwards writes it and its RUM index entries again); checked, and
        # corrected where the rest of the volume changed it, at the volume's end (``finish``).
        facts = [checks.body_facts(letter.body) for letter in letters]
        checked = self.provisional_problems(letters, batch, facts)
        for letter, stand_in in zip(letters, checked, strict=True):
            letter.problem_count = stand_in.problem_count
        # On PostgreSQL into the staging table first: the letters reach catalog_letter below, once their
        # footnotes, people and citations are written, with their search vectors computed as they go in.
        staged = prepare_letter_stage()
        bulk_insert(Letter, letters, table=LETTER_STAGE if staged else "")
        notes = {}
        footnotes = []
        for letter, item in zip(letters, batch, strict=True):
            for n, k, t, a, c in item.new["footnotes"]:
                note = _row(
                    Footnote, {"letter_id": letter.pk, "number": n, "kind": k, "text": t, "anchor": a, "content": c}
                )
                footnotes.append(note)
                notes[(letter.pk, n)] = note
        bulk_insert(Footnote, footnotes)
        people, citations, references, terms, revisions = [], [], [], [], []
        through = Letter.terms.through
        for letter, item in zip(letters, batch, strict=True):
            new, record = item.new, item.record
            pk = letter.pk
            people += [
                _row(
                    LetterPerson,
                    {"letter_id": pk, "person_id": person_id, "role": role, "name_as_written": as_written},
                )
                for person_id, role, as_written in new["people"]
            ]
            for number, repository, collection, box, folder, raw in new["sources"]:
                note = notes.get((pk, number))
                citations.append(
                    _row(
                        SourceCitation,
                        {
                            "letter_id": pk,
                            "footnote_id": note.pk if note is not None else None,
                            "source_id": self.source_for(repository, collection, box, folder, raw).pk,
                            "is_source_note": note is not None and note.kind == Footnote.Kind.SOURCE,
                            "raw": raw,
                        },
                    )
                )
            for number, volume, target, target_footnote, text in new["references"]:
                note = notes.get((pk, number))
                references.append(
                    _row(
                        CrossReference,
                        {
                            "letter_id": pk,
                            "footnote_id": note.pk if note is not None else None,
                            "target_volume": volume,
                            "target_number": target,
                            "target_footnote": target_footnote,
                            "text": text[:500],
                        },
                    )
                )
            terms += [_row(through, {"letter_id": pk, "term_id": self.terms[key].pk}) for key in new["terms"]]
            revisions.append(
                _row(
                    Revision,
                    {
                        "letter_id": pk,
                        "letter_label": f"{self.volume.identifier} d{letter.number}",
                        "user_id": self.user.pk if self.user is not None else None,
                        "origin": Revision.Origin.IMPORT,
                        "comment": "; ".join([f"created by import of {record.source_path}", *record.review_reasons])[
                            :500
                        ],
                    },
                )
            )
        bulk_insert(LetterPerson, people)
        bulk_insert(SourceCitation, citations)
        bulk_insert(CrossReference, references)
        bulk_insert(through, terms)
        bulk_insert(Revision, revisions)
        # The batch's stored search vectors and facet keys now, not in one UPDATE at the volume's end:
        # a new letter's row, footnotes, people and citations are all written above and nothing later
        # in the import changes them, so the values are the same, and the database computes them
        # while a parser in a second process reads the next letters (parse_worker). On PostgreSQL in
        # the INSERT that moves the staged letters into catalog_letter (each row written once).
        if not (staged and insert_staged_letters(letters)):
            search.reindex_letters([letter.pk for letter in letters])
        self.indexed.update(letter.pk for letter in letters)
        # Counted once the batch is written (a batch written again letter by letter counts once).
        for letter, item, stand_in, letter_facts in zip(letters, batch, checked, facts, strict=True):
            if letter.pk is not None:  # what the volume's end checks again, without reading the letter back
                stand_in.pk = letter.pk
                self.checked[letter.pk] = (stand_in, letter_facts)
            self.numbers_written[(letter.volume_id, letter.number)] = letter.page_end
            if letter.xml_id:
                self.xml_ids_written[letter.xml_id] = self.xml_ids_written.get(letter.xml_id, 0) + 1
            if item.record.review_reasons:
                self.report.letters_flagged.extend(f"d{letter.number}: {why}" for why in item.record.review_reasons)
            elif self.publish:
                self.report.published += 1
            self.report.created.append(letter.number)
            self.report.written_ids.add(letter.pk)
        self.report.sources_cited += len(citations)

    @staticmethod
    def checked_letter(letter: Letter) -> Letter:
        """A letter holding only what ``checks.letter_problems`` reads (no body: ``body_facts`` stands
        for it) and the problem count it was stored with."""
        return Letter(
            pk=letter.pk,
            volume_id=letter.volume_id,
            number=letter.number,
            xml_id=letter.xml_id,
            doc_type=letter.doc_type,
            date_min=letter.date_min,
            page_start=letter.page_start,
            page_end=letter.page_end,
            problem_count=letter.problem_count,
        )

    def provisional_problems(self, letters: list[Letter], batch: list[_NewLetter], facts: list) -> list[Letter]:
        """For each new letter of the batch, its ``checked_letter`` (its id yet unknown: its position)
        holding how many problems ``checks.letter_problems`` finds in it, from the records in hand and
        what this import wrote before it: the count its row is stored with. It is
        provisional only where the rest of the volume still changes it (a reference resolved by a
        letter further on, a neighbour or an id met later, a person's id given later): the volume's
        end computes the problems again (``checks.refresh_letters``) and corrects what differs."""
        people = {person.pk: person for person in self.people.cache.values()}
        roles, flagged, footnotes, heading_notes, citations = {}, {}, {}, {}, {}
        by_number = {key: _Neighbour(key[1], page_end) for key, page_end in self.numbers_written.items()}
        xml_ids = dict(self.xml_ids_written)
        stand_ins = []
        for position, (letter, item) in enumerate(zip(letters, batch, strict=True)):
            new = item.new
            roles[position] = {role for _person, role, _words in new["people"]}
            flagged[position] = list(
                dict.fromkeys(
                    people[person_id].display_name
                    for person_id, _role, _words in new["people"]
                    if person_id in people and people[person_id].needs_review
                )
            )
            notes = {number: (kind, text) for number, kind, text, _anchor, _content in new["footnotes"]}
            footnotes[position] = notes
            heading_notes[position] = {n for n, _k, _t, anchor, _c in new["footnotes"] if anchor is None}
            for number, repository, collection, box, folder, raw in new["sources"]:
                key = (position, number if number in notes else None)
                citations.setdefault(key, []).append(self.source_for(repository, collection, box, folder, raw))
            by_number[(self.volume.pk, letter.number)] = _Neighbour(letter.number, letter.page_end)
            if letter.xml_id:
                xml_ids[letter.xml_id] = xml_ids.get(letter.xml_id, 0) + 1
            stand_in = self.checked_letter(letter)
            stand_in.pk = position
            stand_ins.append(stand_in)
        ctx = {
            "roles": roles,
            "flagged": flagged,
            "person_ids": {self.volume.pk: set(self.people.cache)},
            "footnotes": footnotes,
            "heading_notes": heading_notes,
            "citations": citations,
            "unresolved": {},  # taken as resolving: the volume's end knows
            "by_number": by_number,
            "xml_ids": {(self.volume.pk, xml_id): count for xml_id, count in xml_ids.items()},
        }
        for stand_in, letter_facts in zip(stand_ins, facts, strict=True):
            stand_in.problem_count = len(checks.letter_problems(stand_in, ctx, letter_facts))
        return stand_ins

    def merge_letter(self, record: LetterRecord, new: dict, checksum: str, pk: int) -> None:
        """The three-way merge of a letter the import changed, field by field."""
        letter = Letter.objects.select_related("chapter").get(pk=pk)
        snapshot = letter.import_snapshot or {}
        current = self.current_values(letter)
        downgrade = FORMAT_RANK.get(snapshot.get("_format"), 0) > FORMAT_RANK[self.source_format]
        to_apply, changes, kept = set(), {}, set()
        for name, new_value in new.items():
            now = current[name]
            decision = merge_decision(now, snapshot.get(name, now), new_value)
            if decision == SKIP or (downgrade and not _is_empty(now)):
                continue  # nothing new, never blank a field, never let a text export override the TEI
            if decision == APPLY:
                to_apply.add(name)
                changes[name] = [now, new_value]
                continue
            self.report.conflicts.append(Conflict(record.number, name, now, new_value, forced=self.force))
            origin = Revision.Origin.FORCED_IMPORT if self.force else Revision.Origin.CONFLICT
            latest = letter.revisions.filter(origin=origin).first()
            if self.force or latest is None or latest.changes != {name: [now, new_value]}:
                Revision.objects.create(
                    letter=letter,
                    user=self.user,
                    origin=origin,
                    changes={name: [now, new_value]},
                    comment=f"import of {record.source_path}"[:500],
                )
            if self.force:
                to_apply.add(name)
            else:
                kept.add(name)
        # A conflict stays open until resolved: its field keeps the old snapshot value (so the next
        # import reports it again, and --force can still take the new value) and the checksum is
        # cleared so that the next run looks again.
        newest_format = max(snapshot.get("_format", "text"), self.source_format, key=FORMAT_RANK.get)
        letter.import_snapshot = {**new, **{name: snapshot.get(name) for name in kept}, "_format": newest_format}
        letter.import_checksum = "" if kept else checksum
        letter.source_checksum = record.source_checksum
        if self.publish and letter.status == Letter.Status.DRAFT and letter.published_at is None:
            self.publish_letter(letter)
        # Rows rebuilt only because the footnotes were (their citations and references hang on
        # them) are rebuilt from what the letter holds now, an editor's corrections included.
        self.apply(letter, {name: new[name] if name in to_apply else current[name] for name in new}, to_apply)
        if to_apply:
            Revision.objects.create(
                letter=letter,
                user=self.user,
                origin=Revision.Origin.IMPORT,
                changes={name: changes.get(name) for name in to_apply},
                comment=f"import of {record.source_path}"[:500],
            )
            self.report.updated[record.number] = sorted(to_apply)
            self.report.written_ids.add(letter.pk)
        else:
            self.report.unchanged.append(record.number)

    def with_ref_targets(self, record: LetterRecord) -> LetterRecord:
        """Cross-reference targets in the body and footnotes parsed once, here, and stored on the nodes."""
        return record_with_ref_targets(record, self.volume.identifier)  # or done beside the writes

    def publish_letter(self, letter: Letter) -> None:
        """Publish a letter never published before; one an editor withdrew stays withdrawn, and one in
        review (an editor's call, or flagged by an import) waits for its review."""
        letter.status = Letter.Status.PUBLISHED
        letter.published_at = letter.published_at or timezone.now()
        self.report.published += 1

    @staticmethod
    def set_scalars(letter: Letter, new: dict, names: set[str]) -> None:
        for name in SCALAR_FIELDS:
            if name in names:
                value = new[name]
                if name in ("date_min", "date_max") and value:
                    value = timezone.datetime.fromisoformat(value)
                setattr(
                    letter,
                    name,
                    value if value is not None or name in ("date_min", "date_max", "page_start", "page_end") else "",
                )

    def apply(self, letter: Letter, new: dict, names: set[str]) -> None:
        """Set the named fields from the import's values, save the letter once, rewrite its related rows."""
        self.set_scalars(letter, new, names)
        if "chapter" in names:
            letter.chapter = self.chapter_for(new["chapter"])
        fresh = letter.pk is None  # a new letter has no related rows to clear
        letter.save()
        notes_changed = "footnotes" in names
        rewrite_sources = notes_changed or "sources" in names
        rewrite_references = notes_changed or "references" in names
        footnotes: dict[int, Footnote] = {}
        if notes_changed:
            if not fresh:
                letter.footnotes.all().delete()  # cascades to their citations and references
            created = Footnote.objects.bulk_create(
                Footnote(letter=letter, number=n, kind=k, text=t, anchor=a, content=c)
                for n, k, t, a, c in new["footnotes"]
            )
            footnotes = {f.number: f for f in created}
        elif rewrite_sources or rewrite_references:
            footnotes = {f.number: f for f in letter.footnotes.all()}
        if "people" in names:
            if not fresh:
                letter.letter_people.all().delete()
            LetterPerson.objects.bulk_create(
                LetterPerson(letter=letter, person_id=person_id, role=role, name_as_written=as_written)
                for person_id, role, as_written in new["people"]
            )
        if rewrite_sources:
            if not fresh:
                letter.source_citations.all().delete()
            rows = [
                SourceCitation(
                    letter=letter,
                    footnote=footnotes.get(number),
                    source=self.source_for(repository, collection, box, folder, raw),
                    is_source_note=number in footnotes and footnotes[number].kind == Footnote.Kind.SOURCE,
                    raw=raw,
                )
                for number, repository, collection, box, folder, raw in new["sources"]
            ]
            SourceCitation.objects.bulk_create(rows)
            self.report.sources_cited += len(rows)
        if rewrite_references:
            if not fresh:
                letter.references.all().delete()
            CrossReference.objects.bulk_create(
                CrossReference(
                    letter=letter,
                    footnote=footnotes.get(number),
                    target_volume=volume,
                    target_number=target,
                    target_footnote=target_footnote,
                    text=text[:500],
                )
                for number, volume, target, target_footnote, text in new["references"]
            )
        if "terms" in names:
            letter.terms.set([self.terms[key] for key in new["terms"]])
        if not fresh and names & {"body", "people"}:  # annotations re-found in the new text (issue 8)
            reanchor_letter(letter, self.user)

    def resolve_references(self) -> set[int]:
        """Point every recorded reference at its target letter, wherever the target now exists."""
        target = Letter.objects.filter(
            volume__identifier=OuterRef("target_volume"), number=OuterRef("target_number")
        ).values("pk")[:1]
        # One query finds what now resolves (references into this volume, and from it); one writes.
        resolvable = (
            CrossReference.objects.filter(target__isnull=True, target_number__isnull=False)
            .filter(Q(target_volume=self.volume.identifier) | Q(letter__volume=self.volume))
            .annotate(found=Subquery(target))
            .filter(found__isnull=False)
            .values_list("pk", "found", "letter_id")
        )
        resolvable = list(resolvable)
        resolved = [CrossReference(pk=pk, target_id=found) for pk, found, _ in resolvable]
        if resolved:
            CrossReference.objects.bulk_update(resolved, ["target"], batch_size=500)
        # Of the references this import's letters make, those whose target is not in the catalog yet.
        # A reference to a whole volume has no letter to resolve to, so only document references count.
        self.report.unresolved_references = CrossReference.objects.filter(
            letter__volume=self.volume,
            letter__number__in=self.report.created + list(self.report.updated) + self.report.unchanged,
            target__isnull=True,
            target_number__isnull=False,
        ).count()
        # The letters whose references now resolve (their problems change).
        return {letter_id for _, _, letter_id in resolvable}

    def run(self, progress: Callable[[int], None] | None = None) -> ChangeReport:
        self.load_volume()
        for count, record in enumerate(self.parsed.letters, start=1):
            try:
                self.load_letter(record)
            except DatabaseError as error:
                # No savepoint needed to name the file: the volume is one transaction, rolled back whole.
                raise ParseError(
                    record.source_path,
                    record.source_line,
                    f"document {record.number} could not be stored: {str(error).strip()}",
                ) from None
            if progress:
                progress(count)
        self.finish()
        return self.report

    def finish(self) -> None:
        """The volume's end: the last batch, the drafts to publish, references, the review queue."""
        self.flush()
        for start in range(0, len(self.to_publish), 1000):
            now = timezone.now()
            self.report.published += Letter.objects.filter(
                pk__in=self.to_publish[start : start + 1000], status=Letter.Status.DRAFT, published_at__isnull=True
            ).update(status=Letter.Status.PUBLISHED, published_at=Coalesce("published_at", Value(now)), modified=now)
        Letter.objects.bulk_update(self.new_source_checksums, ["source_checksum"], batch_size=1000)
        self.sync_chapter_notes()
        touched = self.resolve_references()
        if self.volume_created:  # letters elsewhere that cite the volume: it is in the catalog now
            touched |= set(
                CrossReference.objects.filter(target_volume=self.volume.identifier).values_list("letter_id", flat=True)
            )
        # The review queue's stored problems (catalog/checks.py), for the letters this import touched.
        ids = sorted(self.report.written_ids | touched)
        for start in range(0, len(ids), BATCH_SIZE):  # in batches: memory stays bounded
            # The new letters from what the import holds (not read back), their stored counts corrected.
            checks.refresh_letters(ids[start : start + BATCH_SIZE], in_hand=self.checked)
        # The stored search index (catalog/search.py) of the letters written and not indexed with
        # their batch (the merged ones).
        search.reindex_letters(sorted(self.report.written_ids - self.indexed))
        # People's pages' side table (catalog/person_letters.py): the letters written, and those published here.
        person_letters.refresh_letters(self.report.written_ids | set(self.to_publish))
        # The file is skipped next time only if this import settled everything: a conflict (of a
        # letter, the volume, a term) is reported again by every import until an editor settles it.
        checksum = "" if self.report.conflicts else self.file_checksum
        letters = Letter.objects.filter(volume=self.volume).count()
        if (self.volume.import_checksum, self.volume.import_letters) != (checksum, letters):
            Volume.objects.filter(pk=self.volume.pk).update(import_checksum=checksum, import_letters=letters)
        # self.report.written_ids: every letter this volume's import created or updated.


def load_volume(
    parsed: ParsedVolume,
    *,
    publish: bool = False,
    dry_run: bool = False,
    force: bool = False,
    user=None,
    source_format: str = "text",
    progress: Callable[[int], None] | None = None,
    file_checksum: str = "",
) -> ChangeReport:
    """Write one parsed volume in one transaction; with ``dry_run`` report what would change and roll back.

    ``file_checksum`` (see ``skip_unchanged_file``) is stored on the volume once it is loaded.
    """
    loader = VolumeLoader(
        parsed, publish=publish, force=force, user=user, source_format=source_format, file_checksum=file_checksum
    )
    # People's pages' side table is refreshed once, at the volume's end (VolumeLoader.finish), not
    # by a signal per letter saved.
    with transaction.atomic(), person_letters.signals_paused():
        take_import_lock(parsed.source_path)
        report = loader.run(progress)
        caching.invalidate("import")  # on commit; nothing on a dry run's rollback
        report.dry_run = dry_run
        if dry_run:
            transaction.set_rollback(True)
    return report


def take_import_lock(source: str = "") -> None:
    """Imports into one database take turns: on PostgreSQL, a transaction-level advisory lock held
    until the volume's transaction ends (the outer one, when the volumes of a browser import are
    loaded together). Two imports at once would otherwise each create a person new to both (neither
    sees the other's uncommitted row) — two Person rows, or one refused for its duplicate slug.
    SQLite lets one writer at a time already. A wait is logged, so a slow start has a reason."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
        if cursor.fetchone()[0]:
            return
        logger.warning("%s: waiting for another import to finish (imports into one database take turns)", source)
        started = time.monotonic()
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
        logger.warning("%s: the other import finished after %.1f s; importing", source, time.monotonic() - started)


def skip_unchanged_file(
    file_checksum: str, *, source: str = "", publish: bool = False, dry_run: bool = False, force: bool = False
) -> ChangeReport | None:
    """The report of a file skipped by checksum, or None when it must be loaded.

    A file is skipped, unparsed, when it is byte for byte the one whose import last completed for
    its volume (``Volume.import_checksum``), and that import's outcome still stands: the volume holds
    the same number of letters, and none has an open conflict or a settled one waiting for the next
    import (``import_checksum`` cleared). Then loading it would find every document's checksum
    unchanged: the three-way merge has nothing to do. With ``force`` the file is always loaded. With
    ``publish`` the drafts are still published (one UPDATE).
    """
    if force or not file_checksum:
        return None
    volume = Volume.objects.filter(import_checksum=file_checksum).first()
    if volume is None:
        return None
    letters = Letter.objects.filter(volume=volume)
    numbers = list(letters.exclude(import_checksum="").order_by("number").values_list("number", flat=True))
    if len(numbers) != volume.import_letters or letters.count() != len(numbers):
        return None
    report = ChangeReport(
        volume=volume.identifier, source=source, dry_run=dry_run, unchanged=numbers, skipped_by_checksum=len(numbers)
    )
    if publish:
        with transaction.atomic():
            now = timezone.now()
            report.published = letters.filter(status=Letter.Status.DRAFT, published_at__isnull=True).update(
                status=Letter.Status.PUBLISHED, published_at=now, modified=now
            )
            if report.published:
                caching.invalidate("import")  # on commit; nothing on a dry run's rollback
                # People's pages count them now (the letters this UPDATE published carry its ``now``).
                person_letters.refresh_letters(letters.filter(published_at=now).values_list("pk", flat=True))
            if dry_run:
                transaction.set_rollback(True)
    return report
