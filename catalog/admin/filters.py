"""The review filters of the letters list and the review queue: assigned to me, has problems, per kind."""

from __future__ import annotations

from django.contrib import admin

from catalog.checks import KINDS
from catalog.models import LetterProblem


class AssignedToMeFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "To me"), ("nobody", "To nobody")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class HasProblemsFilter(admin.SimpleListFilter):
    title = "problems"
    parameter_name = "has_problems"

    def lookups(self, request, model_admin):
        return [("yes", "Has problems"), ("no", "No problems")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(problem_count__gt=0)
        if self.value() == "no":
            return queryset.filter(problem_count=0)
        return queryset


class ProblemKindFilter(admin.SimpleListFilter):
    title = "problem kind"
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return list(KINDS.items())

    def queryset(self, request, queryset):
        if self.value() in KINDS:
            return queryset.filter(pk__in=LetterProblem.objects.filter(kind=self.value()).values("letter_id"))
        return queryset
