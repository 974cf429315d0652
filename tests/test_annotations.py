"""Annotations in the database: creating, changing, deleting, and re-anchoring on import and on an
editor's correction (catalog.annotating), with the mention an identifying annotation adds."""

import pytest

from catalog.annotating import (
    AnnotationError,
    AnnotationInput,
    StaleVersion,
    create_annotation,
    delete_annotation,
    reanchor_letter,
    update_annotation,
)
from catalog.ingest.pipeline import import_paths
from catalog.models import Annotation, Letter, LetterPerson, Person, Revision
from tests.conftest import SEED_CARTER

QUOTE = "Foreign Minister Gromyko’s visit to Washington"


@pytest.fixture
def d193(import_seeds):
    return Letter.objects.select_related("volume").get(volume__identifier="frus1969-76v33", number=193)


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("annotator", password="pw-for-tests", is_staff=True)


@pytest.fixture
def gromyko(import_seeds):
    return Person.objects.get(display_name="Gromyko")


def passage(letter, quote=QUOTE, **values) -> AnnotationInput:
    start = letter.body_text.index(quote)
    return AnnotationInput(start=start, end=start + len(quote), exact=quote, **values)


def reimport(tmp_path, old=None, new=None):
    text = SEED_CARTER.read_text(encoding="utf-8")
    if old is not None:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / SEED_CARTER.name
    path.write_text(text, encoding="utf-8")
    result = import_paths([path], identifier="frus1969-76v33")
    assert not result.failures
    return result.reports[0]


