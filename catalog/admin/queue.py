"""The review queue: letters needing attention, by state, volume, assignee and age."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.html import format_html

from catalog.models import Letter, ReviewQueueItem

from .filters import AssignedToMeFilter, HasProblemsFilter, ProblemKindFilter
from .utils import admin_url
from .workflow import WorkflowPermissionsMixin, workflow_actions

S = Letter.Status
ATTENTION = Q(status__in=[S.DRAFT, S.IN_REVIEW, S.APPROVED]) | Q(status=S.PUBLISHED, provisional=True)


def queue_counts(user) -> list[dict]:
    """The counts the admin index shows: per state, assigned to this user, with problems."""
    counts = Letter.objects.filter(ATTENTION).aggregate(
        review=Count("pk", filter=Q(status=S.IN_REVIEW)),
        approved=Count("pk", filter=Q(status=S.APPROVED)),
        draft=Count("pk", filter=Q(status=S.DRAFT)),
        provisional=Count("pk", filter=Q(status=S.PUBLISHED)),
        mine=Count("pk", filter=Q(assigned_to=user)),
        problems=Count("pk", filter=Q(problem_count__gt=0)),
    )
    return [
        {"label": "In review", "count": counts["review"], "query": "?status__exact=review"},
        {"label": "Approved", "count": counts["approved"], "query": "?status__exact=approved"},
        {"label": "Drafts", "count": counts["draft"], "query": "?status__exact=draft"},
        {"label": "Provisional", "count": counts["provisional"], "query": "?status__exact=published"},
        {"label": "Assigned to me", "count": counts["mine"], "query": "?assigned=me"},
        {"label": "With problems", "count": counts["problems"], "query": "?has_problems=yes"},
    ]


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(WorkflowPermissionsMixin, admin.ModelAdmin):
    list_display = ["letter", "volume_identifier", "status", "assigned_to", "problem_count", "age"]
    list_filter = ["status", AssignedToMeFilter, HasProblemsFilter, ProblemKindFilter, "volume", "assigned_to"]
    list_select_related = ["volume", "assigned_to"]
    search_fields = ["title", "=xml_id", "number__exact"]
    list_per_page = 100
    actions = workflow_actions("letter")

    # Its permissions are the letters'.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("catalog.view_letter")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("catalog.change_letter")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(ATTENTION).annotate(last_move=Max("transitions__created"))

    @admin.display(description="letter", ordering="number")
    def letter(self, obj):
        return format_html('<a href="{}">d{}: {}</a>', admin_url(Letter(pk=obj.pk)), obj.number, obj.title[:90])

    @admin.display(description="volume", ordering="volume__identifier")
    def volume_identifier(self, obj):
        return obj.volume.identifier

    @admin.display(description="waiting since")
    def age(self, obj):
        since = obj.last_move or obj.created
        days = (timezone.now() - since).days
        return f"{days} day{'s' if days != 1 else ''}"

    def get_ordering(self, request):
        return ["modified", "volume__identifier", "number"]  # the longest untouched first
