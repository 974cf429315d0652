"""People: merging duplicates end to end through the admin, and review of flagged matches."""

import pytest
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse

from catalog.ingest.pipeline import import_paths
from catalog.models import Letter, LetterPerson, Person, PersonIdentifier, Revision, Volume

CHANGELIST = "/admin/catalog/person/"


@pytest.fixture
def duplicates(import_seeds):
    """Gromyko, as the seeds name him, and "Andrei Gromyko" from another volume's Persons list."""
    gromyko = Person.objects.get(display_name="Gromyko")
    andrei = Person.objects.create(
        display_name="Andrei Gromyko",
        sort_name="Gromyko, Andrei",
        titles=["Minister of Foreign Affairs", "Foreign Minister"],
        aliases=["A. A. Gromyko"],
        description="Soviet Minister of Foreign Affairs, 1957–1985",
        external_ids={"wikidata": "Q154716"},
        possible_duplicate_of=gromyko,
        needs_review=True,
    )
    other_volume = Volume.objects.create(identifier="frus1977-80v06", title="Soviet Union")
    PersonIdentifier.objects.create(person=andrei, volume=other_volume, local_id="p_GAA_1")
    d193 = Letter.objects.get(number=193)
    d328 = Letter.objects.get(number=328)
    # d193 already has Gromyko "mentioned": the same link for Andrei must not clash on merge.
    LetterPerson.objects.create(letter=d193, person=andrei, role="mentioned", name_as_written="Gromyko")
    LetterPerson.objects.create(letter=d328, person=andrei, role="recipient", name_as_written="Minister Gromyko")
    flagged = Person.objects.create(display_name="A. Gromyko", possible_duplicate_of=andrei, needs_review=True)
    return gromyko, andrei, flagged


@pytest.fixture
def csrf_client(django_user_model):
    user = django_user_model.objects.create_superuser("merger", password="pw-for-tests")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.user = user
    return client


def start_merge(client, form_data, *people):
    changelist = client.get(CHANGELIST)
    token = form_data(changelist, "changelist-form")["csrfmiddlewaretoken"]
    return client.post(
        CHANGELIST,
        {
            "csrfmiddlewaretoken": token,
            "action": "merge_selected",
            helpers.ACTION_CHECKBOX_NAME: [str(p.pk) for p in people],
            "index": "0",
        },
    )


