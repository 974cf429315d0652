"""Letters and what hangs off them: footnotes, people, source citations, cross-references.

Editing here is the editors' side of the three-way merge the importer does: every save writes a
Revision with each changed field's old and new value, so a later import meets the correction
(``catalog.ingest.loader``) and keeps it, and the history shows who changed what.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from catalog.ingest.loader import SCALAR_FIELDS
from catalog.models import CrossReference, Footnote, Letter, LetterPerson, Revision, SourceCitation
from catalog.resources import LetterResource

from .annotations import after_letter_saved, annotate_link
from .utils import (
    ExportMixinRequiringView,
    LetterColumnMixin,
    PrefilledAutocompleteSelect,
    ReadOnlyAdmin,
    admin_link,
    changelist_url,
    changes_table,
    jsonable,
    prefilled_formset,
    short,
    site_url,
)

PUBLISH_PERMISSION = "catalog.publish_letter"
HISTORY_ROWS = 50  # the newest revisions shown on a letter's page; the Revision list has them all


def can_publish(request) -> bool:
    return request.user.has_perm(PUBLISH_PERMISSION)


def format_letter_date(letter: Letter) -> str:
    """The editors' date at its precision, in Washington time: 1978-01-25, 1984-12, 1944 …"""
    if letter.date_min is None:
        return "undated"
    patterns = {"year": "%Y", "month": "%Y-%m", "time": "%Y-%m-%d %H:%M"}
    pattern = patterns.get(letter.date_precision, "%Y-%m-%d")
    start = timezone.localtime(letter.date_min).strftime(pattern)
    if letter.date_max is None:
        return start
    end = timezone.localtime(letter.date_max).strftime(pattern)
    return start if end == start else f"{start} – {end}"


# -- inlines ------------------------------------------------------------------------------------


class FootnoteForm(forms.ModelForm):
    class Meta:
        model = Footnote
        fields = ["number", "kind", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "cols": 100})}

    def clean_text(self):
        # Browsers send a textarea's line breaks as CRLF; the importer's text has LF.
        return self.cleaned_data["text"].replace("\r\n", "\n")

    def save(self, commit=True):
        if "text" in self.changed_data or not self.instance.content:
            # The display form follows the corrected text (the importer's marks are for its text).
            self.instance.content = [self.instance.text]
        return super().save(commit)


class FootnoteInline(admin.TabularInline):
    model = Footnote
    form = FootnoteForm
    formset = prefilled_formset()
    fields = ["number", "kind", "text", "anchor"]
    readonly_fields = ["anchor"]
    ordering = ["number"]
    extra = 0


class LetterChildInline(admin.TabularInline):
    """An inline whose footnote choice lists this letter's footnotes, computed once per page."""

    formset = prefilled_formset()
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", PrefilledAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            )
        if db_field.name == "footnote":
            letter_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            notes = (
                Footnote.objects.filter(letter_id=letter_id).only("pk", "number").order_by("number")
                if letter_id and str(letter_id).isdigit()
                else Footnote.objects.none()
            )
            field = super().formfield_for_foreignkey(db_field, request, queryset=notes, **kwargs)
            field.choices = [("", "---------"), *((note.pk, f"footnote {note.number}") for note in notes)]
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class LetterPersonInline(LetterChildInline):
    model = LetterPerson
    formset = prefilled_formset("person")
    fields = ["person", "role", "name_as_written", "person_page"]
    readonly_fields = ["person_page"]
    autocomplete_fields = ["person"]
    verbose_name = "person"
    verbose_name_plural = "people"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")

    @admin.display(description="record")
    def person_page(self, obj):
        return admin_link(obj.person, "open") if obj.pk else "—"


class SourceCitationInline(LetterChildInline):
    model = SourceCitation
    formset = prefilled_formset("source")
    fields = ["footnote", "source", "is_source_note", "raw", "source_page"]
    readonly_fields = ["source_page"]
    autocomplete_fields = ["source"]
    ordering = ["footnote__number", "pk"]  # within a footnote, the order of print
    verbose_name = "archival source cited"
    verbose_name_plural = "archival sources cited"
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 60})}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source", "footnote")

    @admin.display(description="record")
    def source_page(self, obj):
        return admin_link(obj.source, "open") if obj.pk else "—"


