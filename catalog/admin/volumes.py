"""Volumes and their front matter: chapters and terms lists."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html

from catalog import locking
from catalog.models import Chapter, Letter, Term, Volume

from .utils import LockedAdminMixin, RecordedAdminMixin, admin_link, changelist_url, comment_field, site_url
from .workflow import WorkflowPermissionsMixin, workflow_actions


def count_subquery(model, fk: str):
    counts = model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


class VolumeForm(locking.VersionedForm):
    revision_comment = comment_field()

    class Meta:
        model = Volume
        fields = ["identifier", "title", "series", "subseries", "volume_number", "editors", "year_published"]
        help_texts = {"identifier": "Letters, digits, hyphens and underscores only, e.g. frus1969-76v33."}
        error_messages = {
            "identifier": {
                "invalid": "A volume identifier is part of the public addresses: use only letters, digits, "
                "hyphens and underscores (e.g. frus1969-76v33), no spaces, slashes or markup."
            }
        }


@admin.register(Volume)
class VolumeAdmin(RecordedAdminMixin, WorkflowPermissionsMixin, admin.ModelAdmin):
    form = VolumeForm
    actions = workflow_actions("volume")
    list_display = ["identifier", "title", "subseries", "volume_number", "year_published", "letters_link"]
    list_filter = ["subseries", "year_published"]
    search_fields = ["identifier", "title", "subseries", "volume_number"]
    fields = [
        "identifier",
        "title",
        "series",
        "subseries",
        "volume_number",
        "editors",
        "year_published",
        "contents",
        ("created", "modified"),
        "record_history",
        "revision_comment",
        "version_token",
    ]
    readonly_fields = ["contents", "created", "modified", "record_history"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(letter_count=count_subquery(Letter, "volume"))

    def view_on_site(self, obj):
        return site_url(obj)

    @admin.display(description="letters", ordering="letter_count")
    def letters_link(self, obj):
        return format_html('<a href="{}">{}</a>', changelist_url(Letter, volume__id__exact=obj.pk), obj.letter_count)

    @admin.display(description="contents")
    def contents(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        chapters = Chapter.objects.filter(volume=obj).count()
        terms = Term.objects.filter(volume=obj).count()
        return format_html(
            '<a href="{}">{} letters</a> · <a href="{}">{} chapters</a> · <a href="{}">{} terms</a>',
            changelist_url(Letter, volume__id__exact=obj.pk),
            getattr(obj, "letter_count", None)
            if getattr(obj, "letter_count", None) is not None
            else obj.letters.count(),
            changelist_url(Chapter, volume__id__exact=obj.pk),
            chapters,
            changelist_url(Term, volume__id__exact=obj.pk),
            terms,
        )


class ChapterForm(locking.VersionedForm):
    class Meta:
        model = Chapter
        fields = ["volume", "xml_id", "title", "kind", "order"]


class TermForm(locking.VersionedForm):
    class Meta:
        model = Term
        fields = ["volume", "xml_id", "term", "expansion"]


@admin.register(Chapter)
class ChapterAdmin(LockedAdminMixin, WorkflowPermissionsMixin, admin.ModelAdmin):
    form = ChapterForm
    fields = ["volume", "xml_id", "title", "kind", "order", "version_token"]
    actions = workflow_actions("chapter")
    list_display = ["title", "volume_link", "xml_id", "kind", "order", "letters_link"]
    list_filter = ["kind", "volume"]
    list_select_related = ["volume"]
    search_fields = ["title", "xml_id", "volume__identifier"]
    autocomplete_fields = ["volume"]
    ordering = ["volume__identifier", "order"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(letter_count=count_subquery(Letter, "chapter"))

    @admin.display(description="volume", ordering="volume__identifier")
    def volume_link(self, obj):
        return admin_link(obj.volume, obj.volume.identifier)

    @admin.display(description="letters", ordering="letter_count")
    def letters_link(self, obj):
        return format_html('<a href="{}">{}</a>', changelist_url(Letter, chapter__id__exact=obj.pk), obj.letter_count)


@admin.register(Term)
class TermAdmin(LockedAdminMixin, admin.ModelAdmin):
    form = TermForm
    fields = ["volume", "xml_id", "term", "expansion", "version_token"]
    list_display = ["term", "expansion", "volume_link", "xml_id"]
    list_filter = ["volume"]
    list_select_related = ["volume"]
    search_fields = ["term", "expansion", "volume__identifier"]
    autocomplete_fields = ["volume"]
    ordering = ["volume__identifier", "term"]

    @admin.display(description="volume", ordering="volume__identifier")
    def volume_link(self, obj):
        return admin_link(obj.volume, obj.volume.identifier)
