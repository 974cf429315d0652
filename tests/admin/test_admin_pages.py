"""Every admin page answers; search, filters, autocomplete and counts; query-count bounds."""

import pytest
from django.urls import reverse

from catalog.models import (
    ArchivalSource,
    Chapter,
    CrossReference,
    Footnote,
    Letter,
    LetterPerson,
    Person,
    PersonIdentifier,
    Revision,
    SourceCitation,
    Term,
    Volume,
)

ALL_MODELS = [
    Volume,
    Chapter,
    Term,
    Letter,
    Footnote,
    CrossReference,
    Person,
    PersonIdentifier,
    LetterPerson,
    ArchivalSource,
    SourceCitation,
    Revision,
]


@pytest.fixture
def catalog(import_seeds):
    """The seeds plus one chapter, one term and a merge revision, so that every model has a row."""
    volume = Volume.objects.get(identifier="frus1969-76v33")
    chapter = Chapter.objects.create(volume=volume, xml_id="ch3", title="SALT II, 1977–1978", order=3)
    term = Term.objects.create(
        volume=volume, xml_id="t_SALT_1", term="SALT", expansion="strategic arms limitation talks"
    )
    Letter.objects.filter(volume=volume, number=193).update(chapter=chapter)
    Letter.objects.get(volume=volume, number=193).terms.add(term)
    Revision.objects.create(letter=None, origin=Revision.Origin.MERGE, changes={"merged": [[], None]}, comment="test")
    return volume


def url(model, action, *args):
    return reverse(f"admin:catalog_{model._meta.model_name}_{action}", args=args)


def test_site_header(staff_client):
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Letterbook administration" in response.content.decode()


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_and_change_pages_answer(staff_client, catalog, model):
    assert staff_client.get(url(model, "changelist")).status_code == 200
    for obj in model.objects.all():
        response = staff_client.get(url(model, "change", obj.pk))
        assert response.status_code == 200, (model, obj.pk)


def test_pages_answer_for_a_staff_editor_who_is_not_a_superuser(editor_client, catalog):
    for model in ALL_MODELS:
        assert editor_client.get(url(model, "changelist")).status_code == 200, model
        obj = model.objects.first()
        assert editor_client.get(url(model, "change", obj.pk)).status_code == 200, model


def test_staff_without_permissions_see_nothing(client, django_user_model, catalog):
    user = django_user_model.objects.create_user("visitor", password="pw-for-tests", is_staff=True)
    client.force_login(user)
    assert client.get(url(Letter, "changelist")).status_code == 403
    assert client.get(reverse("admin:catalog_letter_export")).status_code == 403
    assert client.get(reverse("admin:catalog_person_export")).status_code == 403
    anonymous = type(client)()
    assert anonymous.get(url(Letter, "changelist")).status_code == 302  # to the login page


@pytest.mark.parametrize("model", [Volume, Chapter, Term, Letter, Person, PersonIdentifier, ArchivalSource])
def test_add_pages_answer(staff_client, catalog, model):
    assert staff_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", [Footnote, LetterPerson, SourceCitation, CrossReference, Revision])
def test_records_edited_through_their_letter_are_read_only(staff_client, catalog, model):
    """Changed anywhere but on the letter, they would bypass the letter's history."""
    assert staff_client.get(url(model, "add")).status_code == 403
    obj = model.objects.first()
    response = staff_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert staff_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_letter_search_finds_brezhnev(staff_client, d193, d328):
    response = staff_client.get(url(Letter, "changelist"), {"q": "Brezhnev"})
    assert [letter.pk for letter in response.context["cl"].result_list] == [d193.pk]
    assert "Letter From President Carter to Soviet General Secretary Brezhnev" in response.content.decode()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Chernenko", [("frus1981-88v04", 328)]),
        ("328", [("frus1981-88v04", 328)]),
        ("d193", [("frus1969-76v33", 193)]),
        ("Gromyko", [("frus1969-76v33", 193), ("frus1981-88v04", 328)]),  # in both bodies
        ("ALCMs", [("frus1969-76v33", 193)]),  # body text only
        ("no-such-word", []),
    ],
)
def test_letter_search_fields(staff_client, import_seeds, term, expected):
    response = staff_client.get(url(Letter, "changelist"), {"q": term})
    assert response.status_code == 200
    assert [(letter.volume.identifier, letter.number) for letter in response.context["cl"].result_list] == expected