class CrossReferenceInline(LetterChildInline):
    model = CrossReference
    fk_name = "letter"
    formset = prefilled_formset("target")
    fields = ["footnote", "target_volume", "target_number", "target_footnote", "text", "target"]
    autocomplete_fields = ["target"]
    ordering = ["footnote__number", "pk"]
    verbose_name = "cross-reference"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("footnote", "target__volume")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "target":
            kwargs["queryset"] = Letter.objects.select_related("volume")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# -- the letter ---------------------------------------------------------------------------------


class LetterAdminForm(forms.ModelForm):
    revision_comment = forms.CharField(
        label="Note for the history",
        required=False,
        max_length=500,
        help_text="Optional: why this change (kept with the revision).",
        widget=forms.TextInput(attrs={"size": 80}),
    )

    class Meta:
        model = Letter
        fields = [  # the admin's fieldsets decide what is shown; these are the editable fields
            "volume",
            "number",
            "xml_id",
            "chapter",
            "title",
            "doc_type",
            "date_min",
            "date_max",
            "date_precision",
            "dateline",
            "place",
            "classification",
            "page_start",
            "page_end",
            "terms",
            "body",
            "status",
        ]
        widgets = {"title": forms.TextInput(attrs={"class": "vTextField", "style": "width: 90%; max-width: 60em"})}

    edited_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "edited_version" in self.fields:
            self.fields["edited_version"].initial = self.instance.modified.isoformat()

    def clean(self):
        data = super().clean()
        version = data.get("edited_version")
        if self.instance.pk is not None and version and version != self.instance.modified.isoformat():
            # Saving this form would put back the values it was opened with over someone's newer ones.
            raise forms.ValidationError(
                "This letter was changed (by another editor or an import) after you opened it. "
                "Open it again to see the changes, then make yours.",
                code="stale",
            )
        volume = data.get("volume")
        if volume is None and self.instance.volume_id:
            volume = self.instance.volume
        chapter = data.get("chapter")
        if volume is not None and chapter is not None and chapter.volume_id != volume.pk:
            self.add_error("chapter", f"This chapter belongs to another volume than {volume.identifier}.")
        terms = data.get("terms")
        if volume is not None and terms is not None:
            strangers = [t.term for t in terms if t.volume_id != volume.pk]
            if strangers:
                self.add_error("terms", f"Not in {volume.identifier}'s terms list: {', '.join(strangers)}.")
        return data


