"""People: review of the importer's uncertain matches, and merging duplicates into one record."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from catalog import caching, checks, locking, person_letters, search
from catalog.models import Letter, LetterPerson, Person, PersonIdentifier, Revision
from catalog.resources import PersonResource

from .spreadsheets import SpreadsheetAdminMixin
from .utils import (
    LetterColumnMixin,
    ReadOnlyAdmin,
    RecordedAdminMixin,
    admin_link,
    admin_url,
    changelist_url,
    comment_field,
    site_url,
)


def letter_count_subquery():
    """The number of letters a person appears in, as a correlated subquery (no GROUP BY on people)."""
    counts = (
        LetterPerson.objects.filter(person=OuterRef("pk"))
        .order_by()
        .values("person")
        .annotate(n=Count("letter", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


class PersonIdentifierInline(admin.TabularInline):
    model = PersonIdentifier
    fields = ["volume", "local_id"]
    autocomplete_fields = ["volume"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("volume")


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(queryset=Person.objects.none(), widget=forms.RadioSelect, empty_label=None)
    comment = forms.CharField(required=False, max_length=300, widget=forms.TextInput(attrs={"size": 80}))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = Person.objects.filter(pk__in=[p.pk for p in people])


def _person_record(person: Person) -> dict:
    return {
        "id": person.pk,
        "display_name": person.display_name,
        "sort_name": person.sort_name,
        "slug": person.slug,
        "titles": person.titles,
        "aliases": person.aliases,
        "description": person.description,
        "external_ids": person.external_ids,
        "is_organization": person.is_organization,
        "identifiers": [str(ident) for ident in person.identifiers.select_related("volume")],
    }


def _union(first: list, *more: list) -> list:
    seen, result = set(), []
    for value in [*first, *(v for values in more for v in values)]:
        key = value if isinstance(value, str | int) else repr(value)
        if key not in seen:
            seen.add(key)
            result.append(value)
    return result


@transaction.atomic
@person_letters.signals_paused()  # one refresh of the affected letters at the end, not one per link
def merge_people(keep: Person, others: list[Person], user=None, comment: str = "") -> Revision:
    """Merge ``others`` into ``keep``: their letters, ids, names and notes move over; they are deleted.

    One transaction; the merge Revision keeps the merged records as they were.
    """
    ids = [p.pk for p in others if p.pk != keep.pk]
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[keep.pk, *ids])}
    keep = locked[keep.pk]
    others = [locked[pk] for pk in ids if pk in locked]
    before = {
        "aliases": list(keep.aliases),
        "titles": list(keep.titles),
        "description": keep.description,
        "external_ids": dict(keep.external_ids),
    }
    records = [_person_record(p) for p in others]

    # Letters: move each link, unless the kept person already has that role in that letter.
    taken = {
        (letter_id, role): (pk, name)
        for pk, letter_id, role, name in LetterPerson.objects.filter(person=keep).values_list(
            "pk", "letter_id", "role", "name_as_written"
        )
    }
    move, drop, fill = [], [], {}
    affected: dict[int, list[str]] = {}
    for link in LetterPerson.objects.filter(person__in=others).select_related("person").order_by("pk"):
        affected.setdefault(link.letter_id, []).append(link.person.display_name)
        key = (link.letter_id, link.role)
        if key in taken:
            drop.append(link.pk)
            kept_pk, kept_name = taken[key]
            if not kept_name and link.name_as_written:
                fill[kept_pk] = link.name_as_written
                taken[key] = (kept_pk, link.name_as_written)
        else:
            move.append(link.pk)
            taken[key] = (link.pk, link.name_as_written)
    LetterPerson.objects.filter(pk__in=drop).delete()
    LetterPerson.objects.filter(pk__in=move).update(person=keep)
    for pk, name in fill.items():
        LetterPerson.objects.filter(pk=pk).update(name_as_written=name)
    PersonIdentifier.objects.filter(person__in=others).update(person=keep)
    caching.invalidate("people merged")  # update() sends no signal

    # Names, titles and notes: nothing of the merged records is dropped.
    merged_names = [name for p in others for name in (p.display_name, *p.aliases)]
    keep.aliases = [a for a in _union(keep.aliases, merged_names) if a != keep.display_name]
    keep.titles = _union(keep.titles, *(p.titles for p in others))
    if not keep.description:
        keep.description = next((p.description for p in others if p.description), "")
    keep.external_ids = {**{k: v for p in reversed(others) for k, v in p.external_ids.items()}, **keep.external_ids}
    if keep.possible_duplicate_of_id in ids:
        keep.possible_duplicate_of = None
        keep.needs_review = False
    keep.save()
    Person.objects.filter(possible_duplicate_of__in=ids).update(possible_duplicate_of=None)

    changes = {"merged": [records, None]}
    after = {
        "aliases": keep.aliases,
        "titles": keep.titles,
        "description": keep.description,
        "external_ids": keep.external_ids,
    }
    changes.update({name: [before[name], after[name]] for name in before if before[name] != after[name]})
    changes["letter_links"] = [len(move) + len(drop), len(move)]
    names = ", ".join(f"{p.display_name} (#{p.pk})" for p in others)
    summary = f"merged {names} into {keep.display_name} (#{keep.pk})"
    if comment:
        summary += f": {comment}"
    revision = Revision.objects.create(
        letter=None,
        target_model="person",
        target_id=keep.pk,
        target_label=str(keep)[:300],
        user=user,
        origin=Revision.Origin.MERGE,
        changes=changes,
        comment=summary[:500],
    )
    Revision.objects.bulk_create(
        Revision(
            letter_id=letter_id,
            user=user,
            origin=Revision.Origin.MERGE,
            changes={"people": [sorted(set(merged)), keep.display_name]},
            comment=summary[:500],
        )
        for letter_id, merged in affected.items()
    )
    Person.objects.filter(pk__in=ids).delete()
    search.reindex_letters(affected)  # the people facets of the letters that changed hands
    person_letters.refresh_letters(affected)  # people's pages: the kept person's letters and correspondents
    return revision


class PersonForm(locking.VersionedForm):
    revision_comment = comment_field()

    class Meta:
        model = Person
        fields = "__all__"


@admin.register(Person)
class PersonAdmin(RecordedAdminMixin, SpreadsheetAdminMixin, admin.ModelAdmin):
    form = PersonForm
    resource_classes = [PersonResource]
    list_display = [
        "display_name",
        "sort_name",
        "is_organization",
        "needs_review",
        "duplicate_of",
        "letter_count",
    ]
    list_filter = ["needs_review", "is_organization"]
    list_select_related = ["possible_duplicate_of"]
    search_fields = ["display_name", "sort_name", "aliases", "description"]
    ordering = ["sort_name"]
    autocomplete_fields = ["possible_duplicate_of"]
    inlines = [PersonIdentifierInline]
    actions = ["merge_selected", "mark_reviewed"]
    fieldsets = [
        (None, {"fields": ["display_name", "sort_name", "slug", "is_organization"]}),
        ("Names and roles", {"fields": ["titles", "aliases", "description", "external_ids"]}),
        ("Review", {"fields": ["needs_review", "possible_duplicate_of", "possible_duplicates_list"]}),
        ("Letters", {"fields": ["letters"]}),
        ("History", {"fields": ["record_history", "revision_comment", "version_token"]}),
    ]
    readonly_fields = ["possible_duplicates_list", "letters", "record_history"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(letter_count=letter_count_subquery())

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("slug")  # the public address: fixed once made
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else {"slug": ["display_name"]}

    def view_on_site(self, obj):
        return site_url(obj)

    @admin.display(description="possible duplicate of", ordering="possible_duplicate_of__sort_name")
    def duplicate_of(self, obj):
        return admin_link(obj.possible_duplicate_of) if obj.possible_duplicate_of_id else "—"

    @admin.display(description="letters", ordering="letter_count")
    def letter_count(self, obj):
        count = obj.letter_count
        if not count:
            return 0
        return format_html(
            '<a href="{}">{}</a>', changelist_url(Letter, letter_people__person__id__exact=obj.pk), count
        )

    @admin.display(description="flagged as possible duplicates of this person")
    def possible_duplicates_list(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        flagged = list(obj.possible_duplicates.all())
        if not flagged:
            return "none"
        return format_html_join(", ", "{}", ((admin_link(p),) for p in flagged))

    @admin.display(description="appears in")
    def letters(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        links = list(
            obj.letter_links.select_related("letter__volume").order_by("letter__volume__identifier", "letter__number")[
                :200
            ]
        )
        if not links:
            return "no letters"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} — {} ({})</li>",
                (
                    (
                        admin_link(link.letter, f"{link.letter.volume.identifier} d{link.letter.number}"),
                        link.letter.title,
                        link.get_role_display().lower(),
                    )
                    for link in links
                ),
            ),
        )

    # -- actions -------------------------------------------------------------------------------
    @admin.action(description="Mark as reviewed (not a duplicate)", permissions=["change"])
    def mark_reviewed(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        count = Person.objects.filter(pk__in=ids).update(
            needs_review=False, possible_duplicate_of=None, modified=timezone.now()
        )
        checks.refresh_letters(LetterPerson.objects.filter(person_id__in=ids).values_list("letter_id", flat=True))
        self.message_user(request, f"{count} people marked as reviewed.", messages.SUCCESS)

    def has_merge_permission(self, request):
        # A merge changes one person and deletes the others (Django allows an action on any one
        # of its permissions, so both are checked here).
        return self.has_change_permission(request) and self.has_delete_permission(request)

    @admin.action(description="Merge selected people…", permissions=["merge"])
    def merge_selected(self, request, queryset):
        people = list(queryset.order_by("pk"))
        if len(people) < 2:
            self.message_user(request, "Select two or more people to merge.", messages.WARNING)
            return None
        form = MergeForm(request.POST if "confirm_merge" in request.POST else None, people=people)
        if form.is_bound and form.is_valid():
            keep = form.cleaned_data["keep"]
            others = [p for p in people if p.pk != keep.pk]
            merge_people(keep, others, user=request.user, comment=form.cleaned_data["comment"])
            self.log_change(request, keep, f"Merged {', '.join(p.display_name for p in others)} into this person.")
            self.message_user(
                request,
                format_html(
                    "Merged {} into {}.",
                    ", ".join(p.display_name for p in others),
                    admin_link(keep),
                ),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(admin_url(keep))
        if not form.is_bound:
            form.initial["keep"] = self._suggest_keep(people).pk
        rows = [
            {
                "person": person,
                "identifiers": ", ".join(str(ident) for ident in person.identifiers.select_related("volume")),
                "radio": next(w for w in form["keep"] if str(w.data["value"]) == str(person.pk)),
            }
            for person in people
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge people",
            "subtitle": None,
            "opts": self.opts,
            "people": people,
            "rows": rows,
            "form": form,
            "action_name": "merge_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/person/merge_confirmation.html", context)

    @staticmethod
    def _suggest_keep(people: list[Person]) -> Person:
        """The person the others were flagged against, else the one in most letters, else the oldest."""
        ids = {p.pk for p in people}
        for person in people:
            if (
                any(other.possible_duplicate_of_id == person.pk for other in people)
                and person.possible_duplicate_of_id not in ids
            ):
                return person
        return max(people, key=lambda p: (getattr(p, "letter_count", 0), -p.pk))


@admin.register(PersonIdentifier)
class PersonIdentifierAdmin(admin.ModelAdmin):
    list_display = ["local_id", "volume", "person_link"]
    list_filter = ["volume"]
    list_select_related = ["volume", "person"]
    search_fields = ["local_id", "person__display_name", "volume__identifier"]
    autocomplete_fields = ["person", "volume"]

    @admin.display(description="person", ordering="person__sort_name")
    def person_link(self, obj):
        return admin_link(obj.person)


@admin.register(LetterPerson)
class LetterPersonAdmin(LetterColumnMixin, ReadOnlyAdmin):
    list_display = ["letter_link", "person_link", "role", "name_as_written"]
    list_filter = ["role"]
    list_select_related = ["letter__volume", "person"]
    search_fields = ["person__display_name", "name_as_written", "letter__title"]

    @admin.display(description="person", ordering="person__sort_name")
    def person_link(self, obj):
        return admin_link(obj.person)
