"""The automatic checks (catalog/checks.py): exact problems of the samples, refreshed on save and import."""

import pytest
from django.urls import reverse

from catalog import checks
from catalog.ingest.pipeline import import_paths
from catalog.models import Footnote, Letter, LetterPerson, LetterProblem, Person
from tests.conftest import TEI_QUEBEC, TEI_V33


def problems(letter):
    return [(p.kind, p.detail) for p in LetterProblem.objects.filter(letter=letter).order_by("id")]


@pytest.fixture
def corpus(import_seeds):
    result = import_paths([TEI_V33, TEI_QUEBEC], publish=True)
    assert not result.failures
    return result


def test_the_corpus_problems_exactly(corpus):
    """Undated in the corpus: v33 d190 and d192 ("Washington, undated."); the seed d328 too, and its
    six references into its own volume do not resolve (those documents are not in the catalog)."""
    found = {
        (letter.volume.identifier, letter.number): problems(letter)
        for letter in Letter.objects.select_related("volume")
        if letter.problem_count
    }
    assert found == {
        ("frus1969-76v33", 190): [("undated", "The letter has no date.")],
        ("frus1969-76v33", 192): [("undated", "The letter has no date.")],
        ("frus1981-88v04", 328): [
            ("undated", "The letter has no date."),
            *[
                ("unresolved_reference", f"Reference to frus1981-88v04 d{n} does not resolve.")
                for n in (315, 310, 308, 286, 287, 288)
            ],
        ],
    }
    assert Letter.objects.get(volume__identifier="frus1981-88v04", number=328).problem_count == 7
    assert Letter.objects.filter(problem_count=0).count() == 8 + 11 - 2  # Quebec 8, v33 11 (d193 dated by TEI)


def test_the_seed_alone_is_undated_until_the_tei_dates_it(d193, corpus):
    # The text export gives d193 no date; the TEI import (the loader's one call) refreshes it.
    d193.refresh_from_db()
    assert d193.date_min is not None
    assert problems(d193) == []


def test_refreshed_on_import(d193):
    assert problems(d193) == [("undated", "The letter has no date.")]
    Letter.objects.filter(pk=d193.pk).update(problem_count=0)
    LetterProblem.objects.filter(letter=d193).delete()
    import_paths([TEI_V33])  # the same volume, re-imported: its letters' problems recomputed
    d193.refresh_from_db()
    assert (d193.problem_count, problems(d193)) == (0, [])
    assert problems(Letter.objects.get(volume=d193.volume, number=190)) == [("undated", "The letter has no date.")]


def test_each_kind(corpus):
    v33 = Letter.objects.filter(volume__identifier="frus1969-76v33")
    d195 = v33.get(number=195)
    d196 = v33.get(number=196)
    d197 = v33.get(number=197)
    # No sender / recipient where the type has them (a letter), not on a memorandum of conversation.
    LetterPerson.objects.filter(letter=d195, role="sender").delete()
    LetterPerson.objects.filter(letter=d196).delete()
    # A person flagged for review.
    recipient = LetterPerson.objects.filter(letter=d195, role="recipient").select_related("person").first()
    Person.objects.filter(pk=recipient.person_id).update(needs_review=True)
    # A marker without its footnote, a footnote without its marker.
    note = Footnote.objects.filter(letter=d197, anchor__isnull=False).order_by("number").first()
    Footnote.objects.filter(pk=note.pk).update(number=99)
    # A mention linked to no person.
    d197.body = [*d197.body, {"tag": "p", "children": [{"tag": "person", "ref": "#p_NOBODY", "children": ["X"]}]}]
    # Pages overlapping the neighbour's; a gap after.
    d197.page_start = 818
    d197.save()
    Letter.objects.filter(pk=v33.get(number=198).pk).update(page_start=830)
    # An id that gives another number.
    Letter.objects.filter(pk=d196.pk).update(xml_id="d195")
    checks.refresh_letters(v33)
    kinds = {n: sorted({k for k, _ in problems(v33.get(number=n))}) for n in (195, 196, 197, 198)}
    assert kinds == {
        195: ["duplicate_number", "no_sender", "person_needs_review"],
        196: ["duplicate_number"],
        197: [
            "footnote_without_marker",
            "marker_without_footnote",
            "mention_unlinked",
            "page_overlap",
            "person_needs_review",  # the same person is in d197
        ],
        198: ["page_gap"],
    }
    assert (
        "page_overlap",
        "Starts on page 818, before d196 ends (819).",
    ) in problems(d197)
    assert ("page_gap", "Starts on page 830; d197 ends on 821.") in problems(v33.get(number=198))
    assert ("mention_unlinked", "The mention p_NOBODY is linked to no person.") in problems(d197)
    assert ("footnote_without_marker", "Footnote 99 has no marker in the text.") in problems(d197)
    assert ("marker_without_footnote", f"Marker {note.number} has no footnote.") in problems(d197)


