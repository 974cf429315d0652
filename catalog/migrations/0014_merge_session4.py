"""Joins session 4's branches: people's pages' side tables (pages4) and the kept facet counts, RUM
index and list index (search4). Nothing to do: they touch different tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0011_pages4_person_letters"),
        ("catalog", "0013_search4_list_index"),
    ]

    operations = []
