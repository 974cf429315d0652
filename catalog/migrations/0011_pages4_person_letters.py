"""People's pages' side table (issue 12), filled from the published letters' people: one
set-based INSERT on PostgreSQL, ``catalog.person_letters.rebuild`` elsewhere."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL_SQL = """
INSERT INTO catalog_personletter
    (person_id, letter_id, role, name_as_written, date_min, year, volume_identifier, number, first)
SELECT lp.person_id, l.id, lp.role, lp.name_as_written, l.date_min,
       extract(year FROM l.date_min AT TIME ZONE %s)::int, v.identifier, l.number,
       row_number() OVER (
           PARTITION BY lp.person_id, lp.letter_id
           ORDER BY CASE lp.role WHEN 'sender' THEN 0 WHEN 'recipient' THEN 1 ELSE 2 END
       ) = 1
FROM catalog_letterperson lp
JOIN catalog_letter l ON l.id = lp.letter_id
JOIN catalog_volume v ON v.id = l.volume_id
WHERE l.status = 'published'
"""
PAIRS_SQL = """
INSERT INTO catalog_correspondence (person_id, other_id, letters)
SELECT a.person_id, b.person_id, COUNT(DISTINCT a.letter_id)
FROM catalog_personletter a
JOIN catalog_personletter b ON b.letter_id = a.letter_id AND b.person_id <> a.person_id
WHERE a.role IN ('sender', 'recipient') AND b.role IN ('sender', 'recipient')
GROUP BY a.person_id, b.person_id
"""
COUNTS_SQL = """
INSERT INTO catalog_personcount (person_id, key, n)
SELECT person_id, role, COUNT(*) FROM catalog_personletter GROUP BY person_id, role
UNION ALL
SELECT person_id, 'y:' || coalesce(year::text, ''), COUNT(*) FROM catalog_personletter WHERE first
GROUP BY person_id, year
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_SQL, [settings.TIME_ZONE])
        schema_editor.execute(PAIRS_SQL)
        schema_editor.execute(COUNTS_SQL)
        return
    from catalog.person_letters import rebuild

    rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0010_letter_volume_status"),
    ]

    operations = [
        migrations.CreateModel(
            name="Correspondence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("letters", models.PositiveIntegerField()),
                (
                    "other",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.person"
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.person",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("person", "other"), name="unique_correspondence")],
            },
        ),
        migrations.CreateModel(
            name="PersonCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=16)),
                ("n", models.PositiveIntegerField()),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.person",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("person", "key"), name="unique_person_count")],
            },
        ),
        migrations.CreateModel(
            name="PersonLetter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[("sender", "Sender"), ("recipient", "Recipient"), ("mentioned", "Mentioned")],
                        max_length=10,
                    ),
                ),
                ("name_as_written", models.CharField(blank=True, max_length=300)),
                ("date_min", models.DateTimeField(blank=True, null=True)),
                (
                    "year",
                    models.SmallIntegerField(
                        blank=True, help_text="Of date_min, in the project's time zone", null=True
                    ),
                ),
                ("volume_identifier", models.CharField(max_length=64)),
                ("number", models.PositiveIntegerField()),
                ("first", models.BooleanField(default=True)),
                (
                    "letter",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.letter",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.person",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["person", "role", "date_min", "volume_identifier", "number", "letter"],
                        name="personletter_page",
                    ),
                    models.Index(
                        condition=models.Q(("first", True)), fields=["person", "year"], name="personletter_year"
                    ),
                    models.Index(fields=["letter", "role", "person"], name="personletter_letter"),
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