@admin.register(Letter)
class LetterAdmin(ExportMixinRequiringView, admin.ModelAdmin):
    form = LetterAdminForm
    resource_classes = [LetterResource]
    list_display = ["volume_identifier", "number", "title", "doc_type", "date", "status", "modified"]
    list_display_links = ["number", "title"]
    list_filter = ["status", "volume", "doc_type", "classification"]
    list_select_related = ["volume"]
    search_fields = ["title", "body_text", "number__exact", "=xml_id"]
    search_help_text = "Heading, text, document number (193) or id (d193)."
    list_per_page = 50
    ordering = ["volume__identifier", "number"]
    autocomplete_fields = ["volume", "chapter", "terms"]
    inlines = [FootnoteInline, LetterPersonInline, SourceCitationInline, CrossReferenceInline]
    actions = ["submit_for_review", "publish", "return_to_draft"]
    save_on_top = True
    fieldsets = [
        ("Identity", {"fields": [("volume", "number", "xml_id"), "chapter", "links"]}),
        ("Heading and type", {"fields": ["title", "doc_type"]}),
        ("Dates", {"fields": [("date_min", "date_max"), "date_precision", "dateline"]}),
        (
            "Place, classification and pages",
            {"fields": ["place", "classification", ("page_start", "page_end"), "terms"]},
        ),
        ("Body", {"classes": ["collapse"], "fields": ["body"], "description": "The document as a JSON tree."}),
        ("Status", {"fields": ["status", "published_at", "corrections", ("created", "modified")]}),
        ("History", {"fields": ["history", "revision_comment", "edited_version"]}),
    ]
    readonly_fields = ["links", "published_at", "corrections", "created", "modified", "history"]

    # -- lists and pages -----------------------------------------------------------------------
    def get_queryset(self, request):
        return super().get_queryset(request).select_related("volume", "chapter")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A letter's volume and number are the importer's key for it: changed here, the next
            # import of the volume would not find the letter and would create it again.
            fields += ["volume", "number"]
        if not can_publish(request):
            fields.append("status")  # only a publisher changes the status by hand; the others use the actions
        return fields

    def lookup_allowed(self, lookup, value, request=None):
        # The "letters" links on people and archival sources filter this list by them.
        if lookup in ("letter_people__person__id__exact", "source_citations__source__id__exact"):
            return True
        return super().lookup_allowed(lookup, value, request)

    def view_on_site(self, obj):
        return site_url(obj)

    @admin.display(description="volume", ordering="volume__identifier")
    def volume_identifier(self, obj):
        return obj.volume.identifier

    @admin.display(description="date", ordering="date_min")
    def date(self, obj):
        return format_letter_date(obj)

    @admin.display(description="related records")
    def links(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        items = [format_html("Volume: {}", admin_link(obj.volume, obj.volume.identifier))]
        items.append(annotate_link(obj))  # annotations (issue 8): the letter's annotating page
        public = site_url(obj)
        if public:
            items.append(format_html('Public page: <a href="{}">{}</a>', public, public))
        citing = obj.cited_by.select_related("letter__volume").order_by("letter__volume__identifier", "letter__number")
        cited_by = list({ref.letter_id: ref for ref in citing}.values())  # once per citing letter
        if cited_by:
            items.append(
                format_html(
                    "Cited by: {}",
                    format_html_join(
                        ", ",
                        "{}",
                        (
                            (admin_link(ref.letter, f"{ref.letter.volume.identifier} d{ref.letter.number}"),)
                            for ref in cited_by
                        ),
                    ),
                )
            )
        return format_html_join(mark_safe("<br>"), "{}", ((item,) for item in items))

    @admin.display(description="corrected since the last import")
    def corrections(self, obj):
        """The fields whose value an editor changed since the last import (the importer will keep them)."""
        snapshot = getattr(obj, "import_snapshot", None) or {}
        if not snapshot:
            return "not imported"
        changed = [
            name
            for name in SCALAR_FIELDS
            if name in snapshot and differs_from_import(getattr(obj, name), snapshot[name])
        ]
        return ", ".join(changed) or "none"

    @admin.display(description="revisions")
    def history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        revisions = list(obj.revisions.select_related("user")[: HISTORY_ROWS + 1])
        if not revisions:
            return "No revisions yet."
        more = ""
        if len(revisions) > HISTORY_ROWS:
            revisions = revisions[:HISTORY_ROWS]
            more = format_html(
                '<p><a href="{}">All revisions of this letter</a></p>',
                changelist_url(Revision, letter__id__exact=obj.pk),
            )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    admin_link(rev, timezone.localtime(rev.created).strftime("%Y-%m-%d %H:%M")),
                    rev.get_origin_display(),
                    rev.user or "—",
                    changes_table(rev.changes, 60),
                    short(rev.comment, 120),
                )
                for rev in revisions
            ),
        )
        return format_html(
            '<table class="letterbook-history"><thead><tr><th>When</th><th>Origin</th><th>User</th>'
            "<th>Changes</th><th>Comment</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            more,
        )

    # -- saving: every change becomes a Revision -----------------------------------------------
    def save_model(self, request, obj, form, change):
        form._revision_changes = changes = {}
        if change:
            old = Letter.objects.select_related("volume", "chapter").get(pk=obj.pk)
            changes.update(self._field_changes(old, obj, form))
            if obj.status == Letter.Status.PUBLISHED and old.status != obj.status and not obj.published_at:
                obj.published_at = timezone.now()
                changes["published_at"] = [None, jsonable(obj.published_at)]
        elif obj.status == Letter.Status.PUBLISHED and not obj.published_at:
            obj.published_at = timezone.now()
        super().save_model(request, obj, form, change)

    @staticmethod
    def _field_changes(old: Letter, obj: Letter, form) -> dict:
        changes = {}
        for name in form.changed_data:
            try:
                field = Letter._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # a form-only field (the note for the history)
            if field.many_to_many:
                before = sorted(str(item) for item in getattr(old, name).all())
                after = sorted(str(item) for item in form.cleaned_data.get(name) or [])
            else:
                before, after = getattr(old, name), getattr(obj, name)
            before, after = jsonable(before), jsonable(after)
            if before != after:
                changes[name] = [before, after]
        return changes

    def save_formset(self, request, form, formset, change):
        changes = getattr(form, "_revision_changes", None)
        if changes is None or not change or not formset.has_changed():
            super().save_formset(request, form, formset, change)
            return
        letter = form.instance
        before = related_snapshot(formset.model, letter)
        super().save_formset(request, form, formset, change)
        after = related_snapshot(formset.model, letter)
        changes.update(related_changes(formset.model, before, after))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        after_letter_saved(request, form.instance)  # annotations (issue 8) re-found in a changed text
        changes = getattr(form, "_revision_changes", {})
        comment = form.cleaned_data.get("revision_comment", "")
        if not change:
            Revision.objects.create(
                letter=form.instance,
                user=request.user,
                origin=Revision.Origin.EDITOR,
                comment=comment or "created in the admin",
            )
        elif changes:
            Revision.objects.create(
                letter=form.instance, user=request.user, origin=Revision.Origin.EDITOR, changes=changes, comment=comment
            )

    # -- the editorial workflow ---------------------------------------------------------------
    def has_publish_permission(self, request):
        return can_publish(request)

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._transition(request, queryset, Letter.Status.IN_REVIEW, {Letter.Status.DRAFT}, "submitted for review")

    @admin.action(description="Publish", permissions=["publish"])
    def publish(self, request, queryset):
        if not can_publish(request):  # the action is hidden from them; refuse a forged request too
            self.message_user(request, "You may not publish letters.", messages.ERROR)
            return
        self._transition(
            request, queryset, Letter.Status.PUBLISHED, {Letter.Status.DRAFT, Letter.Status.IN_REVIEW}, "published"
        )

    @admin.action(description="Return to draft", permissions=["change"])
    def return_to_draft(self, request, queryset):
        sources = {Letter.Status.IN_REVIEW}
        if can_publish(request):
            sources.add(Letter.Status.PUBLISHED)  # unpublishing is a publisher's decision
        self._transition(request, queryset, Letter.Status.DRAFT, sources, "returned to draft")

    def _transition(self, request, queryset, target, sources, verb):
        now = timezone.now()
        letters = list(queryset.order_by().select_related(None).only("pk", "status", "published_at"))
        moving = [letter for letter in letters if letter.status in sources]
        revisions = []
        for letter in moving:
            change = {"status": [letter.status, target]}
            if target == Letter.Status.PUBLISHED and not letter.published_at:
                change["published_at"] = [None, jsonable(now)]
            revisions.append(
                Revision(
                    letter_id=letter.pk,
                    user=request.user,
                    origin=Revision.Origin.EDITOR,
                    changes=change,
                    comment=f"{verb} (admin action)",
                )
            )
        ids = [letter.pk for letter in moving]
        if ids:
            Letter.objects.filter(pk__in=ids).update(status=target, modified=now)
            if target == Letter.Status.PUBLISHED:
                Letter.objects.filter(pk__in=ids, published_at__isnull=True).update(published_at=now)
            Revision.objects.bulk_create(revisions)
            self.message_user(
                request,
                ngettext("%(count)d letter %(verb)s.", "%(count)d letters %(verb)s.", len(ids))
                % {"count": len(ids), "verb": verb},
                messages.SUCCESS,
            )
        skipped = len(letters) - len(ids)
        if skipped:
            allowed = " or ".join(sorted(Letter.Status(s).label.lower() for s in sources))
            self.message_user(
                request,
                ngettext(
                    "%(count)d letter skipped: only letters %(allowed)s can be %(verb)s.",
                    "%(count)d letters skipped: only letters %(allowed)s can be %(verb)s.",
                    skipped,
                )
                % {"count": skipped, "allowed": allowed, "verb": verb},
                messages.WARNING,
            )


