"""Archival sources (repository, collection, box, folder) and the footnotes that cite them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html, format_html_join

from catalog import locking
from catalog.models import ArchivalSource, Letter, SourceCitation
from catalog.resources import ArchivalSourceResource

from .spreadsheets import SpreadsheetAdminMixin
from .utils import LetterColumnMixin, ReadOnlyAdmin, RecordedAdminMixin, admin_link, changelist_url, comment_field


def citation_count_subquery():
    counts = (
        SourceCitation.objects.filter(source=OuterRef("pk"))
        .order_by()
        .values("source")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


class ArchivalSourceForm(locking.VersionedForm):
    revision_comment = comment_field()

    class Meta:
        model = ArchivalSource
        fields = ["repository", "collection", "box", "folder", "raw"]


@admin.register(ArchivalSource)
class ArchivalSourceAdmin(RecordedAdminMixin, SpreadsheetAdminMixin, admin.ModelAdmin):
    form = ArchivalSourceForm
    resource_classes = [ArchivalSourceResource]
    list_display = ["repository", "collection", "box", "folder", "citation_count"]
    list_filter = ["repository"]
    search_fields = ["repository", "collection", "folder", "raw"]
    fields = [
        "repository",
        "collection",
        "box",
        "folder",
        "raw",
        "citing_letters",
        "record_history",
        "revision_comment",
        "version_token",
    ]
    readonly_fields = ["citing_letters", "record_history"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_count=citation_count_subquery())

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, obj):
        if not obj.citation_count:
            return 0
        url = changelist_url(Letter, source_citations__source__id__exact=obj.pk)
        return format_html('<a href="{}">{}</a>', url, obj.citation_count)

    @admin.display(description="cited by")
    def citing_letters(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        citations = list(
            obj.citations.select_related("letter__volume", "footnote").order_by(
                "letter__volume__identifier", "letter__number", "footnote__number"
            )[:200]
        )
        if not citations:
            return "no citations"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}{}</li>",
                (
                    (
                        admin_link(cite.letter, f"{cite.letter.volume.identifier} d{cite.letter.number}"),
                        f", footnote {cite.footnote.number}" if cite.footnote_id else "",
                    )
                    for cite in citations
                ),
            ),
        )


@admin.register(SourceCitation)
class SourceCitationAdmin(LetterColumnMixin, ReadOnlyAdmin):
    list_display = ["letter_link", "footnote_number", "source_link", "is_source_note"]
    list_filter = ["is_source_note", "source__repository"]
    list_select_related = ["letter__volume", "footnote", "source"]
    search_fields = ["raw", "source__repository", "source__collection", "source__folder", "letter__title"]

    @admin.display(description="footnote")
    def footnote_number(self, obj):
        return obj.footnote.number if obj.footnote_id else "—"

    @admin.display(description="source", ordering="source__repository")
    def source_link(self, obj):
        return admin_link(obj.source)
