"""A GIN index for full-text search on PostgreSQL; nothing on other databases."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX_NAME = "letter_fulltext_gin"


def index():
    from catalog.search import search_vector

    return GinIndex(search_vector(), name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("catalog", "Letter"), index())


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("catalog", "Letter"), index())


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(add_index, remove_index)]