def test_letter_changelist_columns_and_filters(staff_client, d193, d328):
    Letter.objects.filter(pk=d328.pk).update(status=Letter.Status.DRAFT)
    response = staff_client.get(url(Letter, "changelist"))
    html = response.content.decode()
    for column in ("volume", "number", "title", "document type", "date", "status", "modified"):
        assert f">{column.capitalize()}<" in html or f">{column}<" in html.lower()
    assert "frus1969-76v33" in html and "undated" in html
    drafts = staff_client.get(url(Letter, "changelist"), {"status__exact": "draft"})
    assert [letter.pk for letter in drafts.context["cl"].result_list] == [d328.pk]
    by_volume = staff_client.get(url(Letter, "changelist"), {"volume__id__exact": d193.volume_id})
    assert [letter.pk for letter in by_volume.context["cl"].result_list] == [d193.pk]
    secret = staff_client.get(url(Letter, "changelist"), {"classification": "Secret"})
    assert [letter.pk for letter in secret.context["cl"].result_list] == [d328.pk]
    letters = staff_client.get(url(Letter, "changelist"), {"doc_type__exact": "letter"})
    assert len(letters.context["cl"].result_list) == 2


def test_person_search_and_letter_counts(staff_client, import_seeds):
    response = staff_client.get(url(Person, "changelist"), {"q": "Brezhnev"})
    assert [p.display_name for p in response.context["cl"].result_list] == ["Brezhnev"]
    everyone = staff_client.get(url(Person, "changelist"))
    counts = {p.display_name: p.letter_count for p in everyone.context["cl"].result_list}
    assert counts == {
        "Jimmy Carter": 1,
        "Brezhnev": 1,
        "Gromyko": 2,  # mentioned in d193 and in d328
        "Dobrynin": 1,
        "Ronald Reagan": 1,
        "Chernenko": 1,
        "George Shultz": 1,
        "Paul Nitze": 1,
    }
    # The count links to the letters, filtered by the person.
    gromyko = Person.objects.get(display_name="Gromyko")
    letters = staff_client.get(url(Letter, "changelist"), {"letter_people__person__id__exact": gromyko.pk})
    assert letters.status_code == 200
    assert len(letters.context["cl"].result_list) == 2


def test_person_search_covers_aliases_and_description(staff_client, gromyko):
    gromyko.aliases = ["Andrei Andreyevich Gromyko"]
    gromyko.description = "Soviet Minister of Foreign Affairs"
    gromyko.save()
    for term in ("Andreyevich", "Minister of Foreign"):
        response = staff_client.get(url(Person, "changelist"), {"q": term})
        assert [p.pk for p in response.context["cl"].result_list] == [gromyko.pk], term


def test_person_filters(staff_client, import_seeds):
    Person.objects.filter(display_name="Brezhnev").update(needs_review=True)
    response = staff_client.get(url(Person, "changelist"), {"needs_review__exact": "1"})
    assert [p.display_name for p in response.context["cl"].result_list] == ["Brezhnev"]
    response = staff_client.get(url(Person, "changelist"), {"is_organization__exact": "1"})
    assert list(response.context["cl"].result_list) == []


def test_person_autocomplete_finds_gromyko(staff_client, gromyko):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": "letterperson", "field_name": "person", "term": "Grom"},
    )
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(gromyko.pk), "text": "Gromyko"}]


def test_source_autocomplete_and_citation_counts(staff_client, import_seeds):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": "sourcecitation", "field_name": "source", "term": "Shultz Papers"},
    )
    texts = [row["text"] for row in response.json()["results"]]
    assert len(texts) == 1 and "George Shultz Papers, Box 12" in texts[0]
    sources = staff_client.get(url(ArchivalSource, "changelist"))
    counts = {(s.repository, s.collection, s.box): s.citation_count for s in sources.context["cl"].result_list}
    assert counts == {
        ("Carter Library", "National Security Affairs, Staff Material, Office", "69"): 2,  # footnotes 1 and 2 of d193
        ("Reagan Library", "Executive Secretariat, NSC Head of State File", ""): 1,
        ("Reagan Library", "Jack Matlock Files", ""): 1,
        ("Reagan Library", "George Shultz Papers", "12"): 2,  # footnotes 1 and 7 of d328
    }
    carter = ArchivalSource.objects.get(repository="Carter Library")
    letters = staff_client.get(url(Letter, "changelist"), {"source_citations__source__id__exact": carter.pk})
    assert [(letter.volume.identifier, letter.number) for letter in letters.context["cl"].result_list] == [
        ("frus1969-76v33", 193)
    ]