def test_creating_records_both_selectors_over_the_body_text(d193, editor):
    annotation = create_annotation(d193, passage(d193, body="Gromyko came in September.", tags="SALT, visits"), editor)
    assert (annotation.start, annotation.end) == (598, 644)
    assert annotation.exact == QUOTE
    assert annotation.prefix == "egations have moved forward—and "
    assert annotation.suffix == " was particularly helpful in ove"
    assert annotation.tags == ["SALT", "visits"]
    assert annotation.motivation == "commenting"
    assert annotation.visibility == "internal"
    assert annotation.anchoring == "anchored"
    assert annotation.version == 1
    revision = Revision.objects.filter(letter=d193, comment=f"annotation {annotation.pk} created").get()
    assert revision.user == editor
    assert revision.changes[f"annotation {annotation.pk}"][0] is None
    assert revision.changes[f"annotation {annotation.pk}"][1]["exact"] == QUOTE


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"start": 5, "end": 5}, "target: the range 5–5 is not a passage"),
        ({"start": 0, "end": 10**6}, "is not a passage of a text of 1902 characters"),
        ({"exact": "Brezhnev"}, "target: the TextQuoteSelector's exact text is not the letter's text at 598–644"),
        ({"motivation": "liking"}, "motivation: expected one of commenting, identifying, correcting"),
        ({"visibility": "secret"}, "visibility: expected one of internal, public, found 'secret'"),
        ({"motivation": "identifying"}, "person: an identifying annotation names the person"),
        ({"motivation": "linking"}, "target letter: a linking annotation names the letter"),
        ({"person_id": 999999, "motivation": "identifying"}, "person: no person with id 999999"),
        ({"tags": ["x" * 61]}, "is longer than 60 characters"),
        ({"body": "x" * 10_001}, "body: at most 10000 characters"),
    ],
)
def test_bad_values_are_refused_with_a_reason_and_nothing_written(d193, editor, values, message):
    data = passage(d193)
    for name, value in values.items():
        setattr(data, name, value)
    with pytest.raises(AnnotationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_annotation(d193, data, editor)
    assert not Annotation.objects.exists()
    assert not Revision.objects.filter(comment__startswith="annotation").exists()


def test_an_identifying_annotation_adds_the_mention_and_takes_it_away_again(d193, editor, client):
    chernenko, brezhnev = Person.objects.get(display_name="Chernenko"), Person.objects.get(display_name="Brezhnev")
    had = set(LetterPerson.objects.filter(letter=d193).values_list("person__display_name", "role", "name_as_written"))
    annotation = create_annotation(
        d193, passage(d193, "Mr. President", motivation="identifying", person_id=chernenko.pk), editor
    )
    mention = LetterPerson.objects.get(letter=d193, person=chernenko, role="mentioned")
    assert mention.name_as_written == "Mr. President"
    assert annotation.mention == mention
    page = client.get(chernenko.get_absolute_url()).content.decode()
    assert "Mentioned in" in page and "Letter From President Carter to Soviet General Secretary Brezhnev" in page
    # Another person: the mention follows, the old one goes.
    annotation = update_annotation(annotation, AnnotationInput(person_id=brezhnev.pk), editor, version=1)
    assert not LetterPerson.objects.filter(letter=d193, person=chernenko).exists()
    assert annotation.mention == LetterPerson.objects.get(letter=d193, person=brezhnev, role="mentioned")
    assert annotation.version == 2
    # Another motivation: the mention goes.
    annotation = update_annotation(annotation, AnnotationInput(motivation="commenting"), editor, version=2)
    assert annotation.mention is None and annotation.person is None
    assert (
        set(LetterPerson.objects.filter(letter=d193).values_list("person__display_name", "role", "name_as_written"))
        == had
    )
    # Deleting one removes the mention it made, and only that.
    annotation = update_annotation(
        annotation, AnnotationInput(motivation="identifying", person_id=brezhnev.pk), editor, version=3
    )
    delete_annotation(annotation, editor)
    assert (
        set(LetterPerson.objects.filter(letter=d193).values_list("person__display_name", "role", "name_as_written"))
        == had
    )


def test_two_annotations_identifying_one_person_share_the_mention(d193, editor):
    chernenko = Person.objects.get(display_name="Chernenko")
    first = create_annotation(
        d193, passage(d193, "Mr. President", motivation="identifying", person_id=chernenko.pk), editor
    )
    second = create_annotation(d193, passage(d193, "Dear", motivation="identifying", person_id=chernenko.pk), editor)
    assert second.mention is None
    delete_annotation(first, editor)
    second.refresh_from_db()
    mention = LetterPerson.objects.get(letter=d193, person=chernenko, role="mentioned")
    assert (second.mention, mention.name_as_written) == (mention, "Dear")
    delete_annotation(second, editor)
    assert not LetterPerson.objects.filter(letter=d193, person=chernenko).exists()


def test_an_identifying_annotation_never_removes_a_mention_it_did_not_make(d193, editor, gromyko):
    existing = LetterPerson.objects.get(letter=d193, person=gromyko)
    annotation = create_annotation(
        d193, passage(d193, "Gromyko", motivation="identifying", person_id=gromyko.pk), editor
    )
    assert annotation.mention is None
    delete_annotation(annotation, editor)
    assert LetterPerson.objects.filter(pk=existing.pk).exists()


def test_a_change_based_on_an_old_version_is_refused(d193, editor):
    annotation = create_annotation(d193, passage(d193, body="first"), editor)
    update_annotation(annotation, AnnotationInput(body="second"), editor, version=1)
    with pytest.raises(StaleVersion, match="now at version 2"):
        update_annotation(annotation, AnnotationInput(body="third"), editor, version=1)
    annotation.refresh_from_db()
    assert (annotation.body, annotation.version) == ("second", 2)


def test_reimporting_the_same_volume_moves_nothing(d193, editor, tmp_path):
    annotation = create_annotation(d193, passage(d193), editor)
    revisions = Revision.objects.count()
    report = reimport(tmp_path)
    assert report.unchanged == [193]
    annotation.refresh_from_db()
    assert (annotation.start, annotation.end, annotation.anchoring, annotation.version) == (598, 644, "anchored", 1)
    assert Revision.objects.count() == revisions


def test_text_inserted_before_the_passage_by_an_import_moves_the_annotation(d193, editor, tmp_path):
    annotation = create_annotation(d193, passage(d193), editor)
    report = reimport(tmp_path, "Let me add that I am also", "Let me add, first, that I am also")
    assert report.updated == {193: ["body"]}
    annotation.refresh_from_db()
    assert (annotation.start, annotation.end) == (606, 652)
    assert annotation.exact == QUOTE
    assert annotation.anchoring == "moved"
    assert annotation.version == 2
    revision = Revision.objects.get(comment=f"annotation {annotation.pk} re-anchored (moved)")
    assert revision.origin == "import"
    assert revision.changes == {
        f"annotation {annotation.pk}": [
            {"start": 598, "end": 644, "anchoring": "anchored"},
            {"start": 606, "end": 652, "anchoring": "moved"},
        ]
    }


def test_a_word_changed_inside_the_quote_is_followed_and_recorded(d193, editor, tmp_path):
    annotation = create_annotation(d193, passage(d193), editor)
    reimport(tmp_path, "Gromyko’s visit to Washington", "Gromyko’s journey to Washington")
    annotation.refresh_from_db()
    assert annotation.exact == "Foreign Minister Gromyko’s journey to Washington"
    assert (annotation.start, annotation.end, annotation.anchoring) == (598, 646, "moved")


def test_the_passage_deleted_orphans_the_annotation_which_is_kept(d193, editor, tmp_path):
    annotation = create_annotation(d193, passage(d193, body="keep me"), editor)
    reimport(
        tmp_path,
        "—and Foreign Minister Gromyko’s visit to Washington was particularly helpful in overcoming some obstacles",
        "",
    )
    annotation.refresh_from_db()
    assert annotation.anchoring == "orphaned"
    assert (annotation.exact, annotation.start, annotation.end, annotation.body) == (QUOTE, 598, 644, "keep me")
    assert list(Annotation.objects.orphaned()) == [annotation]


def test_an_editors_correction_is_followed_when_the_admin_calls_reanchor(d193, editor):
    annotation = create_annotation(d193, passage(d193), editor)
    d193.body = [{"tag": "p", "children": ["A new first paragraph."]}, *d193.body]
    d193.save()
    counts = reanchor_letter(d193, editor, origin=Revision.Origin.EDITOR)
    assert counts == {"anchored": 0, "moved": 1, "orphaned": 0}
    annotation.refresh_from_db()
    assert (annotation.start, annotation.anchoring) == (598 + len("A new first paragraph.\n\n"), "moved")
    assert Revision.objects.get(comment=f"annotation {annotation.pk} re-anchored (moved)").user == editor


def test_when_the_letters_people_are_rewritten_the_annotations_mention_comes_back(d193, editor):
    """What the loader does when an import rewrites a letter's people (forced over an editor's)."""
    chernenko = Person.objects.get(display_name="Chernenko")
    annotation = create_annotation(
        d193, passage(d193, "Mr. President", motivation="identifying", person_id=chernenko.pk), editor
    )
    d193.letter_people.all().delete()
    annotation.refresh_from_db()
    assert annotation.mention is None
    assert reanchor_letter(d193) == {"anchored": 1, "moved": 0, "orphaned": 0}
    annotation.refresh_from_db()
    mention = LetterPerson.objects.get(letter=d193, person=chernenko, role="mentioned")
    assert (annotation.mention, mention.name_as_written) == (mention, "Mr. President")
    assert (annotation.start, annotation.anchoring, annotation.version) == (5, "anchored", 1)


def test_moving_an_identifying_annotation_updates_the_words_of_its_mention(d193, editor):
    chernenko = Person.objects.get(display_name="Chernenko")
    annotation = create_annotation(
        d193, passage(d193, "Mr. President", motivation="identifying", person_id=chernenko.pk), editor
    )
    annotation = update_annotation(annotation, passage(d193, "Dear Mr. President"), editor, version=1)
    assert LetterPerson.objects.get(pk=annotation.mention_id).name_as_written == "Dear Mr. President"
