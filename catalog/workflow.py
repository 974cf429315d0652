"""The editorial workflow: which moves exist, who may make them, and what each one records.

draft (as imported) → in review → approved → published; a published letter may be withdrawn, and a
letter not yet approved may be published *provisionally* (labelled so on the public page and in the
API). Every move writes a ``Transition`` (who, when, from, to, comment). The admin's bulk actions,
its buttons on a letter's page and the volume/chapter actions all call ``apply``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from catalog import caching, person_letters
from catalog.models import Erratum, Letter, Transition

S = Letter.Status


@dataclass(frozen=True)
class Move:
    name: str  # the verb, as the admin's action names use it (publish_letters, approve_letters …)
    label: str
    sources: frozenset
    target: str
    permission: str
    comment_required: bool = False
    provisional: bool = False
    past: str = ""

    def allows(self, letter: Letter) -> bool:
        if self.name == "publish" and letter.status == S.PUBLISHED:
            return letter.provisional  # publishing a provisional letter after review confirms it
        return letter.status in self.sources


MOVES = {
    move.name: move
    for move in [
        Move("submit", "Submit for review", frozenset({S.DRAFT, S.WITHDRAWN}), S.IN_REVIEW, "catalog.change_letter",
             past="submitted for review"),
        Move("approve", "Approve", frozenset({S.IN_REVIEW}), S.APPROVED, "catalog.review_letter", past="approved"),
        Move("send_back", "Send back to the editor", frozenset({S.IN_REVIEW, S.APPROVED}), S.DRAFT,
             "catalog.review_letter", comment_required=True, past="sent back"),
        Move("publish", "Publish", frozenset({S.APPROVED}), S.PUBLISHED, "catalog.publish_letter", past="published"),
        Move("publish_provisionally", "Publish provisionally (before full review)",
             frozenset({S.DRAFT, S.IN_REVIEW}), S.PUBLISHED, "catalog.publish_letter", provisional=True,
             past="published provisionally"),
        Move("withdraw", "Withdraw from publication", frozenset({S.PUBLISHED}), S.WITHDRAWN,
             "catalog.publish_letter", past="withdrawn"),
    ]
}  # fmt: skip

ASSIGN_PERMISSION = "catalog.review_letter"
ERRATUM_PERMISSION = "catalog.publish_letter"


class CommentRequired(ValueError):
    pass


def may(user, move: Move) -> bool:
    return bool(user and user.is_active and user.has_perm(move.permission))


def available_moves(user, letter: Letter) -> list[Move]:
    """The moves this user may make on this letter now (the buttons on its page)."""
    return [move for move in MOVES.values() if may(user, move) and move.allows(letter)]


def apply(move: Move, letters, user, comment: str = "") -> tuple[list[Letter], list[Letter]]:
    """Move ``letters`` (a queryset) that allow it; return (moved, skipped). One transaction, rows locked."""
    if not may(user, move):
        raise PermissionDenied(f"You may not {move.label.lower()}.")
    comment = (comment or "").strip()
    if move.comment_required and not comment:
        raise CommentRequired(f"{move.label} needs a comment for the editor.")
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Letter.objects.select_for_update()
            .filter(pk__in=letters.values("pk"))
            .order_by("pk")
            .only("pk", "status", "provisional", "published_at", "volume_id", "number")
        )
        moved = [letter for letter in rows if move.allows(letter)]
        skipped = [letter for letter in rows if not move.allows(letter)]
        ids = [letter.pk for letter in moved]
        if ids:
            values = {"status": move.target, "modified": now}
            if move.target == S.PUBLISHED:
                values["provisional"] = move.provisional
            elif move.target != S.WITHDRAWN:
                values["provisional"] = False
            Letter.objects.filter(pk__in=ids).update(**values)
            caching.invalidate("workflow move")  # update() sends no signal; a move may publish or withdraw
            person_letters.refresh_letters(ids)  # people's pages count published letters only, at once
            if move.target == S.PUBLISHED:
                Letter.objects.filter(pk__in=ids, published_at__isnull=True).update(published_at=now)
            Transition.objects.bulk_create(
                Transition(letter_id=letter.pk, user=user, from_status=letter.status, to_status=move.target,
                           comment=comment)
                for letter in moved
            )  # fmt: skip
            for letter in moved:
                letter.status = move.target
    return moved, skipped


def assign(letters, reviewer, user) -> int:
    """Assign letters to a reviewer (or to nobody); a reviewer's decision."""
    if not (user and user.has_perm(ASSIGN_PERMISSION)):
        raise PermissionDenied("You may not assign letters.")
    if reviewer is not None and not reviewer.has_perm("catalog.review_letter"):
        raise ValueError(f"{reviewer} is not a reviewer.")
    return letters.update(assigned_to=reviewer, modified=timezone.now())


def add_erratum(letter: Letter, note: str, user) -> Erratum | None:
    """A dated public correction note on a letter published before ("the date was …")."""
    note = (note or "").strip()
    if not note:
        return None
    if not (user and user.has_perm(ERRATUM_PERMISSION)):
        raise PermissionDenied("Only a reviewer who may publish writes a public correction note.")
    return Erratum.objects.create(letter=letter, note=note, user=user)


def last_send_back(letter: Letter) -> Transition | None:
    """The reviewer's comment the editor must see: the newest send-back, while the letter is a draft."""
    if letter.status != S.DRAFT:
        return None
    latest = letter.transitions.select_related("user").first()
    return latest if latest is not None and latest.to_status == S.DRAFT and latest.comment else None


def public_notices(letter: Letter) -> dict:
    """What readers are told about a letter's standing: provisional, and its dated corrections."""
    return {
        "provisional": bool(letter.is_published and letter.provisional),
        "errata": [
            {"date": timezone.localtime(e.created).date().isoformat(), "note": e.note} for e in letter.errata.all()
        ]
        if letter.is_published
        else [],
    }
