"""Annotations as a service: create, change, delete and re-anchor them, keeping what hangs on them.

Everything that writes an annotation goes through here (the JSON API, the admin, the loader):

- the target is checked against the letter's text and both selectors are recorded
  (``catalog.anchoring.describe``);
- an *identifying* annotation gives its letter the mention of its person (a ``LetterPerson`` with
  role "mentioned" and the words as written), and removes or updates that mention (only one it
  added) when it is changed or deleted;
- every change raises the annotation's ``version`` (optimistic locking: a change made against an
  older version is refused with :class:`StaleVersion`) and is recorded as a ``Revision`` of the
  letter (:func:`record_history`, the one place to connect a richer history);
- :func:`reanchor_letter` re-finds every annotation of a letter whose text changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.anchoring import ANCHORED, MOVED, ORPHANED, Selectors, describe, reanchor
from catalog.models import Annotation, Letter, LetterPerson, Person, Revision

MAX_BODY = 10_000
MAX_TAGS = 20
MAX_TAG = 60
EDITABLE = ("motivation", "body", "tags", "person", "target_letter", "visibility", "start", "end")


class AnnotationError(ValueError):
    """A request to write an annotation that cannot be honoured; the message says why."""


class StaleVersion(AnnotationError):
    """The annotation changed since the version the request was based on."""

    def __init__(self, current: int):
        super().__init__(
            f"This annotation was changed by someone else (it is now at version {current}). "
            "Reload it, then make your change again."
        )
        self.current = current


@dataclass
class AnnotationInput:
    """What a request asks for; ``None`` leaves a field as it is (on a change)."""

    motivation: str | None = None
    body: str | None = None
    tags: list[str] | None = None
    person_id: int | None = None
    target_letter_id: int | None = None
    visibility: str | None = None
    start: int | None = None
    end: int | None = None
    exact: str | None = None  # when given, must be the letter's text between start and end
    given: set[str] = field(default_factory=set)  # the fields the request named (to clear a person)


# -- history ------------------------------------------------------------------------------------


def snapshot(annotation: Annotation) -> dict:
    """An annotation's editable values, as history keeps them."""
    return {
        "motivation": annotation.motivation,
        "body": annotation.body,
        "tags": list(annotation.tags),
        "person": annotation.person_id,
        "target_letter": annotation.target_letter_id,
        "visibility": annotation.visibility,
        "exact": annotation.exact,
        "start": annotation.start,
        "end": annotation.end,
        "anchoring": annotation.anchoring,
        "version": annotation.version,
    }


def record_history(annotation: Annotation, user, verb: str, before: dict | None, after: dict | None, origin=None):
    """Record a change of an annotation as a Revision of its letter (the history hook).

    ``changes`` holds ``{"annotation <id>": [old values, new values]}`` (None for "did not exist").
    """
    Revision.objects.create(
        letter_id=annotation.letter_id,
        user=user if user is not None and user.is_authenticated else None,
        origin=origin or Revision.Origin.EDITOR,
        changes={f"annotation {annotation.pk}": [before, after]},
        comment=f"annotation {annotation.pk} {verb}",
    )


# -- validation ---------------------------------------------------------------------------------


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        raise AnnotationError("tags: expected a list of words, or words separated by commas")
    cleaned = []
    for tag in tags:
        tag = " ".join(tag.split())
        if len(tag) > MAX_TAG:
            raise AnnotationError(f"tags: “{tag[:20]}…” is longer than {MAX_TAG} characters")
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise AnnotationError(f"tags: at most {MAX_TAGS}")
    return cleaned


