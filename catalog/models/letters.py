from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from catalog import administrations
from catalog.addresses import address
from catalog.body import flatten, validate_body
from catalog.vocabulary import DOC_TYPE_CHOICES

from .volumes import Chapter, Term, Volume


def sees_unpublished(user) -> bool:
    """Whether ``user`` may see letters that are not published (staff): the one rule behind
    ``LetterQuerySet.visible_to`` and ``Letter.is_visible_to``."""
    return bool(user is not None and user.is_active and user.is_staff)


class LetterQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Letter.Status.PUBLISHED)

    def visible_to(self, user):
        if sees_unpublished(user):
            return self
        return self.published()


class Letter(models.Model):
    """One numbered document of a volume: a letter, memorandum, telegram, editorial note …"""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "review", "In review"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class DatePrecision(models.TextChoices):
        UNKNOWN = "", "Undated"
        YEAR = "year", "Year"
        MONTH = "month", "Month"
        DAY = "day", "Day"
        TIME = "time", "Time"

    volume = models.ForeignKey(Volume, on_delete=models.PROTECT, related_name="letters")
    number = models.PositiveIntegerField(help_text="Document number in the volume")
    xml_id = models.CharField(max_length=64, blank=True, help_text="e.g. d193")
    chapter = models.ForeignKey(Chapter, null=True, blank=True, on_delete=models.SET_NULL, related_name="letters")
    title = models.CharField(max_length=1000, help_text="The heading, without its footnote marker")
    doc_type = models.CharField(
        "document type", max_length=40, blank=True, choices=[(c, c.capitalize()) for c in DOC_TYPE_CHOICES]
    )
    date_min = models.DateTimeField(null=True, blank=True)
    date_max = models.DateTimeField(null=True, blank=True)
    date_precision = models.CharField(max_length=10, blank=True, choices=DatePrecision.choices)
    place = models.CharField(max_length=200, blank=True)
    dateline = models.CharField(max_length=500, blank=True)
    classification = models.CharField(max_length=200, blank=True, help_text='As printed, e.g. "Secret; Nodis"')
    page_start = models.PositiveIntegerField(null=True, blank=True)
    page_end = models.PositiveIntegerField(null=True, blank=True)
    body = models.JSONField(default=list, blank=True, help_text="Blocks with inline marks; see catalog/body.py")
    body_text = models.TextField(blank=True, editable=False)
    terms = models.ManyToManyField(Term, blank=True, related_name="letters")
    # -- the editorial workflow (rules in catalog/workflow.py, checks in catalog/checks.py) --------
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # The presidential administration of ``date_min`` (catalog/administrations.py), refreshed on save.
    administration = models.CharField(
        max_length=20, blank=True, editable=False, db_index=True, choices=administrations.CHOICES
    )
    published_at = models.DateTimeField(null=True, blank=True)
    provisional = models.BooleanField(default=False, help_text="Published before full review; labelled so publicly")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_letters",
        help_text="The reviewer this letter waits for",
    )
    problem_count = models.PositiveIntegerField(default=0, db_index=True, editable=False)
    # -----------------------------------------------------------------------------------------------
    # The values of the last import, per field: tells an editor's correction from an old import.
    import_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    import_checksum = models.CharField(max_length=64, blank=True, editable=False)
    # The SHA-256 of the document as the file holds it (its XML, its chapter, the volume's front
    # matter): an unchanged document is skipped before it is even turned into a record (issue 13).
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    objects = LetterQuerySet.as_manager()

    class Meta:
        ordering = ["volume__identifier", "number"]
        constraints = [
            models.UniqueConstraint(fields=["volume", "number"], name="unique_letter_number_per_volume"),
        ]
        indexes = [
            models.Index(fields=["status", "date_min"]),
            # "does this volume have anything published?" (people's pages, a letter's people): one
            # probe, where the volume and status indexes apart meant a bitmap of every published
            # letter per volume (565 ms → 10 ms for a person in 47 volumes at 100k letters).
            models.Index(fields=["volume", "status"], name="letter_volume_status"),
        ]
        permissions = [
            ("publish_letter", "Can publish and withdraw letters"),
            ("review_letter", "Can approve, send back and assign letters"),
        ]

    def __str__(self):
        return f"{self.volume.identifier} d{self.number}: {self.title}"

    def save(self, *args, **kwargs):
        self.body_text = flatten(self.body or []).text
        self.administration = administrations.administration_for(self.date_min)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "date_min" in update_fields:
            kwargs["update_fields"] = {*update_fields, "administration"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return address("catalog:letter", self.volume.identifier, self.number)

    def clean(self):
        try:
            validate_body(self.body)
        except ValueError as error:
            raise ValidationError({"body": str(error)}) from None

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ReviewQueueItem(Letter):
    """The review queue in the admin: letters needing attention (a proxy, no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "review queue letter"
        verbose_name_plural = "review queue"


class Transition(models.Model):
    """One move of a letter through the workflow: who, when, from, to, and why."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="transitions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    from_status = models.CharField(max_length=12, choices=Letter.Status.choices)
    to_status = models.CharField(max_length=12, choices=Letter.Status.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class LetterProblem(models.Model):
    """A problem the automatic checks found in a letter (recomputed on save and on import)."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(max_length=30, db_index=True)
    detail = models.CharField(max_length=500)

    class Meta:
        ordering = ["letter", "kind", "id"]

    def __str__(self):
        return self.detail


class Erratum(models.Model):
    """A dated public correction note on a published letter, written by the reviewer who publishes the fix."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="errata")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)
    note = models.TextField()

    class Meta:
        ordering = ["created", "id"]
        verbose_name_plural = "errata"

    def __str__(self):
        return f"Corrected on {self.created:%Y-%m-%d}: {self.note}"


class Footnote(models.Model):
    class Kind(models.TextChoices):
        SOURCE = "source", "Source note"
        EDITORIAL = "editorial", "Editorial"
        CROSS_REFERENCE = "cross-reference", "Cross-reference"

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="footnotes")
    number = models.PositiveIntegerField(help_text="0 for an unnumbered source note before the heading")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.EDITORIAL)
    text = models.TextField()
    content = models.JSONField(default=list, blank=True, help_text="Inline marks for display")
    anchor = models.PositiveIntegerField(
        null=True, blank=True, help_text="Offset of the marker in the letter's body text; empty on the heading"
    )
    modified = models.DateTimeField(auto_now=True)  # the version token of optimistic locking

    class Meta:
        ordering = ["letter", "number"]
        constraints = [models.UniqueConstraint(fields=["letter", "number"], name="unique_footnote_number")]

    def __str__(self):
        return f"{self.letter.volume.identifier} d{self.letter.number} fn{self.number}"


class CrossReference(models.Model):
    """A pointer from a letter to a document, kept (unresolved) until the target is imported."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="references")
    footnote = models.ForeignKey(Footnote, null=True, blank=True, on_delete=models.CASCADE, related_name="references")
    target_volume = models.CharField(max_length=64)
    target_number = models.PositiveIntegerField(null=True, blank=True)
    target_footnote = models.PositiveIntegerField(null=True, blank=True)
    text = models.CharField(max_length=500, blank=True)
    target = models.ForeignKey(Letter, null=True, blank=True, on_delete=models.SET_NULL, related_name="cited_by")

    class Meta:
        ordering = ["letter", "footnote__number", "target_volume", "target_number"]
        indexes = [models.Index(fields=["target_volume", "target_number"])]

    def __str__(self):
        target = f"{self.target_volume} d{self.target_number}" if self.target_number else self.target_volume
        return f"→ {target}"

    @property
    def resolved(self) -> bool:
        return self.target_id is not None
