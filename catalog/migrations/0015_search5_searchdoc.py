"""The public search table (issue 12, PostgreSQL): ``catalog_searchdoc`` and ``catalog_facetkey``
(see ``catalog/models/search.py``), kept by statement-level triggers on ``catalog_letter``.

Why: a common word ("President", 70–80 % of the letters) made the count-and-facets pass read the
letters' heap — every page of it, bodies and snapshots inline (358 MB at 300k letters) — and then
unnest 14 text keys a hit. The search table is ~100 bytes a row: the stored vector kept out of
line (``STORAGE EXTERNAL`` with ``toast_tuple_target = 128``; the GIN index answers a word or an
AND/OR of words without rechecking, so the heap tuple's vector is never read), the date, and the
facet keys as integers. One ``string_agg`` of the packed keys of the hits is counted by the
application (``catalog.facets``).

The triggers (one statement per statement, whatever its number of rows, as 0011's counts):

- INSERT / UPDATE of ``catalog_letter``: letters no longer published leave the table; published
  letters whose status, date, facet keys or vector changed are (re)written, their new keys
  numbered first;
- DELETE: their rows go; TRUNCATE: the table is emptied (the key numbers stay: never reused).

A raw table, as 0008's columns and 0011's counts: nothing on other databases. The models are
unmanaged (read-only, for querying)."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models, transaction

UPSERT = """
    INSERT INTO catalog_facetkey (key)
    SELECT DISTINCT k FROM {rows} n, unnest(n.facet_keys) k
    WHERE n.status = 'published' AND NOT EXISTS (SELECT 1 FROM catalog_facetkey f WHERE f.key = k)
    ORDER BY k
    ON CONFLICT (key) DO NOTHING;
    INSERT INTO catalog_searchdoc AS s (letter_id, date_min, vector, keys, packed)
    SELECT n.id, n.date_min, n.search_vector, ks.ids, ks.packed
    FROM {rows} n
    CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(f.id ORDER BY f.id), '{{}}'::integer[]) AS ids,
               coalesce(string_agg(int4send(f.id), ''::bytea ORDER BY f.id), ''::bytea) AS packed
        FROM catalog_facetkey f WHERE f.key = ANY(n.facet_keys)
    ) ks
    WHERE n.status = 'published'
    ON CONFLICT (letter_id) DO UPDATE
        SET date_min = EXCLUDED.date_min, vector = EXCLUDED.vector, keys = EXCLUDED.keys, packed = EXCLUDED.packed;
"""
CHANGED = """(
    SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.status = 'published' AND (
        o.status IS DISTINCT FROM n.status OR o.date_min IS DISTINCT FROM n.date_min
        OR o.facet_keys IS DISTINCT FROM n.facet_keys OR o.search_vector IS DISTINCT FROM n.search_vector)
)"""

FUNCTION = f"""
CREATE OR REPLACE FUNCTION catalog_searchdoc_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM catalog_searchdoc;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM catalog_searchdoc s USING old_rows o WHERE s.letter_id = o.id;
    ELSIF TG_OP = 'INSERT' THEN
        {UPSERT.format(rows="new_rows")}
    ELSE
        DELETE FROM catalog_searchdoc s USING new_rows n WHERE s.letter_id = n.id AND n.status <> 'published';
        {UPSERT.format(rows=CHANGED)}
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGERS = {
    "catalog_searchdoc_ins": "AFTER INSERT ON catalog_letter REFERENCING NEW TABLE AS new_rows",
    "catalog_searchdoc_upd": "AFTER UPDATE ON catalog_letter REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "catalog_searchdoc_del": "AFTER DELETE ON catalog_letter REFERENCING OLD TABLE AS old_rows",
    "catalog_searchdoc_trunc": "AFTER TRUNCATE ON catalog_letter",
}

