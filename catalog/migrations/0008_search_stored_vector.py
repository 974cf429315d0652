"""The stored search index of PostgreSQL (issue 12): a weighted ``search_vector`` (heading A, body
B, footnotes C) and the letter's ``facet_keys``, both GIN-indexed and filled for every letter by
``catalog.search.reindex_letters``. Raw columns, no model fields (see catalog/search.py): nothing
on other databases, which search the texts directly.

The expression indexes of 0002 (heading+body) and 0006 (footnotes) are dropped: nothing queries
them any more, and each cost a ``to_tsvector`` per written row (imports, reindexing)."""

import importlib

from django.db import migrations

FORWARD = [
    "ALTER TABLE catalog_letter ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "ALTER TABLE catalog_letter ADD COLUMN IF NOT EXISTS facet_keys text[]",
    # Read whole by ts_rank for every hit: stored uncompressed out of line (no decompression).
    "ALTER TABLE catalog_letter ALTER COLUMN search_vector SET STORAGE EXTERNAL",
]
INDEXES = [
    "CREATE INDEX IF NOT EXISTS letter_search_vector_gin ON catalog_letter USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS letter_facet_keys_gin ON catalog_letter USING gin (facet_keys)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS letter_facet_keys_gin",
    "DROP INDEX IF EXISTS letter_search_vector_gin",
    "ALTER TABLE catalog_letter DROP COLUMN IF EXISTS facet_keys",
    "ALTER TABLE catalog_letter DROP COLUMN IF EXISTS search_vector",
]


OLD_INDEXES = ("letter_fulltext_gin", "footnote_fulltext_gin")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from catalog.search import reindex_letters

    for name in OLD_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for statement in FORWARD:
        schema_editor.execute(statement)
    reindex_letters(None)  # before the indexes: one bulk build each instead of row-by-row inserts
    for statement in INDEXES:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)
    old_letter = importlib.import_module("catalog.migrations.0002_letter_search_index")
    old_footnote = importlib.import_module("catalog.migrations.0006_public_catalog")
    old_letter.add_index(apps, schema_editor)
    old_footnote.add_footnote_index(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_merge_roles")]

    operations = [migrations.RunPython(forward, backward)]
