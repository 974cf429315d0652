"""People's pages' side table (catalog/person_letters.py): kept exact by every write path.

Expected values from the TEI excerpt of frus1969-76v33 (d188–d198) and the seeds (``import_catalog``):
Jimmy Carter sends d193, receives d188, d189, d191, d195, d197 and is mentioned in d189, d192, d193,
d195, d197 — seven letters, d188 and d189 in 1977, d191, d193, d195, d197 in 1978, d192 undated;
Zbigniew Brzezinski sends d188, d189 and d197 to him (three letters both are parties to).
"""

import pytest

from catalog import person_letters, workflow
from catalog.models import Correspondence, Letter, LetterPerson, Person, PersonCount, PersonLetter

pytestmark = pytest.mark.django_db

V33 = "frus1969-76v33"


def carter(client):
    return client.get("/people/jimmy-carter/").context["data"]


def move(name, numbers, user):
    letters = Letter.objects.filter(volume__identifier=V33, number__in=numbers)
    moved, skipped = workflow.apply(workflow.MOVES[name], letters, user, comment="test")
    assert len(moved) == len(numbers) and not skipped


def pair(a, b):
    row = Correspondence.objects.filter(person__slug=a, other__slug=b).first()
    return row.letters if row else 0


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user("chief", password="pw-for-tests", is_staff=True, is_superuser=True)


def test_the_import_fills_the_side_table(client, import_catalog):
    data = carter(client)
    assert data.counts == {"sender": 1, "recipient": 5, "mentioned": 5}
    assert (data.total, data.per_year) == (7, [(1977, 2), (1978, 4)])
    assert data.correspondents[0] == {"slug": "zbigniew-brzezinski", "name": "Zbigniew Brzezinski", "count": 3}
    assert pair("jimmy-carter", "zbigniew-brzezinski") == pair("zbigniew-brzezinski", "jimmy-carter") == 3
    stored = dict(PersonCount.objects.filter(person__slug="jimmy-carter").values_list("key", "n"))
    assert stored == {"sender": 1, "recipient": 5, "mentioned": 5, "y:1977": 2, "y:1978": 4, "y:": 1}


def test_a_withdrawn_letter_leaves_the_persons_counts_at_once(client, import_catalog, reviewer):
    move("withdraw", [189], reviewer)
    data = carter(client)
    assert data.counts == {"sender": 1, "recipient": 4, "mentioned": 4}
    assert (data.total, data.per_year) == (6, [(1977, 1), (1978, 4)])
    assert {c["slug"]: c["count"] for c in data.correspondents}["zbigniew-brzezinski"] == 2
    assert [link.letter.number for link in data.groups["recipient"]] == [188, 191, 195, 197]
    move("withdraw", [188, 197], reviewer)
    assert pair("jimmy-carter", "zbigniew-brzezinski") == pair("zbigniew-brzezinski", "jimmy-carter") == 0
    assert "zbigniew-brzezinski" not in {c["slug"] for c in carter(client).correspondents}
    # Back through review and published again: counted again.
    move("submit", [188, 189, 197], reviewer)
    move("publish_provisionally", [188, 189, 197], reviewer)
    data = carter(client)
    assert data.counts == {"sender": 1, "recipient": 5, "mentioned": 5}
    assert data.correspondents[0] == {"slug": "zbigniew-brzezinski", "name": "Zbigniew Brzezinski", "count": 3}


def test_a_person_with_nothing_published_left_is_404_at_once(client, import_catalog, reviewer):
    numbers = list(PersonLetter.objects.filter(person__slug="jimmy-carter").values_list("number", flat=True).distinct())
    move("withdraw", numbers, reviewer)
    assert client.get("/people/jimmy-carter/").status_code == 404
    assert not PersonLetter.objects.filter(person__slug="jimmy-carter").exists()
    assert not PersonCount.objects.filter(person__slug="jimmy-carter").exists()


def test_a_draft_saved_or_a_person_taken_off_a_letter_counts_no_more(client, import_catalog):
    d191 = Letter.objects.get(volume__identifier=V33, number=191)
    d191.status = Letter.Status.DRAFT
    d191.save(update_fields=["status"])
    assert carter(client).counts["recipient"] == 4
    LetterPerson.objects.filter(letter__number=197, person__slug="jimmy-carter", role="recipient").delete()
    data = carter(client)
    assert (data.counts["recipient"], data.counts["mentioned"], data.total) == (3, 5, 6)
    # d188, d189 (d197 names him only as mentioned now)
    assert {c["slug"]: c["count"] for c in data.correspondents}["zbigniew-brzezinski"] == 2
    assert pair("zbigniew-brzezinski", "jimmy-carter") == 2


