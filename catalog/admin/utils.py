"""Helpers shared by the admin modules: links between records, JSON-safe values, cheap widgets."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ExportMixin


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


def jsonable(value):
    """A value as a Revision stores it: JSON types only, dates as ISO strings (aware ones in UTC)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def short(value, limit: int = 80) -> str:
    text = "—" if value in (None, "", [], {}) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def changes_table(changes: dict, limit: int = 80):
    """A Revision's ``{"field": [old, new]}`` as a small HTML list: field: old → new."""
    rows = []
    for name, pair in (changes or {}).items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            old, new = pair
            rows.append((name, short(old, limit), short(new, limit)))
        else:
            rows.append((name, "", short(pair, limit)))
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


class ExportMixinRequiringView(ExportMixin):
    """django-import-export's export, for those who may see the records.

    Left to itself (without ``IMPORT_EXPORT_EXPORT_PERMISSION_CODE``) the export page answers any
    staff user, whatever their permissions: a way around the admin's own view permission.
    """

    def has_export_permission(self, request):
        return self.has_view_permission(request) and super().has_export_permission(request)
