"""Facet counts of the whole published catalog, kept exact by the database (issue 12, PostgreSQL).

``catalog_facetcount(key, n)``: for every facet key of ``catalog_letter.facet_keys`` (migration
0008), the number of *published* letters carrying it, and ``#``: the number of published letters.
Statement-level triggers on ``catalog_letter`` (transition tables: one aggregated upsert per
INSERT, UPDATE or DELETE statement, whatever the number of rows) apply the difference of every
statement that changes a letter's status or facet keys — a publish, a withdrawal, a reindex, an
import, a delete — and a TRUNCATE empties it. No code path can forget it: a withdrawn letter is
never counted. ``/letters/`` reads its facets from here instead of a pass over every letter
(``catalog.queries.stored_facets``). Rows whose count fell to 0 stay (read with ``n > 0``).

A raw table, no model (like the columns of 0008): nothing on other databases."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION catalog_facetcount_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM catalog_facetcount;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO catalog_facetcount AS c (key, n)
        SELECT k, count(*) FROM new_rows r, unnest(r.facet_keys || '{#}'::text[]) k
        WHERE r.status = 'published' GROUP BY k ORDER BY k
        ON CONFLICT (key) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO catalog_facetcount AS c (key, n)
        SELECT k, -count(*) FROM old_rows r, unnest(r.facet_keys || '{#}'::text[]) k
        WHERE r.status = 'published' GROUP BY k ORDER BY k
        ON CONFLICT (key) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSE
        INSERT INTO catalog_facetcount AS c (key, n)
        SELECT k, sum(d) FROM (
            SELECT o.status AS os, o.facet_keys AS ok, w.status AS ns, w.facet_keys AS nk
            FROM old_rows o JOIN new_rows w ON w.id = o.id
            WHERE o.status IS DISTINCT FROM w.status OR o.facet_keys IS DISTINCT FROM w.facet_keys
        ) changed
        CROSS JOIN LATERAL (
            SELECT k, -1 AS d FROM unnest(changed.ok || '{#}'::text[]) k WHERE changed.os = 'published'
            UNION ALL
            SELECT k, 1 AS d FROM unnest(changed.nk || '{#}'::text[]) k WHERE changed.ns = 'published'
        ) keys
        GROUP BY k HAVING sum(d) <> 0 ORDER BY k
        ON CONFLICT (key) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$
"""

FORWARD = [
    "CREATE TABLE IF NOT EXISTS catalog_facetcount (key text PRIMARY KEY, n bigint NOT NULL)",
    FUNCTION,
    "DROP TRIGGER IF EXISTS catalog_facetcount_ins ON catalog_letter",
    "DROP TRIGGER IF EXISTS catalog_facetcount_upd ON catalog_letter",
    "DROP TRIGGER IF EXISTS catalog_facetcount_del ON catalog_letter",
    "DROP TRIGGER IF EXISTS catalog_facetcount_trunc ON catalog_letter",
    "CREATE TRIGGER catalog_facetcount_ins AFTER INSERT ON catalog_letter REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalog_facetcount_apply()",
    "CREATE TRIGGER catalog_facetcount_upd AFTER UPDATE ON catalog_letter"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalog_facetcount_apply()",
    "CREATE TRIGGER catalog_facetcount_del AFTER DELETE ON catalog_letter REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalog_facetcount_apply()",
    "CREATE TRIGGER catalog_facetcount_trunc AFTER TRUNCATE ON catalog_letter"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalog_facetcount_apply()",
]
FILL = """
INSERT INTO catalog_facetcount (key, n)
SELECT k, count(*) FROM catalog_letter l, unnest(l.facet_keys || '{#}'::text[]) k
WHERE l.status = 'published' GROUP BY k
"""
BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_facetcount_ins ON catalog_letter",
    "DROP TRIGGER IF EXISTS catalog_facetcount_upd ON catalog_letter",
    "DROP TRIGGER IF EXISTS catalog_facetcount_del ON catalog_letter",
    "DROP TRIGGER IF EXISTS catalog_facetcount_trunc ON catalog_letter",
    "DROP FUNCTION IF EXISTS catalog_facetcount_apply()",
    "DROP TABLE IF EXISTS catalog_facetcount",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)
    schema_editor.execute("DELETE FROM catalog_facetcount")
    schema_editor.execute(FILL)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_letter_volume_status")]

    operations = [migrations.RunPython(forward, backward)]