def test_archival_source_search_and_filter(staff_client, import_seeds):
    response = staff_client.get(url(ArchivalSource, "changelist"), {"q": "Brezhnev-Carter"})
    assert [s.repository for s in response.context["cl"].result_list] == ["Carter Library"]
    response = staff_client.get(url(ArchivalSource, "changelist"), {"repository": "Reagan Library"})
    assert len(response.context["cl"].result_list) == 3


def test_volume_letter_counts_link_to_letters(staff_client, import_seeds):
    response = staff_client.get(url(Volume, "changelist"))
    counts = {v.identifier: v.letter_count for v in response.context["cl"].result_list}
    assert counts == {"frus1969-76v33": 1, "frus1981-88v04": 1}
    volume = Volume.objects.get(identifier="frus1981-88v04")
    assert f"{url(Letter, 'changelist')}?volume__id__exact={volume.pk}" in response.content.decode()


def test_revision_changelist_lists_imports(staff_client, import_seeds):
    response = staff_client.get(url(Revision, "changelist"), {"origin__exact": "import"})
    assert len(response.context["cl"].result_list) == 2


# -- query counts --------------------------------------------------------------------------------


def _grow(letter, people=25, footnotes=25):
    """Many more rows on one letter: a page whose queries grow with them has an N+1."""
    for index in range(people):
        person = Person.objects.create(display_name=f"Extra Person {index}")
        LetterPerson.objects.create(letter=letter, person=person, role="mentioned", name_as_written=person.display_name)
    source = ArchivalSource.objects.first()
    for index in range(footnotes):
        note = Footnote.objects.create(
            letter=letter, number=100 + index, text=f"Note {index}.", content=[f"Note {index}."]
        )
        SourceCitation.objects.create(letter=letter, footnote=note, source=source, raw=source.raw)
        CrossReference.objects.create(
            letter=letter, footnote=note, target_volume=letter.volume.identifier, target_number=193, target=letter
        )


def test_letter_changelist_query_count(staff_client, import_seeds, django_assert_max_num_queries):
    volume = Volume.objects.get(identifier="frus1969-76v33")
    Letter.objects.bulk_create(Letter(volume=volume, number=n, title=f"Letter {n}") for n in range(1, 60))
    with django_assert_max_num_queries(10):
        response = staff_client.get(url(Letter, "changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50


def test_letter_changelist_search_query_count(staff_client, import_seeds, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = staff_client.get(url(Letter, "changelist"), {"q": "Brezhnev", "status__exact": "published"})
    assert response.status_code == 200


@pytest.mark.parametrize("letter_fixture", ["d193", "d328"])
def test_letter_change_page_query_count(staff_client, request, letter_fixture, django_assert_max_num_queries):
    letter = request.getfixturevalue(letter_fixture)
    # 15, + the stored problems, the workflow moves and the reviewers offered for assignment
    with django_assert_max_num_queries(18):
        assert staff_client.get(url(Letter, "change", letter.pk)).status_code == 200


def test_letter_change_page_queries_do_not_grow_with_rows(staff_client, d328, django_assert_max_num_queries):
    _grow(d328)
    # 15, + the stored problems, the workflow moves and the reviewers offered for assignment
    with django_assert_max_num_queries(18):
        response = staff_client.get(url(Letter, "change", d328.pk))
    assert response.status_code == 200
    assert "Extra Person 24" in response.content.decode()


def test_other_changelists_query_counts(staff_client, catalog, django_assert_max_num_queries):
    letter = Letter.objects.get(number=328)
    _grow(letter, people=10, footnotes=10)
    for model in ALL_MODELS:
        with django_assert_max_num_queries(10):
            assert staff_client.get(url(model, "changelist")).status_code == 200


def test_person_change_page_query_count(staff_client, gromyko, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = staff_client.get(url(Person, "change", gromyko.pk))
    html = response.content.decode()
    assert "frus1969-76v33 d193" in html and "frus1981-88v04 d328" in html