def _apply(annotation: Annotation, data: AnnotationInput, letter: Letter) -> None:
    """Set the requested values on ``annotation`` (not saved); raise AnnotationError on bad values."""
    if data.motivation is not None:
        if data.motivation not in Annotation.Motivation.values:
            raise AnnotationError(
                f"motivation: expected one of {', '.join(Annotation.Motivation.values)}, found {data.motivation!r}"
            )
        annotation.motivation = data.motivation
    if data.visibility is not None:
        if data.visibility not in Annotation.Visibility.values:
            raise AnnotationError(
                f"visibility: expected one of {', '.join(Annotation.Visibility.values)}, found {data.visibility!r}"
            )
        annotation.visibility = data.visibility
    if data.body is not None:
        if not isinstance(data.body, str):
            raise AnnotationError("body: expected text")
        body = data.body.replace("\r\n", "\n").strip()
        if len(body) > MAX_BODY:
            raise AnnotationError(f"body: at most {MAX_BODY} characters, found {len(body)}")
        annotation.body = body
    if data.tags is not None:
        annotation.tags = _clean_tags(data.tags)
    if data.person_id is not None or "person" in data.given:
        if data.person_id is None:
            annotation.person = None
        else:
            annotation.person = Person.objects.filter(pk=data.person_id).first()
            if annotation.person is None:
                raise AnnotationError(f"person: no person with id {data.person_id}")
    if data.target_letter_id is not None or "target_letter" in data.given:
        if data.target_letter_id is None:
            annotation.target_letter = None
        else:
            annotation.target_letter = Letter.objects.filter(pk=data.target_letter_id).first()
            if annotation.target_letter is None:
                raise AnnotationError(f"target letter: no letter with id {data.target_letter_id}")
    if data.start is not None or data.end is not None or data.exact is not None:
        start = data.start if data.start is not None else annotation.start
        end = data.end if data.end is not None else annotation.end
        if start is None or end is None:
            raise AnnotationError("target: a TextPositionSelector with start and end is required")
        try:
            selectors = describe(letter.body_text, start, end)
        except ValueError as error:
            raise AnnotationError(f"target: {error}") from None
        if data.exact is not None and data.exact != selectors.exact:
            raise AnnotationError(
                f"target: the TextQuoteSelector's exact text is not the letter's text at {start}–{end} "
                f"(“{selectors.exact[:60]}”); the letter may have changed: reload it"
            )
        _set_selectors(annotation, selectors)
        annotation.anchoring = Annotation.Anchoring.ANCHORED
    if annotation.motivation == Annotation.Motivation.IDENTIFYING and annotation.person_id is None:
        raise AnnotationError("person: an identifying annotation names the person the passage refers to")
    if annotation.motivation == Annotation.Motivation.LINKING and annotation.target_letter_id is None:
        raise AnnotationError("target letter: a linking annotation names the letter it links to")
    if annotation.motivation != Annotation.Motivation.IDENTIFYING:
        annotation.person = None
    if annotation.motivation != Annotation.Motivation.LINKING:
        annotation.target_letter = None


def _set_selectors(annotation: Annotation, selectors: Selectors) -> None:
    annotation.exact, annotation.prefix, annotation.suffix = selectors.exact, selectors.prefix, selectors.suffix
    annotation.start, annotation.end = selectors.start, selectors.end


# -- the mention an identifying annotation adds ---------------------------------------------------


def sync_mention(annotation: Annotation) -> None:
    """Make the letter's mentions agree with the annotation (saved): add, update or remove its own."""
    wanted = annotation.motivation == Annotation.Motivation.IDENTIFYING and annotation.person_id is not None
    mention = annotation.mention
    if mention is not None and (not wanted or mention.person_id != annotation.person_id):
        _release_mention(annotation)
        mention = None
    if not wanted:
        return
    words = annotation.exact[:300]
    if mention is not None:
        if mention.name_as_written != words and annotation.anchoring != Annotation.Anchoring.ORPHANED:
            mention.name_as_written = words
            mention.save(update_fields=["name_as_written"])
        return
    existing = LetterPerson.objects.filter(
        letter_id=annotation.letter_id, person_id=annotation.person_id, role=LetterPerson.Role.MENTIONED
    ).first()
    if existing is None:
        annotation.mention = LetterPerson.objects.create(
            letter_id=annotation.letter_id,
            person_id=annotation.person_id,
            role=LetterPerson.Role.MENTIONED,
            name_as_written=words,
        )
        Annotation.objects.filter(pk=annotation.pk).update(mention=annotation.mention)
    # else the letter already names the person (an import, an editor, another annotation): not ours.


def _release_mention(annotation: Annotation) -> None:
    """Remove the mention the annotation added, or hand it to another annotation identifying the same."""
    mention = annotation.mention
    annotation.mention = None
    Annotation.objects.filter(pk=annotation.pk).update(mention=None)
    heir = (
        Annotation.objects.filter(
            letter_id=mention.letter_id,
            person_id=mention.person_id,
            motivation=Annotation.Motivation.IDENTIFYING,
            mention__isnull=True,
        )
        .exclude(pk=annotation.pk)
        .order_by("pk")
        .first()
    )
    if heir is not None:
        Annotation.objects.filter(pk=heir.pk).update(mention=mention)
        if mention.name_as_written != heir.exact[:300]:
            mention.name_as_written = heir.exact[:300]
            mention.save(update_fields=["name_as_written"])
    else:
        mention.delete()


# -- create, change, delete -------------------------------------------------------------------------


def create_annotation(letter: Letter, data: AnnotationInput, user) -> Annotation:
    if data.start is None or data.end is None:
        raise AnnotationError("target: a TextPositionSelector with start and end is required")
    annotation = Annotation(letter=letter, author=user if user is not None and user.is_authenticated else None)
    _apply(annotation, data, letter)
    with transaction.atomic():
        annotation.save()
        sync_mention(annotation)
        record_history(annotation, user, "created", None, snapshot(annotation))
    return annotation


