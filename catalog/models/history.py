from django.conf import settings
from django.db import models


class Revision(models.Model):
    """One change to a letter: who (an editor, or an import), when, and each field's old and new value.

    Corrections are never lost: every save through the admin and every import that changes a letter
    writes one, and an import that meets an editor's correction records the conflict here too.
    """

    class Origin(models.TextChoices):
        EDITOR = "editor", "Editor"
        IMPORT = "import", "Import"
        FORCED_IMPORT = "forced", "Import (forced over an editor's value)"
        CONFLICT = "conflict", "Import conflict (editor's value kept)"
        MERGE = "merge", "People merged"
        REVERT = "revert", "Reverted"
        SPREADSHEET = "spreadsheet", "Spreadsheet import"

    # History outlives its letter: deleting a letter keeps its revisions, labelled.
    letter = models.ForeignKey(
        "catalog.Letter", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    letter_label = models.CharField(max_length=200, blank=True, help_text="e.g. frus1969-76v33 d193")
    # A change to another record (a person, an archival source, a volume): its kind, id and name.
    target_model = models.CharField(
        max_length=30, blank=True, db_index=True, help_text="person, archivalsource, volume"
    )
    target_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    target_label = models.CharField(max_length=300, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    origin = models.CharField(max_length=12, choices=Origin.choices)
    changes = models.JSONField(default=dict, help_text='{"field": [old, new]}')
    comment = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.get_origin_display()} {self.created:%Y-%m-%d %H:%M}: {', '.join(self.changes)}"

    def save(self, *args, **kwargs):
        if self.letter_id and not self.letter_label:
            self.letter_label = f"{self.letter.volume.identifier} d{self.letter.number}"
        super().save(*args, **kwargs)
