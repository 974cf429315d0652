"""Joins the two 0008 branches of this session (import checksums; stored search vector and facet keys)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_importspeed_checksums"),
        ("catalog", "0008_search_stored_vector"),
    ]

    operations = []