def test_merge_end_to_end(csrf_client, duplicates, form_data):
    gromyko, andrei, flagged = duplicates
    confirmation = start_merge(csrf_client, form_data, gromyko, andrei)
    assert confirmation.status_code == 200
    assert "admin/catalog/person/merge_confirmation.html" in [t.name for t in confirmation.templates]
    html = confirmation.content.decode()
    assert "Andrei Gromyko" in html and "frus1977-80v06#p_GAA_1" in html
    data = form_data(confirmation, "merge-form")
    assert data["keep"] == [str(gromyko.pk)]  # suggested: the person the other was flagged against
    assert data["csrfmiddlewaretoken"][0]
    assert sorted(data[helpers.ACTION_CHECKBOX_NAME]) == sorted([str(gromyko.pk), str(andrei.pk)])
    data["comment"] = ["Same person: Andrei Andreyevich Gromyko"]
    data["confirm_merge"] = ["Merge"]

    response = csrf_client.post(CHANGELIST, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_person_change", args=[gromyko.pk])

    assert not Person.objects.filter(pk=andrei.pk).exists()
    gromyko.refresh_from_db()
    assert gromyko.display_name == "Gromyko"
    assert gromyko.aliases == ["Andrei Gromyko", "A. A. Gromyko"]
    assert gromyko.titles == ["Foreign Minister", "Minister of Foreign Affairs"]
    assert gromyko.description == "Soviet Minister of Foreign Affairs, 1957–1985"
    assert gromyko.external_ids == {"wikidata": "Q154716"}
    links = sorted(
        (link.letter.number, link.role, link.name_as_written)
        for link in LetterPerson.objects.filter(person=gromyko).select_related("letter")
    )
    assert links == [
        (193, "mentioned", "Foreign Minister Gromyko"),
        (328, "mentioned", "Foreign Minister Gromyko"),
        (328, "recipient", "Minister Gromyko"),
    ]
    assert sorted(str(ident) for ident in gromyko.identifiers.all()) == [
        "frus1969-76v33#name:gromyko",
        "frus1977-80v06#p_GAA_1",
        "frus1981-88v04#name:gromyko",
    ]
    flagged.refresh_from_db()
    assert flagged.possible_duplicate_of is None

    revision = Revision.objects.get(origin="merge", letter=None)
    assert revision.user == csrf_client.user
    assert "Andrei Gromyko" in revision.comment and "Same person" in revision.comment
    (merged,), after = revision.changes["merged"]
    assert after is None
    assert merged["display_name"] == "Andrei Gromyko" and merged["identifiers"] == ["frus1977-80v06#p_GAA_1"]
    assert revision.changes["aliases"] == [[], ["Andrei Gromyko", "A. A. Gromyko"]]
    assert revision.changes["description"] == ["", "Soviet Minister of Foreign Affairs, 1957–1985"]
    # Each letter whose people changed has the merge in its own history too.
    assert sorted(
        Revision.objects.filter(origin="merge", letter__isnull=False).values_list("letter__number", flat=True)
    ) == [193, 328]


def test_merge_keeping_the_flagged_person(csrf_client, duplicates, form_data):
    gromyko, andrei, _ = duplicates
    data = form_data(start_merge(csrf_client, form_data, gromyko, andrei), "merge-form")
    data.update({"keep": [str(andrei.pk)], "confirm_merge": ["Merge"]})
    assert csrf_client.post(CHANGELIST, data).status_code == 302
    andrei.refresh_from_db()
    assert not Person.objects.filter(pk=gromyko.pk).exists()
    assert andrei.aliases == ["A. A. Gromyko", "Gromyko"]
    assert (andrei.possible_duplicate_of, andrei.needs_review) == (None, False)
    assert andrei.letter_links.values("letter").distinct().count() == 2
    assert andrei.letter_links.count() == 3


def test_merge_needs_the_csrf_token(csrf_client, duplicates, form_data):
    gromyko, andrei, _ = duplicates
    data = form_data(start_merge(csrf_client, form_data, gromyko, andrei), "merge-form")
    data.pop("csrfmiddlewaretoken")
    data["confirm_merge"] = ["Merge"]
    assert csrf_client.post(CHANGELIST, data).status_code == 403
    assert Person.objects.filter(pk__in=[gromyko.pk, andrei.pk]).count() == 2


def test_merge_needs_two_people(staff_client, duplicates):
    gromyko, _, _ = duplicates
    response = staff_client.post(
        CHANGELIST,
        {"action": "merge_selected", helpers.ACTION_CHECKBOX_NAME: [str(gromyko.pk)], "index": "0"},
        follow=True,
    )
    assert "Select two or more people to merge." in [str(m) for m in response.context["messages"]]


def test_merge_refuses_a_person_not_selected(staff_client, duplicates, form_data):
    gromyko, andrei, flagged = duplicates
    response = staff_client.post(
        CHANGELIST,
        {
            "action": "merge_selected",
            helpers.ACTION_CHECKBOX_NAME: [str(gromyko.pk), str(andrei.pk)],
            "keep": str(flagged.pk),
            "confirm_merge": "Merge",
        },
    )
    assert response.status_code == 200  # the confirmation again, with an error
    assert "Please choose the person to keep." in response.content.decode()
    assert Person.objects.filter(pk__in=[gromyko.pk, andrei.pk, flagged.pk]).count() == 3


def test_merge_is_refused_without_delete_permission(editor_client, duplicates):
    from django.contrib.auth.models import Permission

    editor_client.user.user_permissions.remove(Permission.objects.get(codename="delete_person"))
    gromyko, andrei, _ = duplicates
    response = editor_client.get(CHANGELIST)
    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "merge_selected" not in actions and "mark_reviewed" in actions
    editor_client.post(
        CHANGELIST,
        {
            "action": "merge_selected",
            helpers.ACTION_CHECKBOX_NAME: [str(gromyko.pk), str(andrei.pk)],
            "keep": str(gromyko.pk),
            "confirm_merge": "Merge",
        },
    )
    assert Person.objects.filter(pk__in=[gromyko.pk, andrei.pk]).count() == 2


def test_reimport_after_a_merge_finds_the_kept_person(csrf_client, duplicates, form_data, seed_carter, seed_reagan):
    """The merge moved the volumes' ids, so the importer maps them to the kept person: no new person,
    no conflict (the letters the fixture linked by hand are left out: those would be editors' changes)."""
    gromyko, andrei, _ = duplicates
    LetterPerson.objects.filter(person=andrei).delete()
    data = form_data(start_merge(csrf_client, form_data, gromyko, andrei), "merge-form")
    data.update({"keep": [str(andrei.pk)], "confirm_merge": ["Merge"]})
    csrf_client.post(CHANGELIST, data)
    people = Person.objects.count()
    first = import_paths([seed_carter], identifier="frus1969-76v33").reports[0]
    second = import_paths([seed_reagan], identifier="frus1981-88v04").reports[0]
    assert first.conflicts == [] and second.conflicts == []
    assert Person.objects.count() == people
    assert first.unchanged == [193] and second.unchanged == [328]
    assert sorted(LetterPerson.objects.filter(person=andrei).values_list("letter__number", flat=True)) == [193, 328]


def test_mark_reviewed(staff_client, duplicates):
    _, andrei, flagged = duplicates
    staff_client.post(
        CHANGELIST,
        {"action": "mark_reviewed", helpers.ACTION_CHECKBOX_NAME: [str(andrei.pk), str(flagged.pk)], "index": "0"},
    )
    for person in (andrei, flagged):
        person.refresh_from_db()
        assert (person.needs_review, person.possible_duplicate_of) == (False, None)


def test_person_change_page_shows_identifiers_and_letters(staff_client, duplicates):
    gromyko, andrei, _ = duplicates
    response = staff_client.get(reverse("admin:catalog_person_change", args=[gromyko.pk]))
    html = response.content.decode()
    identifiers = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "identifiers")
    assert sorted(form.instance.local_id for form in identifiers.formset.forms) == ["name:gromyko", "name:gromyko"]
    assert reverse("admin:catalog_letter_change", args=[Letter.objects.get(number=193).pk]) in html
    assert reverse("admin:catalog_person_change", args=[andrei.pk]) in html  # flagged as a possible duplicate
    assert 'name="slug"' not in html  # the public address does not change once made
