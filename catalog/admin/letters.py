"""Letters and what hangs off them: footnotes, people, source citations, cross-references.

Editing here is the editors' side of the three-way merge the importer does: every save writes a
Revision with each changed field's old and new value, so a later import meets the correction
(``catalog.ingest.loader``) and keeps it, and the history shows who changed what.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from catalog import checks, locking, revisions, search, workflow
from catalog.ingest.loader import SCALAR_FIELDS
from catalog.models import CrossReference, Footnote, Letter, LetterPerson, Revision, SourceCitation
from catalog.resources import LetterResource

from .annotations import after_letter_saved, annotate_link
from .filters import AssignedToMeFilter, HasProblemsFilter, ProblemKindFilter
from .spreadsheets import SpreadsheetAdminMixin
from .utils import (
    LetterColumnMixin,
    LockedAdminMixin,
    PrefilledAutocompleteSelect,
    ReadOnlyAdmin,
    admin_link,
    changelist_url,
    changes_table,
    comment_field,
    jsonable,
    prefilled_formset,
    short,
    site_url,
)
from .workflow import WorkflowPermissionsMixin, run_move, workflow_actions

HISTORY_ROWS = 50  # the newest revisions shown on a letter's page; the Revision list has them all


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


class FootnoteForm(locking.VersionedForm):
    check_unchanged = False  # only a changed row is saved, so only a changed row needs its version

    class Meta:
        model = Footnote
        fields = ["number", "kind", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "cols": 100})}

    def clean_text(self):
        # Browsers send a textarea's line breaks as CRLF; the importer's text has LF.
        return self.cleaned_data["text"].replace("\r\n", "\n")

    def save(self, commit=True):
        if "text" in self.changed_data or not self.instance.content:
            # The display form follows the corrected text, keeping the marks (italics, names, links)
            # of the words that stay.
            old_text = self.initial.get("text", "") if self.instance.pk else ""
            self.instance.content = revisions.edit_content(self.instance.content, old_text, self.instance.text)
        return super().save(commit)


class FootnoteInline(admin.TabularInline):
    model = Footnote
    form = FootnoteForm
    formset = prefilled_formset()
    fields = ["number", "kind", "text", "anchor", "version_token"]
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


class LetterAdminForm(locking.VersionedForm):
    revision_comment = comment_field()
    erratum_note = forms.CharField(
        label="Public correction note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text='For a letter already published: shown to readers, dated, e.g. "the date was 12 March".',
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
            "assigned_to",
        ]
        widgets = {"title": forms.TextInput(attrs={"class": "vTextField letterbook-wide"})}

    def clean(self):
        data = super().clean()
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
class LetterAdmin(LockedAdminMixin, WorkflowPermissionsMixin, SpreadsheetAdminMixin, admin.ModelAdmin):
    form = LetterAdminForm
    resource_classes = [LetterResource]
    change_form_template = "admin/catalog/letter/change_form.html"
    list_display = ["volume_identifier", "number", "title", "doc_type", "date", "status", "problem_count", "modified"]
    list_display_links = ["number", "title"]
    list_filter = [
        "status",
        "provisional",
        AssignedToMeFilter,
        HasProblemsFilter,
        ProblemKindFilter,
        "volume",
        "doc_type",
        "classification",
    ]
    list_select_related = ["volume"]
    search_fields = ["title", "body_text", "number__exact", "=xml_id"]
    search_help_text = "Heading, text, document number (193) or id (d193)."
    list_per_page = 50
    ordering = ["volume__identifier", "number"]
    autocomplete_fields = ["volume", "chapter", "terms"]
    inlines = [FootnoteInline, LetterPersonInline, SourceCitationInline, CrossReferenceInline]
    actions = [*workflow_actions("letter"), "assign_letters_to_me"]
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
        (
            "Review",
            {
                "fields": [
                    ("status", "provisional"),
                    "assigned_to",
                    "problems_list",
                    "published_at",
                    "erratum_note",
                    "errata_list",
                    "corrections",
                    ("created", "modified"),
                ]
            },
        ),
        ("Workflow history", {"fields": ["transitions_list"]}),
        ("History", {"fields": ["history", "revision_comment", "version_token"]}),
    ]
    readonly_fields = [
        "links",
        "status",
        "provisional",
        "published_at",
        "problems_list",
        "errata_list",
        "transitions_list",
        "corrections",
        "created",
        "modified",
        "history",
    ]

    # -- lists and pages -----------------------------------------------------------------------
    def get_queryset(self, request):
        return super().get_queryset(request).select_related("volume", "chapter", "assigned_to")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A letter's volume and number are the importer's key for it: changed here, the next
            # import of the volume would not find the letter and would create it again.
            fields += ["volume", "number"]
        if not request.user.has_perm(workflow.ASSIGN_PERMISSION):
            fields.append("assigned_to")  # assigning is a reviewer's decision
        if obj is None or not obj.published_at or not request.user.has_perm(workflow.ERRATUM_PERMISSION):
            fields.append("erratum_note")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        readonly = set(self.get_readonly_fields(request, obj))
        if "erratum_note" in readonly:  # a note only a publisher writes, on a letter published before
            fieldsets = [
                (name, {**options, "fields": [f for f in options["fields"] if f != "erratum_note"]})
                for name, options in fieldsets
            ]
        return fieldsets

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = reviewers()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name="catalog_letter_move",
            ),
        ]
        return urls + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["moves"] = workflow.available_moves(request.user, obj)
            context["sent_back"] = workflow.last_send_back(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def move_view(self, request, object_id):
        """The buttons on a letter's page: one move, with its comment; publishing problems asks first."""
        letter = self.get_object(request, object_id)
        if letter is None or not self.has_view_or_change_permission(request, letter):
            raise PermissionDenied
        back = HttpResponseRedirect(reverse("admin:catalog_letter_change", args=[letter.pk]))
        if request.method != "POST":
            return back
        move = workflow.MOVES.get(request.POST.get("move", ""))
        if move is None:
            self.message_user(request, "Unknown workflow step.", messages.ERROR)
            return back
        response = run_move(self, request, Letter.objects.filter(pk=letter.pk), move)
        return response or back

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

    @admin.display(description="problems found by the checks")
    def problems_list(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        problems = list(obj.problems.all())
        if not problems:
            return "none"
        return format_html(
            '<ul class="letterbook-problems">{}</ul>',
            format_html_join("", "<li>{}</li>", ((problem.detail,) for problem in problems)),
        )

    @admin.display(description="public correction notes")
    def errata_list(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        errata = list(obj.errata.select_related("user"))
        if not errata:
            return "none"
        return format_html_join(
            mark_safe("<br>"),
            "Corrected on {} by {}: {}",
            ((timezone.localtime(e.created).date().isoformat(), e.user or "—", e.note) for e in errata),
        )

    @admin.display(description="moves through the workflow")
    def transitions_list(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        moves = list(obj.transitions.select_related("user")[:HISTORY_ROWS])
        if not moves:
            return "none yet"
        return format_html(
            '<table class="letterbook-transitions"><thead><tr><th>When</th><th>Who</th><th>From</th><th>To</th>'
            "<th>Comment</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        timezone.localtime(t.created).strftime("%Y-%m-%d %H:%M"),
                        t.user or "—",
                        t.get_from_status_display(),
                        t.get_to_status_display(),
                        t.comment or "—",
                    )
                    for t in moves
                ),
            ),
        )

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
            old = Letter.objects.select_related("volume", "chapter", "assigned_to").get(pk=obj.pk)
            changes.update(self._field_changes(old, obj, form))
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
        search.reindex_letters([form.instance.pk])  # the stored search index and facet keys
        changes = getattr(form, "_revision_changes", {})
        comment = form.cleaned_data.get("revision_comment", "")
        letter = form.instance
        if not change:
            Revision.objects.create(
                letter=letter,
                user=request.user,
                origin=Revision.Origin.EDITOR,
                comment=comment or "created in the admin",
            )
        elif changes:
            Revision.objects.create(
                letter=letter, user=request.user, origin=Revision.Origin.EDITOR, changes=changes, comment=comment
            )
        note = form.cleaned_data.get("erratum_note", "")
        if note and letter.published_at:
            workflow.add_erratum(letter, note, request.user)
        checks.refresh_letters([letter.pk])

    # -- the editorial workflow: the bulk actions are catalog.admin.workflow's ------------------
    @admin.action(description="Assign to me (reviewers)", permissions=["review"])
    def assign_letters_to_me(self, request, queryset):
        try:
            count = workflow.assign(queryset, request.user, request.user)
        except (PermissionDenied, ValueError) as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, f"{count} letters assigned to you.", messages.SUCCESS)


def reviewers():
    """The users a letter can be assigned to: active staff who may review (directly, by group, or as superuser)."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__codename="review_letter")
            | Q(groups__permissions__codename="review_letter")
        )
        .distinct()
        .order_by("username")
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
