from django.db import models


class ArchivalSource(models.Model):
    """A file in an archive: repository, collection path, box and folder."""

    repository = models.CharField(max_length=300, db_index=True)
    collection = models.CharField(max_length=500, blank=True)
    box = models.CharField(max_length=50, blank=True)
    folder = models.CharField(max_length=500, blank=True)
    raw = models.TextField(help_text="The citation as first printed")
    modified = models.DateTimeField(auto_now=True)  # the version token of optimistic locking

    class Meta:
        ordering = ["repository", "collection", "box", "folder"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "collection", "box", "folder"], name="unique_archival_source")
        ]

    def __str__(self):
        return self.raw


class SourceCitation(models.Model):
    """Which footnote of which letter cites which archival source."""

    letter = models.ForeignKey("catalog.Letter", on_delete=models.CASCADE, related_name="source_citations")
    footnote = models.ForeignKey(
        "catalog.Footnote", null=True, blank=True, on_delete=models.CASCADE, related_name="source_citations"
    )
    source = models.ForeignKey(ArchivalSource, on_delete=models.PROTECT, related_name="citations")
    is_source_note = models.BooleanField(default=False)
    raw = models.TextField(blank=True, help_text="The citation as printed in this footnote")

    class Meta:
        ordering = ["letter", "footnote__number"]

    def __str__(self):
        return f"{self.letter} ← {self.source}"
