"""Annotations of passages: W3C Web Annotations made by the archive's editors.

An annotation targets a passage of its letter's plain text (``Letter.body_text``) by a
TextQuoteSelector (``exact``, ``prefix``, ``suffix``) and a TextPositionSelector (``start``,
``end``), and records how it was last anchored: in place, moved (re-found elsewhere after the text
changed) or orphaned (not found; kept, never dropped). Re-anchoring lives in ``catalog.anchoring``
and ``catalog.annotating``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .letters import Letter


class AnnotationQuerySet(models.QuerySet):
    def public(self):
        return self.filter(visibility=Annotation.Visibility.PUBLIC)

    def orphaned(self):
        """Annotations whose passage was not found after a change of text: for the review queue."""
        return self.filter(anchoring=Annotation.Anchoring.ORPHANED)

    def visible_to(self, user):
        """Staff see every annotation; everyone else the public ones of published letters."""
        if user is not None and user.is_active and user.is_staff:
            return self
        return self.public().filter(letter__status=Letter.Status.PUBLISHED)


class Annotation(models.Model):
    class Motivation(models.TextChoices):
        COMMENTING = "commenting", "Commenting"
        IDENTIFYING = "identifying", "Identifying (a person)"
        CORRECTING = "correcting", "Correcting"
        TAGGING = "tagging", "Tagging"
        LINKING = "linking", "Linking (to a letter)"

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal (editors only)"
        PUBLIC = "public", "Public"

    class Anchoring(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        MOVED = "moved", "Moved (re-found elsewhere)"
        ORPHANED = "orphaned", "Orphaned (passage not found)"

    letter = models.ForeignKey("catalog.Letter", on_delete=models.CASCADE, related_name="annotations")
    motivation = models.CharField(max_length=12, choices=Motivation.choices, default=Motivation.COMMENTING)
    body = models.TextField(blank=True, help_text="Plain text; never rendered as markup")
    tags = models.JSONField(default=list, blank=True, help_text='e.g. ["SALT", "arms control"]')
    person = models.ForeignKey(
        "catalog.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations",
        help_text="The person the passage names (identifying)",
    )
    target_letter = models.ForeignKey(
        "catalog.Letter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations_linking_here",
        help_text="The letter the passage points to (linking)",
    )
    # The mention this annotation added to the letter (identifying), removed with it; empty when the
    # letter already had the mention (then it is not the annotation's to remove).
    mention = models.OneToOneField(
        "catalog.LetterPerson", null=True, blank=True, on_delete=models.SET_NULL, related_name="annotation"
    )
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="annotations"
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Raised by every change (optimistic locking)")
    # The target: a TextQuoteSelector and a TextPositionSelector over the letter's body_text.
    exact = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    anchoring = models.CharField(max_length=8, choices=Anchoring.choices, default=Anchoring.ANCHORED, db_index=True)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["letter", "start", "end", "pk"]
        indexes = [models.Index(fields=["letter", "visibility"])]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="annotation_range")]

    def __str__(self):
        quote = self.exact if len(self.exact) <= 40 else self.exact[:39] + "…"
        return f"{self.get_motivation_display().split(' (')[0]}: “{quote}”"

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC
