"""The RUM index (issue 12, PostgreSQL with the ``rum`` extension): ``ORDER BY search_vector <=>
query LIMIT n`` reads the top hits of a common word in the index's order, where ``ts_rank`` had to
read every hit's vector. Optional: created only where ``pg_available_extensions`` lists ``rum``
(Debian: ``postgresql-15-rum``) and the extension can be created (a superuser); elsewhere searches
use the GIN index of 0008 and ``ts_rank`` (``catalog.search.rum_index``). The GIN index stays: it
answers the matching (the count and facets) faster than RUM for a word in most letters.

Planner costs: ``@@`` (``ts_match_vq``), ``ts_rank`` and RUM's ``<=>`` cost 1 by default, as if
they were an integer comparison; on a stored vector (2–4 KB, out of line) each call reads and
copies the vector. With that cost PostgreSQL chose a sequential scan evaluating ``@@`` on every
letter for a word in half the letters (350 ms at 10k letters) over the bitmap scan of the index,
which needs no vector at all (116 ms). COST 100 (ts_headline's own) tells it. Set in this database's
catalog (superuser; skipped where not allowed: the plans are then the default ones); a dump and
restore does not carry it, this migration's ``forward`` can be run again (idempotent)."""

from django.db import migrations, transaction

INDEX = "letter_search_vector_rum"


COSTLY = ("ts_match_vq(tsvector, tsquery)", "ts_rank(tsvector, tsquery)", "ts_rank(real[], tsvector, tsquery)")


def set_costs(schema_editor, functions, cost: int) -> None:
    for function in functions:
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute(f"ALTER FUNCTION {function} COST {int(cost)}")
        except Exception:  # noqa: BLE001, S110 - not the owner: default plans
            pass


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    set_costs(schema_editor, COSTLY, 100)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        if cursor.fetchone() is None:
            return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS rum")
    except Exception:  # noqa: BLE001 - not allowed here (no superuser): searches fall back to GIN
        return
    set_costs(schema_editor, ["rum_ts_distance(tsvector, tsquery)"], 100)
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_letter USING rum (search_vector rum_tsvector_ops)"
    )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        set_costs(schema_editor, COSTLY, 1)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_search4_facet_counts")]

    operations = [migrations.RunPython(forward, backward)]
