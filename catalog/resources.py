"""django-import-export resources: bulk corrections of people, archival sources and letter metadata.

Export (CSV, XLSX, JSON) from any filtered admin list; import back *updates only*: each row is
found by a stable identifier (a person's slug, a source's id, a letter's volume and number), a row
that names nothing is an error, unchanged rows are skipped, and the whole file is checked before
anything is written (one transaction; any bad row and nothing is). Each row carries the record's
version (``version`` column): a record changed since the export is a conflict, not an overwrite
(``catalog.locking.claim``). Every change is recorded as a Revision (origin "spreadsheet").

Volumes come in through ``manage.py import_volume``, which keeps editors' corrections.
"""

from __future__ import annotations

import json

from django.conf import settings
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from catalog import checks, locking, revisions, search
from catalog.models import ArchivalSource, Letter, Person, Revision, Volume

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell made inert: a leading apostrophe before a formula character (Excel hides it)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value):
    """The inverse of ``neutralise`` on import, so an exported file imports back unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class _Neutralising:
    """Every text cell neutralised (django-import-export's own escape only drops one leading "=")."""

    def _escape_formulae(self, dataset):
        for _ in range(len(dataset)):
            row = dataset.lpop()
            dataset.append([neutralise(cell) for cell in row])

    def export_data(self, dataset, **kwargs):
        if getattr(settings, "IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT", False) is not True:
            self._escape_formulae(dataset)  # the base class does it when the setting is on
        return super().export_data(dataset, **kwargs)


class SafeCSV(_Neutralising, base_formats.CSV):
    pass


class SafeXLSX(_Neutralising, base_formats.XLSX):
    pass


FORMATS = [SafeCSV, SafeXLSX, base_formats.JSON]


class VersionField(fields.Field):
    """The record's version as exported; read back to detect a change since the export."""

    def __init__(self):
        super().__init__(attribute=None, column_name="version", readonly=True)

    def get_value(self, obj):
        return locking.token(obj)


class JsonCell(widgets.JSONWidget):
    """A JSON field as one cell: ``[]`` and ``{}`` written as such (the library writes nothing for
    them, which then reads back as a different value), an empty cell read as the field's default."""

    def render(self, value, obj=None, **kwargs):
        return json.dumps(value, ensure_ascii=False) if value is not None else ""

    def clean(self, value, row=None, **kwargs):
        if value in (None, "", "None"):
            return None
        return super().clean(value, row, **kwargs)


class UpdateOnlyResource(resources.ModelResource):
    version = VersionField()
    identity = "record"

    def init_instance(self, row=None):
        keys = ", ".join(f"{name}={row.get(name)!r}" for name in self._meta.import_id_fields)
        raise ValueError(f"No {self.identity} with {keys}: this import only updates existing records.")

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name in row:
            value = restore(row[field.column_name])
            if value is None and field.attribute:  # a spreadsheet's empty cell: the field's own empty value
                model_field = next((f for f in instance._meta.concrete_fields if f.name == field.attribute), None)
                if model_field is not None and not model_field.null:
                    value = "" if model_field.empty_strings_allowed and not model_field.has_default() else None
                    if model_field.has_default():
                        value = json.dumps(model_field.get_default())
            row[field.column_name] = value
        return super().import_field(field, instance, row, is_m2m, **kwargs)

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.get_internal_type() == "JSONField":
            return JsonCell
        return super().widget_from_django_field(f, default)

    def dehydrate_version(self, obj):
        return locking.token(obj)

    def before_save_instance(self, instance, row, **kwargs):
        self._before = type(instance).objects.get(pk=instance.pk)
        try:
            locking.claim(instance, row.get("version"))
        except locking.StaleEdit:
            raise ValueError(
                f"This {self.identity} was changed after the export (version {row.get('version') or 'missing'}, "
                f"now {locking.token(self._before)}): export it again and re-apply the correction."
            ) from None

    def after_save_instance(self, instance, row, **kwargs):
        names = [f.attribute for f in self.get_import_fields() if f.attribute and not f.readonly]
        changes = revisions.field_changes(self._before, instance, names)
        self.record(instance, changes, kwargs.get("user"))

    def record(self, instance, changes, user):
        revisions.record(instance, user, changes, "spreadsheet import", origin=Revision.Origin.SPREADSHEET)
        checks.refresh_for(instance)
        search.reindex_for(instance)


class LetterResource(UpdateOnlyResource):
    identity = "letter"
    volume = fields.Field(
        attribute="volume",
        column_name="volume",
        widget=widgets.ForeignKeyWidget(Volume, field="identifier"),
        readonly=False,
    )
    status = fields.Field(attribute="status", column_name="status", readonly=True)

    class Meta:
        model = Letter
        fields = [
            "volume",
            "number",
            "title",
            "doc_type",
            "date_min",
            "date_max",
            "date_precision",
            "place",
            "dateline",
            "classification",
            "page_start",
            "page_end",
            "status",
            "version",
        ]
        export_order = fields
        import_id_fields = ["volume", "number"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def get_queryset(self):
        return super().get_queryset().select_related("volume")

    def record(self, instance, changes, user):
        if changes:
            Revision.objects.create(
                letter=instance,
                user=user,
                origin=Revision.Origin.SPREADSHEET,
                changes=changes,
                comment="spreadsheet import",
            )
        checks.refresh_letters([instance.pk])


class PersonResource(UpdateOnlyResource):
    identity = "person"
    letter_count = fields.Field(column_name="letters", readonly=True)

    class Meta:
        model = Person
        fields = [
            "slug",
            "display_name",
            "sort_name",
            "titles",
            "aliases",
            "description",
            "external_ids",
            "is_organization",
            "needs_review",
            "letter_count",
            "version",
        ]
        export_order = fields
        import_id_fields = ["slug"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def dehydrate_letter_count(self, person):
        count = getattr(person, "letter_count", None)  # annotated by the admin's queryset
        if count is None:
            count = person.letter_links.values("letter").distinct().count()
        return count


class ArchivalSourceResource(UpdateOnlyResource):
    identity = "archival source"

    class Meta:
        model = ArchivalSource
        fields = ["id", "repository", "collection", "box", "folder", "raw", "version"]
        export_order = fields
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
