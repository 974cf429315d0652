"""The RUM index (issue 12, PostgreSQL with the ``rum`` extension): ``ORDER BY search_vector <=>
query LIMIT n`` reads the top hits of a common word in the index's order, where ``ts_rank`` had to
read every hit's vector. Optional: created only where ``pg_available_extensions`` lists ``rum``
(Debian: ``postgresql-15-rum``) and the extension can be created (a superuser); elsewhere searches
use the GIN index of 0008 and ``ts_rank`` (``catalog.search.rum_index``). The GIN index stays: it
answers the matching (the count and facets) faster than RUM for a word in most letters."""

from django.db import migrations, transaction

INDEX = "letter_search_vector_rum"


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        if cursor.fetchone() is None:
            return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS rum")
    except Exception:  # noqa: BLE001 - not allowed here (no superuser): searches fall back to GIN
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_letter USING rum (search_vector rum_tsvector_ops)"
    )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_search4_facet_counts")]

    operations = [migrations.RunPython(forward, backward)]
