"""Readers' error reports: a list for editors to work through (until a review queue exists)."""

from django.contrib import admin

from catalog.models import ErrorReport


@admin.register(ErrorReport)
class ErrorReportAdmin(admin.ModelAdmin):
    list_display = ["created", "letter", "status", "short_message", "email"]
    list_filter = ["status"]
    list_editable = ["status"]
    search_fields = ["message", "email", "letter__title"]
    list_select_related = ["letter__volume"]
    readonly_fields = ["letter", "message", "email", "created"]
    fields = ["letter", "message", "email", "status", "created"]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    @admin.display(description="message")
    def short_message(self, obj):
        return obj.message if len(obj.message) <= 120 else obj.message[:117] + "…"
