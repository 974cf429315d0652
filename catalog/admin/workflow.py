"""The admin's side of the workflow: bulk actions, the confirmation page, the buttons' view.

Thin: the rules (who may make which move, what is recorded) are ``catalog.workflow``'s.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

from catalog import workflow
from catalog.models import Letter, LetterProblem


def run_move(modeladmin, request, letters, move: workflow.Move, selection=None):
    """Apply ``move`` to ``letters``, asking first for a comment (when needed) or a confirmation
    (when publishing letters with problems). ``selection`` re-posts the admin action's choice."""
    comment = request.POST.get("transition_comment", "")
    confirmed = "confirm_transition" in request.POST
    with_problems = []
    if move.target == Letter.Status.PUBLISHED:
        with_problems = list(
            letters.filter(problem_count__gt=0).select_related("volume").prefetch_related("problems")[:200]
        )
    needs_page = (move.comment_required and not comment.strip()) or (with_problems and not confirmed)
    if needs_page and workflow.may(request.user, move):
        return confirmation_page(modeladmin, request, letters, move, with_problems, selection, comment)
    try:
        moved, skipped = workflow.apply(move, letters, request.user, comment)
    except PermissionDenied as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    except workflow.CommentRequired as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    if moved:
        modeladmin.message_user(
            request,
            ngettext("%(count)d letter %(verb)s.", "%(count)d letters %(verb)s.", len(moved))
            % {"count": len(moved), "verb": move.past},
            messages.SUCCESS,
        )
    if skipped:
        allowed = " or ".join(sorted(Letter.Status(s).label.lower() for s in move.sources))
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d letter skipped: only letters %(allowed)s can be %(verb)s.",
                "%(count)d letters skipped: only letters %(allowed)s can be %(verb)s.",
                len(skipped),
            )
            % {"count": len(skipped), "allowed": allowed, "verb": move.past},
            messages.WARNING,
        )
    return None


def confirmation_page(modeladmin, request, letters, move, with_problems, selection, comment):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"{move.label}: confirm",
        "subtitle": None,
        "opts": modeladmin.model._meta,
        "move": move,
        "letter_count": letters.count(),
        "with_problems": with_problems,
        "comment": comment,
        "selection": selection,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/catalog/transition_confirm.html", context)


def make_action(move: workflow.Move, scope: str):
    """A bulk action moving the selected letters, or every letter of the selected volumes/chapters."""

    def action(modeladmin, request, queryset):
        if scope == "letter":
            letters = Letter.objects.filter(pk__in=queryset.values("pk"))
        else:
            letters = Letter.objects.filter(**{f"{scope}__in": queryset.values("pk")})
        selection = {
            "action": request.POST.get("action", ""),
            "ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return run_move(modeladmin, request, letters, move, selection)

    noun = "letters" if scope == "letter" else f"{scope}_letters"
    verb = move.name if move.name != "publish_provisionally" else "publish"
    suffix = "_provisionally" if move.name == "publish_provisionally" else ""
    action.__name__ = f"{verb}_{noun}{suffix}"
    label = move.label if scope == "letter" else f"{move.label}: every letter of the selected {scope}s"
    permission = {"catalog.change_letter": "change"}.get(move.permission, move.permission.split(".")[1].split("_")[0])
    return admin.action(description=label, permissions=[permission])(action)


def workflow_actions(scope: str) -> list:
    return [make_action(move, scope) for move in workflow.MOVES.values()]


class WorkflowPermissionsMixin:
    """``has_publish_permission`` / ``has_review_permission`` for the actions' ``permissions``."""

    def has_publish_permission(self, request):
        return request.user.has_perm("catalog.publish_letter")

    def has_review_permission(self, request):
        return request.user.has_perm("catalog.review_letter")


def problem_kinds():
    return LetterProblem.objects.values_list("kind", flat=True).distinct()