def differs_from_import(value, imported) -> bool:
    """Whether a field's value differs from the last import's (``loader._jsonable`` form)."""
    if isinstance(value, datetime.datetime) and isinstance(imported, str):
        try:
            return value != datetime.datetime.fromisoformat(imported)
        except ValueError:
            return True
    return (value.isoformat() if hasattr(value, "isoformat") else value) != imported


# -- what an inline's save changed, for the Revision ----------------------------------------------


def related_snapshot(model, letter: Letter):
    if model is Footnote:
        return {note.number: (note.kind, note.text) for note in Footnote.objects.filter(letter=letter)}
    if model is LetterPerson:
        return sorted(
            [link.person.display_name, link.role, link.name_as_written]
            for link in LetterPerson.objects.filter(letter=letter).select_related("person")
        )
    if model is SourceCitation:
        return [
            [cite.footnote.number if cite.footnote_id else None, str(cite.source), cite.raw]
            for cite in SourceCitation.objects.filter(letter=letter).select_related("footnote", "source").order_by("pk")
        ]
    if model is CrossReference:
        return [
            [
                ref.footnote.number if ref.footnote_id else None,
                ref.target_volume,
                ref.target_number,
                ref.target_footnote,
                ref.text,
            ]
            for ref in CrossReference.objects.filter(letter=letter).select_related("footnote").order_by("pk")
        ]
    return None


