"""Export the whole catalog to a file and load it into an empty database, record by record.

Every model of the ``catalog`` app and its many-to-many link tables is exported (so a model added
later is included without change): volumes, chapters, terms, letters with their workflow state
and import snapshots, footnotes, cross-references, people, identifiers, sources, citations and
the revision history. Records keep their primary keys, so links between them and addresses stay
the same. Users are referred to by
username; a username that the target database lacks is created there inactive, without a usable
password (history keeps its author; an administrator may activate the account).

The format is JSON Lines: a header line, then one record per line in Django's serialization
(``{"model": "catalog.letter", "pk": 1, "fields": {...}}``), written and read one record at a time.

Why not plain ``dumpdata``/``loaddata``: they would do for the records, but the catalog's models
have no natural keys, the users that history names must exist before loading, and loading into a
database that already holds a catalog must be refused rather than merged.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from typing import IO

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from catalog import caching, person_letters, search

FORMAT = "letterbook-catalog"
VERSION = 1


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it cuts them to milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """A file that is not a catalog export, or a database that is not empty; nothing was written."""


def catalog_models() -> list:
    """Every catalog model, with the link tables of many-to-many fields as models of their own, so
    that a link keeps its id (a volume's sources are listed in the order their links were made).
    Unmanaged models are left out: the public search table and its key numbers (migration 0015) are
    derived from the letters by the database's triggers, and rebuilt as the letters load."""
    return [m for m in apps.get_app_config("catalog").get_models(include_auto_created=True) if m._meta.managed]


def _columns(model) -> list[str]:
    """The fields stored in the model's own table (many-to-many links travel as their own records)."""
    return [f.name for f in model._meta.concrete_fields if not f.primary_key]


def _user_fields(model) -> list[str]:
    user_model = get_user_model()
    return [f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model]


def export_catalog(out: IO[str]) -> dict[str, int]:
    """Write every catalog record to ``out``; return the count per model (``catalog.letter``: 12)."""
    counts: dict[str, int] = {}
    out.write(json.dumps({"format": FORMAT, "version": VERSION}) + "\n")
    for model in catalog_models():
        label = model._meta.label_lower
        counts[label] = 0
        for record in serializers.serialize(
            "python",
            model._default_manager.order_by("pk").iterator(chunk_size=500),
            fields=_columns(model),
            use_natural_foreign_keys=True,
        ):
            out.write(json.dumps(record, cls=_Encoder, ensure_ascii=False) + "\n")
            counts[label] += 1
    return counts


def _records(lines: Iterable[str], name: str) -> Iterator[tuple[int, dict]]:
    lines = iter(lines)
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError):
        raise BackupError(f"{name}:1: expected a {FORMAT} header line") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != VERSION:
        raise BackupError(f"{name}:1: expected a {FORMAT} version {VERSION} header, found {str(header)[:80]}")
    known = {model._meta.label_lower for model in catalog_models()}
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise BackupError(f"{name}:{number}: expected one JSON record ({error})") from None
        if not isinstance(record, dict) or record.get("model") not in known or "fields" not in record:
            raise BackupError(f"{name}:{number}: expected a catalog record, found {line[:80]!r}")
        yield number, record


def load_catalog(lines: Iterable[str], name: str = "<export>") -> dict[str, int]:
    """Load an export into a database whose catalog is empty, in one transaction; return the counts.

    Raises BackupError (naming file and line) and writes nothing when the file is not an export,
    a record does not fit, or the catalog already holds records.
    """
    models = catalog_models()
    filled = [m._meta.label_lower for m in models if m._default_manager.exists()]
    if filled:
        raise BackupError(f"the database already holds a catalog ({', '.join(filled[:3])} …): load into an empty one")
    user_model = get_user_model()
    user_fields = {m._meta.label_lower: _user_fields(m) for m in models}
    counts = {m._meta.label_lower: 0 for m in models}
    with transaction.atomic(), connection.constraint_checks_disabled():
        for number, record in _records(lines, name):
            for field in user_fields[record["model"]]:
                natural = record["fields"].get(field)
                if natural:
                    _ensure_user(user_model, natural)
            try:
                for obj in serializers.deserialize("python", [record], handle_forward_references=True):
                    obj.save()
            except Exception as error:  # a record that does not fit its model: name the line
                raise BackupError(f"{name}:{number}: {record['model']} {record.get('pk')}: {error}") from None
            counts[record["model"]] += 1
        try:
            connection.check_constraints(table_names=[m._meta.db_table for m in models])
        except Exception as error:
            raise BackupError(f"{name}: records refer to records the file does not hold: {error}") from None
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        search.reindex_letters(None)  # every letter's stored search index
        if not counts["catalog.personletter"]:
            # An export from before people's pages had side tables: derive them from the letters.
            person_letters.rebuild()
        caching.invalidate("catalog loaded")  # raw saves send no invalidating signal
    return counts


def _ensure_user(user_model, natural) -> None:
    username = natural[0] if isinstance(natural, list | tuple) else natural
    if not isinstance(username, str) or user_model._default_manager.filter(username=username).exists():
        return
    user = user_model(username=username, is_active=False)
    user.set_unusable_password()
    user.save()