FORWARD = [
    "CREATE TABLE IF NOT EXISTS catalog_facetkey (id serial PRIMARY KEY, key text NOT NULL UNIQUE)",
    """CREATE TABLE IF NOT EXISTS catalog_searchdoc (
        letter_id integer PRIMARY KEY,
        date_min timestamp with time zone,
        vector tsvector,
        keys integer[] NOT NULL,
        packed bytea NOT NULL
    ) WITH (toast_tuple_target = 128)""",
    "ALTER TABLE catalog_searchdoc ALTER COLUMN vector SET STORAGE EXTERNAL",
    "ALTER TABLE catalog_searchdoc ALTER COLUMN keys SET STORAGE MAIN",
    "ALTER TABLE catalog_searchdoc ALTER COLUMN packed SET STORAGE MAIN",
    FUNCTION,
    *[f"DROP TRIGGER IF EXISTS {name} ON catalog_letter" for name in TRIGGERS],
    *[f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION catalog_searchdoc_apply()" for name, when in TRIGGERS.items()],
]
FILL = [
    "DELETE FROM catalog_searchdoc",
    """INSERT INTO catalog_facetkey (key)
       SELECT DISTINCT k FROM catalog_letter l, unnest(l.facet_keys) k WHERE l.status = 'published' ORDER BY k
       ON CONFLICT (key) DO NOTHING""",
    UPSERT.format(rows="catalog_letter").split(";")[1],
]
# The vector's index: RUM where migration 0012 could create the extension — it keeps the words'
# positions, so a phrase is answered by the index alone (1.5 ms against 27 ms of GIN's recheck of
# every candidate's vector, out of line, at 10k letters) — else GIN. One of them only: given both,
# the planner may take GIN for a phrase.
VECTOR_INDEX = {
    True: "CREATE INDEX IF NOT EXISTS searchdoc_vector_rum ON catalog_searchdoc USING rum (vector rum_tsvector_ops)",
    False: "CREATE INDEX IF NOT EXISTS searchdoc_vector_gin ON catalog_searchdoc USING gin (vector)",
}
INDEXES = [
    # Words (no phrase) are matched on the stripped vector: GIN answers them from its posting lists
    # alone (a bitmap, no row's vector read), faster than RUM for a common word (19 ms against 84 ms
    # for 219,316 hits at 332k letters). A separate expression, so the planner never takes it for a
    # phrase, which needs RUM's positions (GIN rechecked 88,204 candidates' vectors: 0.8 s).
    "CREATE INDEX IF NOT EXISTS searchdoc_words_gin ON catalog_searchdoc USING gin (strip(vector))",
    "CREATE INDEX IF NOT EXISTS searchdoc_keys_gin ON catalog_searchdoc USING gin (keys)",
    "CREATE INDEX IF NOT EXISTS searchdoc_date ON catalog_searchdoc (date_min)",
]
BACKWARD = [
    *[f"DROP TRIGGER IF EXISTS {name} ON catalog_letter" for name in TRIGGERS],
    "DROP FUNCTION IF EXISTS catalog_searchdoc_apply()",
    "DROP TABLE IF EXISTS catalog_searchdoc",
    "DROP TABLE IF EXISTS catalog_facetkey",
]


# 0012's RUM index on the letters moves here: on ``catalog_letter`` every new row version of any
# letter — a draft's import, an edit, a withdrawal — paid a RUM insertion (no pending list as GIN's):
# withdrawing a volume of 1,404 letters took 13 s, 1.1 s without it (10k letters, measured). On the
# search table only publishing pays it, and the relevance order reads its top hits from here
# (``catalog.facets.top_hits``). The letters keep their GIN index.
LETTER_RUM = "letter_search_vector_rum"


def has_rum(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'rum'")
        return cursor.fetchone() is not None


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    rum = has_rum(schema_editor.connection)
    for statement in [*FORWARD, *FILL, VECTOR_INDEX[rum], *INDEXES, f"DROP INDEX IF EXISTS {LETTER_RUM}"]:
        schema_editor.execute(statement)
    schema_editor.execute("ANALYZE catalog_searchdoc")
    # ``strip`` reads and copies a whole vector (out of line): at its default cost of 1 the planner
    # tested the words on every row a selective facet's index gave (9,776 vectors, 60 ms) instead of
    # combining both indexes (172 against 305 ms for "President" + 3 filters at 332k letters).
    # As 0012's costs: a superuser's catalog change, skipped where not allowed.
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("ALTER FUNCTION strip(tsvector) COST 1000")
    except Exception:  # noqa: BLE001, S110 - not the owner: default plans
        pass


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)
    if has_rum(schema_editor.connection):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {LETTER_RUM} ON catalog_letter USING rum (search_vector rum_tsvector_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0014_merge_session4")]

    operations = [
        migrations.CreateModel(
            name="FacetKey",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("key", models.TextField(unique=True)),
            ],
            options={"db_table": "catalog_facetkey", "managed": False},
        ),
        migrations.CreateModel(
            name="SearchDoc",
            fields=[
                (
                    "letter",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="catalog.letter",
                    ),
                ),
                ("date_min", models.DateTimeField(null=True)),
                ("vector", django.contrib.postgres.search.SearchVectorField(null=True)),
                ("packed", models.BinaryField()),
            ],
            options={"db_table": "catalog_searchdoc", "managed": False},
        ),
        migrations.RunPython(forward, backward),
    ]
