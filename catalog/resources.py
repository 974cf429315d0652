"""django-import-export resources: the admin's CSV/JSON/… exports of letters and people.

Export only: volumes come in through ``manage.py import_volume``, which keeps editors' corrections.
"""

from import_export import fields, resources, widgets

from catalog.models import Letter, Person, Volume


class LetterResource(resources.ModelResource):
    volume = fields.Field(
        attribute="volume", column_name="volume", widget=widgets.ForeignKeyWidget(Volume, field="identifier")
    )

    class Meta:
        model = Letter
        fields = [
            "volume",
            "number",
            "title",
            "doc_type",
            "date_min",
            "date_max",
            "classification",
            "page_start",
            "page_end",
            "status",
        ]
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().select_related("volume")


class PersonResource(resources.ModelResource):
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
        ]
        export_order = fields

    def dehydrate_letter_count(self, person):
        count = getattr(person, "letter_count", None)  # annotated by the admin's queryset
        if count is None:
            count = person.letter_links.values("letter").distinct().count()
        return count