RELATED_KEYS = {LetterPerson: "people", SourceCitation: "sources", CrossReference: "references"}


def related_changes(model, before, after) -> dict:
    if before == after:
        return {}
    if model is Footnote:
        changes = {}
        for number in sorted(set(before) | set(after)):
            old_kind, old_text = before.get(number, (None, None))
            new_kind, new_text = after.get(number, (None, None))
            if old_text != new_text:
                changes[f"footnote {number}"] = [old_text, new_text]
            if old_kind != new_kind and old_text is not None and new_text is not None:
                changes[f"footnote {number} kind"] = [old_kind, new_kind]
        return changes
    key = RELATED_KEYS.get(model, model._meta.verbose_name_plural)
    return {key: [before, after]}


@admin.register(Footnote)
class FootnoteAdmin(LetterColumnMixin, ReadOnlyAdmin):
    list_display = ["letter_link", "number", "kind", "excerpt"]
    list_filter = ["kind"]
    list_select_related = ["letter__volume"]
    search_fields = ["text", "letter__title", "=letter__xml_id"]
    ordering = ["letter__volume__identifier", "letter__number", "number"]

    @admin.display(description="text")
    def excerpt(self, obj):
        return short(obj.text, 120)


@admin.register(CrossReference)
class CrossReferenceAdmin(LetterColumnMixin, ReadOnlyAdmin):
    list_display = ["letter_link", "footnote_number", "target_volume", "target_number", "target_link", "text"]
    list_filter = [("target", admin.EmptyFieldListFilter)]
    list_select_related = ["letter__volume", "footnote", "target__volume"]
    search_fields = ["target_volume", "text", "letter__title"]

    @admin.display(description="footnote")
    def footnote_number(self, obj):
        return obj.footnote.number if obj.footnote_id else "—"

    @admin.display(description="resolved to")
    def target_link(self, obj):
        if not obj.target_id:
            return "unresolved" if obj.target_number else "—"
        return admin_link(obj.target, f"{obj.target.volume.identifier} d{obj.target.number}")
