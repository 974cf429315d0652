"""An index for the administration-filtered list (issue 12, PostgreSQL and SQLite alike).

``/letters/?administration=…`` is ordered by date: with only ``(status, date_min)`` PostgreSQL
walks the dates from the first letter and filters, expecting a uniform spread, but an
administration's letters are one stretch of dates — at 300k letters it skipped 166,141 index
entries before the first of Roosevelt's (417 ms). ``(status, administration, date_min)`` starts at
them. Raw SQL, as the other search indexes (no model state changes)."""

from django.db import migrations

INDEX = "letter_status_administration_date"


class Migration(migrations.Migration):
    dependencies = [("catalog", "0012_search4_rum")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_letter (status, administration, date_min)",
            f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
