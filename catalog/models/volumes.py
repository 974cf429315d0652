from django.db import models

from catalog.addresses import address


class Volume(models.Model):
    """A published volume of documents, e.g. ``frus1969-76v33``."""

    identifier = models.SlugField(max_length=64, unique=True, help_text="e.g. frus1969-76v33")
    title = models.CharField(max_length=500, blank=True)
    series = models.CharField(max_length=200, blank=True)
    subseries = models.CharField(max_length=100, blank=True)
    volume_number = models.CharField(max_length=50, blank=True)
    editors = models.JSONField(default=list, blank=True, help_text='[{"name": …, "role": …}]')
    year_published = models.PositiveSmallIntegerField(null=True, blank=True)
    import_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    # The SHA-256 of the file(s) last imported whole, and how many letters that import left: an
    # unchanged file is skipped by checksum (catalog/ingest/loader.py, issue 13).
    import_checksum = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    import_letters = models.PositiveIntegerField(null=True, blank=True, editable=False)
    sources_consulted = models.ManyToManyField(
        "catalog.ArchivalSource", blank=True, related_name="volumes", help_text="The volume's own list of sources"
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["identifier"]

    def __str__(self):
        return self.title or self.identifier

    def get_absolute_url(self):
        return address("catalog:volume", self.identifier)


class Chapter(models.Model):
    """A chapter or compilation of a volume, as its table of contents lists it."""

    volume = models.ForeignKey(Volume, on_delete=models.CASCADE, related_name="chapters")
    xml_id = models.CharField(max_length=64)
    title = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, default="chapter")
    order = models.PositiveIntegerField(default=0)
    # Footnotes printed on the chapter's heading, outside any document ("Continued from …"), with
    # their printed numbers: [{"number": 1, "kind": "editorial", "text": "…", "content": [...]}].
    notes = models.JSONField(default=list, blank=True)
    modified = models.DateTimeField(auto_now=True)  # the version token of optimistic locking

    class Meta:
        ordering = ["volume", "order"]
        constraints = [models.UniqueConstraint(fields=["volume", "xml_id"], name="unique_chapter_per_volume")]

    def __str__(self):
        return self.title


class Term(models.Model):
    """An abbreviation or code name from a volume's terms list (``SALT``: strategic arms …)."""

    volume = models.ForeignKey(Volume, on_delete=models.CASCADE, related_name="terms")
    xml_id = models.CharField(max_length=64)
    term = models.CharField(max_length=200)
    expansion = models.TextField(blank=True)
    import_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    modified = models.DateTimeField(auto_now=True)  # the version token of optimistic locking

    class Meta:
        ordering = ["volume", "term"]
        constraints = [models.UniqueConstraint(fields=["volume", "xml_id"], name="unique_term_per_volume")]

    def __str__(self):
        return self.term