def update_annotation(annotation: Annotation, data: AnnotationInput, user, version: int | None) -> Annotation:
    """Change an annotation made at ``version``; StaleVersion if someone changed it since."""
    if version is None:
        raise AnnotationError("version: the version the change is based on is required (optimistic locking)")
    with transaction.atomic():
        current = (
            Annotation.objects.select_for_update(of=("self",))
            .select_related("letter", "mention")
            .filter(pk=annotation.pk)
            .first()
        )
        if current is None:
            raise AnnotationError("this annotation no longer exists")
        if current.version != version:
            raise StaleVersion(current.version)
        before = snapshot(current)
        _apply(current, data, current.letter)
        current.version = F("version") + 1
        current.save()
        current.refresh_from_db()
        sync_mention(current)
        after = snapshot(current)
        changed = {key for key in after if after[key] != before[key]} - {"version"}
        if changed:
            record_history(current, user, "changed", {k: before[k] for k in changed}, {k: after[k] for k in changed})
    return current


def delete_annotation(annotation: Annotation, user, version: int | None = None) -> None:
    with transaction.atomic():
        current = Annotation.objects.select_for_update(of=("self",)).filter(pk=annotation.pk).first()
        if current is None:
            return
        if version is not None and current.version != version:
            raise StaleVersion(current.version)
        before = snapshot(current)
        if current.mention_id is not None:
            _release_mention(current)
        record_history(current, user, "deleted", before, None)
        current.delete()


# -- re-anchoring -----------------------------------------------------------------------------------


def reanchor_letter(letter: Letter, user=None, origin=None) -> dict[str, int]:
    """Re-find every annotation of ``letter`` in its (changed) ``body_text``; never drops one.

    Call it whenever a letter's text may have changed (the loader after an import, the admin after
    an editor's save). An annotation still in place is not written; one found elsewhere (or with
    changed words) is *moved*; one not found is *orphaned* and keeps its old selectors. Returns the
    count per outcome.
    """
    counts = {ANCHORED: 0, MOVED: 0, ORPHANED: 0}
    annotations = list(Annotation.objects.filter(letter=letter).select_related("mention"))
    if not annotations:
        return counts
    text = letter.body_text
    changed = []
    for annotation in annotations:
        old = Selectors(annotation.exact, annotation.prefix, annotation.suffix, annotation.start, annotation.end)
        anchor = reanchor(text, old)
        counts[anchor.state] += 1
        if anchor.state == ANCHORED:
            # In place: it keeps its state (a moved one stays to be checked), an orphan comes back.
            state = Annotation.Anchoring.ANCHORED if annotation.anchoring == ORPHANED else annotation.anchoring
        else:
            state = anchor.state
        if anchor.selectors == old and state == annotation.anchoring:
            continue
        before = snapshot(annotation)
        _set_selectors(annotation, anchor.selectors)
        annotation.anchoring = state
        annotation.version += 1
        changed.append((annotation, before))
    now = timezone.now()
    with transaction.atomic():
        for annotation, _ in changed:
            annotation.modified = now
        Annotation.objects.bulk_update(
            [a for a, _ in changed], ["exact", "prefix", "suffix", "start", "end", "anchoring", "version", "modified"]
        )
        # An import that rewrote the letter's people took the mentions annotations had added: put them back.
        for annotation in annotations:
            if annotation.motivation == Annotation.Motivation.IDENTIFYING:
                sync_mention(annotation)
        for annotation, before in changed:
            after = snapshot(annotation)
            keys = [k for k in after if after[k] != before[k] and k != "version"]
            record_history(
                annotation,
                user,
                f"re-anchored ({annotation.anchoring})",
                {k: before[k] for k in keys},
                {k: after[k] for k in keys},
                origin=origin or Revision.Origin.IMPORT,
            )
    return counts


# -- reading ------------------------------------------------------------------------------------------


def letter_annotations(letter: Letter | None, user):
    """The annotations ``user`` may read (of ``letter``, or of any letter), with what the API shows."""
    annotations = Annotation.objects.visible_to(user).select_related(
        "letter__volume", "person", "author", "target_letter__volume"
    )
    return annotations if letter is None else annotations.filter(letter=letter)


def public_annotations(letter: Letter) -> list[Annotation]:
    """The annotations readers see beside a letter (the public ones; internal ones never)."""
    return list(
        Annotation.objects.public()
        .filter(letter=letter)
        .select_related("person", "target_letter__volume")
        .order_by("start", "end", "pk")
    )