def test_rebuild_finds_what_the_write_paths_kept(client, import_catalog, reviewer):
    move("withdraw", [189], reviewer)
    LetterPerson.objects.filter(letter__number=197, person__slug="jimmy-carter", role="recipient").delete()

    def state():
        rows = set(
            PersonLetter.objects.values_list(
                "person_id", "letter_id", "role", "name_as_written", "date_min", "year", "volume_identifier", "number"
            )
        )
        firsts = set(PersonLetter.objects.filter(first=True).values_list("person_id", "letter_id"))
        pairs = set(Correspondence.objects.values_list("person_id", "other_id", "letters"))
        counts = set(PersonCount.objects.values_list("person_id", "key", "n"))
        return rows, firsts, pairs, counts

    kept = state()
    assert kept[0] and kept[2] and kept[3]
    person_letters.rebuild()
    assert state() == kept


def test_one_row_per_letter_is_first(import_catalog):
    carter_rows = PersonLetter.objects.filter(person=Person.objects.get(slug="jimmy-carter"))
    assert carter_rows.count() == 11  # 1 + 5 + 5 roles
    assert carter_rows.filter(first=True).count() == 7  # letters
    assert set(carter_rows.filter(number=193).values_list("role", "first")) == {("sender", True), ("mentioned", False)}


def test_the_person_page_query_count_is_fixed(client, import_catalog, django_assert_max_num_queries):
    # person, the stored counts (roles, years), a page of each role, correspondents, descriptions
    with django_assert_max_num_queries(7):
        assert client.get("/people/jimmy-carter/?recipient_page=2").status_code == 200


def test_the_command_rebuilds(import_catalog):
    from io import StringIO

    from django.core.management import call_command

    PersonLetter.objects.all().delete()
    Correspondence.objects.all().delete()
    out = StringIO()
    call_command("refresh_person_letters", stdout=out)
    assert out.getvalue() == f"{PersonLetter.objects.count()} person-letter rows written\n"
    assert PersonLetter.objects.filter(person__slug="jimmy-carter").count() == 11
    assert pair("jimmy-carter", "zbigniew-brzezinski") == 3


def test_an_import_counts_what_it_publishes_even_a_file_skipped_by_checksum(client, db):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_V33

    assert not import_paths([TEI_V33]).failures  # drafts: nothing public
    assert client.get("/people/jimmy-carter/").status_code == 404
    result = import_paths([TEI_V33], publish=True)  # the same file: skipped unread, its drafts published
    assert not result.failures and result.reports[0].skipped_by_checksum
    data = carter(client)
    assert data.counts == {"sender": 1, "recipient": 5, "mentioned": 5}
    assert data.correspondents[0] == {"slug": "zbigniew-brzezinski", "name": "Zbigniew Brzezinski", "count": 3}


def test_a_merge_moves_the_letters_and_correspondents_to_the_kept_person(client, import_catalog, reviewer):
    from catalog.admin.people import merge_people

    keep = Person.objects.create(display_name="J. Carter", slug="j-carter")
    merge_people(keep, [Person.objects.get(slug="jimmy-carter")], user=reviewer)
    data = client.get("/people/j-carter/").context["data"]
    assert data.counts == {"sender": 1, "recipient": 5, "mentioned": 5}
    assert data.correspondents[0] == {"slug": "zbigniew-brzezinski", "name": "Zbigniew Brzezinski", "count": 3}
    assert pair("zbigniew-brzezinski", "j-carter") == 3
    assert not Correspondence.objects.filter(other__slug="jimmy-carter").exists()


def test_a_deleted_letter_leaves_the_counts(client, import_catalog):
    Letter.objects.get(volume__identifier=V33, number=189).delete()
    data = carter(client)
    assert data.counts == {"sender": 1, "recipient": 4, "mentioned": 4}
    assert (data.total, data.per_year) == (6, [(1977, 1), (1978, 4)])
    assert pair("jimmy-carter", "zbigniew-brzezinski") == 2