def test_a_source_note_not_parsed(d193):
    from catalog.models import ArchivalSource

    cited = d193.source_citations.filter(footnote__number=1).values("source")
    assert ArchivalSource.objects.filter(pk__in=cited, box="69").exists()
    ArchivalSource.objects.filter(pk__in=cited).update(box="")
    checks.refresh_letters([d193.pk])
    assert ("source_unparsed", "Source note 1 gives a box that was not read.") in problems(d193)
    d193.source_citations.all().delete()
    checks.refresh_letters([d193.pk])
    assert ("source_unparsed", "Source note 1 names no repository.") in problems(d193)


def test_refreshed_on_save_in_the_admin_and_shown(staff_client, d193, form_data):
    url = reverse("admin:catalog_letter_change", args=[d193.pk])
    page = staff_client.get(url)
    assert "The letter has no date." in page.content.decode()
    data = form_data(page, "letter_form")
    data.update({"date_min_0": ["1978-01-25"], "date_min_1": ["00:00:00"], "_save": ["Save"]})
    assert staff_client.post(url, data).status_code == 302
    d193.refresh_from_db()
    assert (d193.problem_count, problems(d193)) == (0, [])


def test_the_filters(staff_client, corpus):
    url = reverse("admin:catalog_letter_changelist")
    listed = staff_client.get(url + "?problem=undated").context["cl"].result_list
    assert sorted((x.volume.identifier, x.number) for x in listed) == [
        ("frus1969-76v33", 190),
        ("frus1969-76v33", 192),
        ("frus1981-88v04", 328),
    ]
    listed = staff_client.get(url + "?problem=unresolved_reference").context["cl"].result_list
    assert [x.number for x in listed] == [328]
    assert len(staff_client.get(url + "?has_problems=yes").context["cl"].result_list) == 3
    assert len(staff_client.get(url + "?has_problems=no").context["cl"].result_list) == 17
    assert staff_client.get(url + "?problem=nonsense").status_code == 200


def test_clearing_a_person_s_review_flag_refreshes_their_letters(staff_client, import_seeds, form_data):
    from django.contrib.admin import helpers

    gromyko = Person.objects.get(slug="gromyko")
    Person.objects.filter(pk=gromyko.pk).update(needs_review=True)
    letters = Letter.objects.filter(letter_people__person=gromyko).distinct()
    checks.refresh_letters(letters)
    assert {x.number for x in letters if x.problems.filter(kind="person_needs_review").exists()} == {193, 328}
    staff_client.post(
        reverse("admin:catalog_person_changelist"),
        {"action": "mark_reviewed", helpers.ACTION_CHECKBOX_NAME: [str(gromyko.pk)], "index": "0"},
    )
    assert not LetterProblem.objects.filter(kind="person_needs_review").exists()
    # The same through the person's page.
    Person.objects.filter(pk=gromyko.pk).update(needs_review=True)
    checks.refresh_letters(letters)
    url = reverse("admin:catalog_person_change", args=[gromyko.pk])
    data = form_data(staff_client.get(url))
    data.pop("needs_review", None)
    data["_save"] = ["Save"]
    assert staff_client.post(url, data).status_code == 302
    assert not LetterProblem.objects.filter(kind="person_needs_review").exists()
