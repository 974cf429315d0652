from django.db import models


class ErrorReport(models.Model):
    """A reader's report of an error in a published letter, for editors to review."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        DONE = "done", "Dealt with"
        DISMISSED = "dismissed", "Dismissed"

    letter = models.ForeignKey("catalog.Letter", on_delete=models.CASCADE, related_name="error_reports")
    message = models.TextField(max_length=4000)
    email = models.EmailField(blank=True, help_text="Optional: where the editors may reply")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"Report on {self.letter_id} ({self.get_status_display()})"
