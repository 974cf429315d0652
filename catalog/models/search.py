"""The public search table of PostgreSQL (issue 12): one narrow row per *published* letter.

``catalog_searchdoc`` holds what a search's count and facets need and nothing else: the letter's
stored search vector (kept out of line, so the rows stay ~100 bytes), its date and its facet keys as
integers (``catalog_facetkey`` numbers each text key of ``catalog_letter.facet_keys`` once and for
ever), twice: an ``int[]`` for a selection's ``&&`` (GIN) and the same numbers packed as big-endian
int32 bytes, which one ``string_agg`` hands to the application to count (``catalog.facets``).

Both tables are written by the database alone — statement-level triggers on ``catalog_letter``
(migration 0015_search5_searchdoc) — so no code path can forget them, and an unpublished letter is
never in them. These models are unmanaged and only read; other databases have no such tables.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class FacetKey(models.Model):
    """A facet key (``vol:12``, ``person:7``, ``year:1978`` …) and its number; never renumbered."""

    id = models.AutoField(primary_key=True)
    key = models.TextField(unique=True)

    class Meta:
        managed = False
        db_table = "catalog_facetkey"

    def __str__(self):
        return self.key


class SearchDoc(models.Model):
    """A published letter as the search's counting pass reads it."""

    letter = models.OneToOneField(
        "catalog.Letter", primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    date_min = models.DateTimeField(null=True)
    vector = SearchVectorField(null=True)
    packed = models.BinaryField()

    class Meta:
        managed = False
        db_table = "catalog_searchdoc"

    def __str__(self):
        return f"search row of letter {self.letter_id}"
