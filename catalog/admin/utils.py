"""Helpers shared by the admin modules: links between records, JSON-safe values, cheap widgets."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.forms.models import BaseInlineFormSet
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from catalog import checks, locking, revisions, search
from catalog.revisions import jsonable  # noqa: F401  (the admin modules' import of it)


def admin_url(obj, action: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=[obj.pk])


def admin_link(obj, label=None):
    """A link to ``obj``'s admin change page, or an em dash when there is no object."""
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', admin_url(obj), label if label is not None else str(obj))


def changelist_url(model, **filters) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    if filters:
        url += "?" + "&".join(f"{key}={value}" for key, value in filters.items())
    return url


def site_url(obj) -> str | None:
    """The public address of ``obj``, or None while the public views do not answer to it yet."""
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return None


def short(value, limit: int = 80) -> str:
    text = "—" if value in (None, "", [], {}) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def changes_table(changes: dict, limit: int = 80):
    """A Revision's ``{"field": [old, new]}`` as a small HTML list: field: old → new."""
    rows = []
    for name, pair in (changes or {}).items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            old, new = pair
            rows.append((name, short(revisions.as_text(name, old), limit), short(revisions.as_text(name, new), limit)))
        else:
            rows.append((name, "", short(revisions.as_text(name, pair), limit)))
    if not rows:
        return "—"
    return format_html(
        '<ul class="letterbook-changes">{}</ul>',
        format_html_join("", "<li><strong>{}</strong>: {} → {}</li>", rows),
    )


class PrefilledAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that labels its selected value without a query when the label is known.

    Django's widget looks up the selected object once per rendered row; in an inline of many rows
    that is one query per row. The formset below hands each form's widget the label of the related
    object it already loaded (with ``select_related``), so rendering costs nothing.
    """

    known_labels: dict[str, str] | None = None

    def optgroups(self, name, value, attr=None):
        known = self.known_labels or {}
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if not selected or not all(pk in known for pk in selected):
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        for pk in selected:
            default[1].append(self.create_option(name, pk, known[pk], True, len(default[1])))
        return [default]


class PrefilledAutocompleteFormSet(BaseInlineFormSet):
    """An inline formset that renders without a query per row.

    Each row's object is given the parent object (Django sets only the parent's id, so rendering the
    row's name would load the parent again), and each autocomplete widget in ``prefilled_fields`` the
    label of its current object.
    """

    prefilled_fields: tuple[str, ...] = ()

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        instance = form.instance
        if self.instance.pk is not None and getattr(instance, self.fk.attname) == self.instance.pk:
            setattr(instance, self.fk.name, self.instance)
        for name in self.prefilled_fields:
            field = form.fields.get(name)
            if field is None or instance.pk is None or getattr(instance, f"{name}_id", None) is None:
                continue
            widget = getattr(field.widget, "widget", field.widget)
            if isinstance(widget, PrefilledAutocompleteSelect):
                related = getattr(instance, name)
                widget.known_labels = {str(related.pk): field.label_from_instance(related)}
        return form


def prefilled_formset(*names: str):
    return type("PrefilledFormSet", (PrefilledAutocompleteFormSet,), {"prefilled_fields": names})


class LetterColumnMixin:
    """A changelist column linking a record's letter ("frus1969-76v33 d193") to its admin page."""

    @admin.display(description="letter", ordering="letter__number")
    def letter_link(self, obj):
        if obj.letter_id is None:
            return "—"
        return admin_link(obj.letter, f"{obj.letter.volume.identifier} d{obj.letter.number}")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records edited on their letter's page (so that each change there writes a Revision)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LockedAdminMixin:
    """Optimistic locking on a model admin: its form (a ``locking.VersionedForm``) carries the version;
    saving claims the record in one conditional UPDATE, and so does each changed inline row.

    A save refused at the UPDATE (another save won the race) is rolled back and the page shown again:
    the form then sees the newer version and tells the editor, keeping their input.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except locking.StaleEdit:
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            locking.claim(obj, form.cleaned_data.get(locking.TOKEN_FIELD))
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if locking.TOKEN_FIELD not in inline_form.fields or inline_form.instance.pk is None:
                continue
            if inline_form.has_changed() or inline_form in formset.deleted_forms:
                locking.claim(inline_form.instance, inline_form.cleaned_data.get(locking.TOKEN_FIELD))
        super().save_formset(request, form, formset, change)


class RecordedAdminMixin(LockedAdminMixin):
    """Every save of a person, an archival source or a volume written as a Revision, with an optional
    comment (the form's ``revision_comment``), and the record's history on its page."""

    history_rows = 30

    def save_model(self, request, obj, form, change):
        old = type(obj).objects.get(pk=obj.pk) if change else None
        super().save_model(request, obj, form, change)
        search.reindex_for(obj)  # a source's repository is a facet of its letters
        comment = form.cleaned_data.get("revision_comment", "")
        if change:
            revisions.record(obj, request.user, revisions.field_changes(old, obj, form.changed_data), comment)
        else:
            revisions.record(obj, request.user, {}, comment or "created in the admin")
        checks.refresh_for(obj)  # e.g. a person no longer flagged for review

    @admin.display(description="history")
    def record_history(self, obj):
        from catalog.models import Revision

        if obj is None or obj.pk is None:
            return "—"
        rows = list(
            Revision.objects.filter(target_model=obj._meta.model_name, target_id=obj.pk).select_related("user")[
                : self.history_rows
            ]
        )
        if not rows:
            return "No revisions yet."
        return format_html(
            '<ul class="letterbook-history">{}</ul>',
            format_html_join(
                "",
                "<li>{} · {} · {}: {}</li>",
                (
                    (admin_link(rev, f"{rev.created:%Y-%m-%d %H:%M}"), rev.get_origin_display(), rev.user or "—",
                     changes_table(rev.changes, 60))
                    for rev in rows
                ),
            ),
        )  # fmt: skip


def comment_field():
    from django import forms

    return forms.CharField(
        label="Note for the history",
        required=False,
        max_length=500,
        help_text="Optional: why this change (kept with the revision).",
        widget=forms.TextInput(attrs={"size": 80}),
    )


def refuse(modeladmin, request, error) -> None:
    modeladmin.message_user(request, str(error), messages.ERROR)
