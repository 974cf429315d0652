"""Annotations in the admin: the list (with the orphans to review) and the annotating page of a letter.

The annotating page (``/admin/catalog/annotation/letter/<id>/annotate/``) shows the letter's plain
text; ``static/js/annotate.js`` lets an editor select a passage and writes through the JSON API
(``catalog.annotations_api``). The change form here edits the note itself (not its target), through
the same service, so history, version and the person's mention stay right.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from catalog.annotating import (
    AnnotationError,
    AnnotationInput,
    StaleVersion,
    delete_annotation,
    reanchor_letter,
    update_annotation,
)
from catalog.models import Annotation, Letter, Revision

from .utils import LetterColumnMixin, admin_link, short


def annotate_url(letter: Letter) -> str:
    return reverse("admin:catalog_annotation_letter", args=[letter.pk])


def annotate_link(letter: Letter):
    """The link the letter's admin page shows to its annotating page."""
    count = letter.annotations.count()
    return format_html(
        '<a href="{}">Annotate the text</a> ({} annotation{})', annotate_url(letter), count, "" if count == 1 else "s"
    )


def after_letter_saved(request, letter: Letter) -> None:
    """Re-anchor the annotations of a letter an editor just saved (its text may have changed)."""
    counts = reanchor_letter(letter, request.user, origin=Revision.Origin.EDITOR)
    if counts["orphaned"]:
        messages.warning(
            request,
            f"{counts['orphaned']} annotation(s) of this letter no longer find their passage: "
            "they are kept as orphaned for review.",
        )


class TagsField(forms.CharField):
    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value


class AnnotationForm(forms.ModelForm):
    tags = TagsField(required=False, help_text="Words separated by commas")
    edited_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Annotation
        fields = ["motivation", "body", "tags", "person", "target_letter", "visibility"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["edited_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        version = data.get("edited_version")
        if self.instance.pk is not None and version and version != self.instance.version:
            raise forms.ValidationError(
                "This annotation was changed by someone else after you opened it. Open it again, then make "
                "your change.",
                code="stale",
            )
        motivation = data.get("motivation")
        if motivation == Annotation.Motivation.IDENTIFYING and not data.get("person"):
            self.add_error("person", "An identifying annotation names the person the passage refers to.")
        if motivation == Annotation.Motivation.LINKING and not data.get("target_letter"):
            self.add_error("target_letter", "A linking annotation names the letter it links to.")
        return data


@admin.register(Annotation)
class AnnotationAdmin(LetterColumnMixin, admin.ModelAdmin):
    form = AnnotationForm
    list_display = ["quote", "letter_link", "motivation", "visibility", "anchoring", "author", "modified"]
    list_filter = ["anchoring", "motivation", "visibility"]
    list_select_related = ["letter__volume", "author"]
    search_fields = ["exact", "body", "letter__title", "=letter__xml_id"]
    autocomplete_fields = ["person", "target_letter"]
    readonly_fields = ["letter_link", "target", "anchoring", "author", "created", "modified", "version"]
    fieldsets = [
        (None, {"fields": ["letter_link", "target", "anchoring"]}),
        ("Note", {"fields": ["motivation", "body", "tags", "person", "target_letter", "visibility"]}),
        ("Record", {"fields": [("author", "created", "modified"), "version", "edited_version"]}),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view(self.annotate_view)
        return [path("letter/<int:letter_id>/annotate/", view, name="catalog_annotation_letter"), *super().get_urls()]

    def has_add_permission(self, request):
        return False  # annotations are made on a letter's annotating page, where a passage is selected

    @admin.display(description="passage", ordering="exact")
    def quote(self, obj):
        return f"“{short(obj.exact, 60)}”"

    @admin.display(description="target")
    def target(self, obj):
        return format_html(
            "“{}” (characters {}–{} of the letter's text) · {}",
            obj.exact,
            obj.start,
            obj.end,
            format_html('<a href="{}">show in the text</a>', annotate_url(obj.letter) + f"#annotation-{obj.pk}"),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        values = AnnotationInput(
            motivation=data["motivation"],
            body=data["body"],
            tags=data["tags"],
            person_id=data["person"].pk if data.get("person") else None,
            target_letter_id=data["target_letter"].pk if data.get("target_letter") else None,
            visibility=data["visibility"],
            given={"person", "target_letter"},
        )
        try:
            update_annotation(obj, values, request.user, data.get("edited_version") or obj.version)
        except StaleVersion as error:
            self.message_user(request, str(error), messages.ERROR)
        except AnnotationError as error:
            self.message_user(request, f"Not saved: {error}", messages.ERROR)

    def save_related(self, request, form, formsets, change):
        pass  # no related rows; the service wrote everything

    def delete_model(self, request, obj):
        delete_annotation(obj, request.user)

    def delete_queryset(self, request, queryset):
        for annotation in queryset:
            delete_annotation(annotation, request.user)

    # -- the annotating page ---------------------------------------------------------------------
    def annotate_view(self, request, letter_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        letter = get_object_or_404(Letter.objects.select_related("volume"), pk=letter_id)
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "title": f"Annotate {letter.volume.identifier} d{letter.number}",
            "letter": letter,
            "letter_link": admin_link(letter, f"{letter.volume.identifier} d{letter.number}"),
            "opts": self.model._meta,
            "api_url": reverse("annotations:collection", args=[letter.volume.identifier, letter.number]),
            "autocomplete_url": reverse("admin:autocomplete"),
            "can_add": user.has_perm("catalog.add_annotation"),
            "can_change": user.has_perm("catalog.change_annotation"),
            "can_delete": user.has_perm("catalog.delete_annotation"),
            "motivations": Annotation.Motivation.choices,
            "visibilities": Annotation.Visibility.choices,
            "orphaned": letter.annotations.orphaned().count(),
        }
        return TemplateResponse(request, "admin/catalog/annotation/annotate.html", context)
