"""ImportRun: one import of volumes, from the browser (a dry run, then the confirmed import) or the command."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models


class ImportRun(models.Model):
    """Who imported which files (with their checksums), with which options, how it went, and the report.

    A browser upload makes a dry run first; confirming it makes a second run (``dry_run_of`` points
    back to it) that imports the same stored files.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Origin(models.TextChoices):
        UPLOAD = "upload", "Browser upload"
        COMMAND = "command", "import_volume command"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_runs"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.UPLOAD)
    dry_run = models.BooleanField(default=False, help_text="Report only: nothing written")
    dry_run_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="confirmations"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    options = models.JSONField(default=dict, blank=True, help_text='{"volume", "title", "publish", "force"}')
    files = models.JSONField(default=list, blank=True, help_text='[{"name", "size", "sha256", "path"}]')
    directory = models.CharField(max_length=200, blank=True, help_text="Where the files are kept, under MEDIA_ROOT")
    report = models.JSONField(default=dict, blank=True, help_text='{"volumes": [...], "failures": [...]}')
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The background job's id")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        permissions = [("run_import", "Can import volumes from the browser")]

    def __str__(self):
        kind = "Dry run" if self.dry_run else "Import"
        return f"{kind} #{self.pk} ({self.get_status_display().lower()})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def folder(self) -> Path | None:
        return Path(settings.MEDIA_ROOT) / self.directory if self.directory else None

    def paths(self) -> list[Path]:
        """The files to import: stored uploads (a zip's extracted entries in its place), or the command's paths."""
        paths = []
        for entry in self.files:
            for item in entry.get("entries") or [entry]:
                path = Path(item["path"])
                paths.append(path if path.is_absolute() else Path(settings.MEDIA_ROOT) / path)
        return paths

    @property
    def volumes(self) -> list[str]:
        return [volume["volume"] for volume in (self.report or {}).get("volumes", [])]
