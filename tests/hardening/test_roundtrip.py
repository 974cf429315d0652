"""Export → empty database → load reproduces the catalog record by record (catalog.backup)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from catalog.backup import BackupError, catalog_models, export_catalog, load_catalog
from catalog.ingest.pipeline import import_paths
from catalog.models import Letter, Person, Revision, Volume
from tests.conftest import FIXTURES, TEI_QUEBEC, TEI_V33

pytestmark = pytest.mark.django_db(transaction=True)  # the test empties the database itself

V04_TITLE = "Foreign Relations of the United States, 1981–1988, Volume IV, Soviet Union, January 1983–March 1985"


@pytest.fixture
def catalog(django_user_model):
    """The samples as `make samples` imports them, then an editor's work on top."""
    for paths, options in [
        ([FIXTURES / "frus1969-76v33"], {"identifier": "frus1969-76v33", "publish": True}),
        ([FIXTURES / "frus1981-88v04"], {"identifier": "frus1981-88v04", "title": V04_TITLE, "publish": True}),
        ([TEI_V33], {"publish": True}),
        ([TEI_QUEBEC], {}),
    ]:
        result = import_paths(paths, **options)
        assert not result.failures
    editor = django_user_model.objects.create_user("historian", password="pw", is_staff=True)
    letter = Letter.objects.filter(status=Letter.Status.DRAFT).order_by("pk").first()
    letter.status = Letter.Status.IN_REVIEW
    letter.title = letter.title + " (corrected)"
    letter.save()
    Revision.objects.create(
        letter=letter, user=editor, origin=Revision.Origin.EDITOR, changes={"status": ["draft", "review"]}
    )
    published = Letter.objects.filter(status=Letter.Status.PUBLISHED).order_by("-pk").first()
    published.published_at = timezone.now()
    published.save()
    person = Person.objects.order_by("pk").first()
    person.description = "Corrected by an editor."
    person.save()
    return editor


def snapshot() -> dict[str, list[dict]]:
    """Every catalog row, every column (users by username, since user ids belong to the database)."""
    user_model = get_user_model()
    usernames = dict(user_model.objects.values_list("pk", "username"))
    rows = {}
    for model in catalog_models():
        user_columns = [
            f.attname for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model
        ]
        table = []
        for row in model._default_manager.order_by("pk").values():
            for column in user_columns:
                row[column] = usernames.get(row[column])
            table.append(row)
        rows[model._meta.label_lower] = table
    return rows


def empty_the_database():
    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()


def test_export_empty_database_load_reproduces_every_record(catalog):
    before = snapshot()
    assert len(before["catalog.letter"]) >= 8
    assert len(before["catalog.footnote"]) > 20
    assert {row["status"] for row in before["catalog.letter"]} == {"draft", "review", "published"}
    assert before["catalog.revision"][-1]["user_id"] == "historian"
    assert before["catalog.volume_sources_consulted"]
    exported = io.StringIO()
    counts = export_catalog(exported)
    assert counts["catalog.letter"] == len(before["catalog.letter"])

    empty_the_database()
    assert all(not rows for rows in snapshot().values())
    assert not get_user_model().objects.exists()

    loaded = load_catalog(io.StringIO(exported.getvalue()).readlines())
    assert loaded == counts
    after = snapshot()
    for label in before:
        assert after[label] == before[label], label
    historian = get_user_model().objects.get(username="historian")
    assert not historian.is_active and not historian.has_usable_password()
    again = io.StringIO()
    export_catalog(again)
    assert again.getvalue() == exported.getvalue()


def search_count(q: str) -> int:
    """A search's number of results as the list page counts it (the public search table on
    PostgreSQL, rebuilt by the letters' triggers as they load; not in the export)."""
    from django.http import QueryDict

    from catalog import queries

    return queries.letter_results(QueryDict(f"q={q}"), 20, 1)["page"].paginator.count


def test_loaded_catalog_keeps_working(catalog, client):
    searched = {q: search_count(q) for q in ("Brezhnev", "SALT", '"arms control"')}
    assert searched["Brezhnev"] > 0
    exported = io.StringIO()
    export_catalog(exported)
    empty_the_database()
    assert search_count("Brezhnev") == 0
    load_catalog(exported.getvalue().splitlines())
    assert {q: search_count(q) for q in searched} == searched
    # New records get fresh ids after the loaded ones (sequences reset on PostgreSQL).
    volume = Volume.objects.create(identifier="frus-new", title="New")
    assert volume.pk > max(Volume.objects.exclude(pk=volume.pk).values_list("pk", flat=True))
    assert client.get("/volumes/frus1969-76v33/d193/").status_code == 200


def test_loading_into_a_catalog_that_is_not_empty_is_refused(catalog):
    exported = io.StringIO()
    export_catalog(exported)
    before = snapshot()
    with pytest.raises(BackupError, match="already holds a catalog"):
        load_catalog(exported.getvalue().splitlines())
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "x.jsonl:1: expected a letterbook-catalog header line"),
        ('{"format": "other"}\n', "x.jsonl:1: expected a letterbook-catalog version 1 header"),
        (
            '{"format": "letterbook-catalog", "version": 1}\n{"model": "auth.user", "pk": 1, "fields": {}}\n',
            "x.jsonl:2",
        ),
        ('{"format": "letterbook-catalog", "version": 1}\n{broken\n', "x.jsonl:2: expected one JSON record"),
        (
            '{"format": "letterbook-catalog", "version": 1}\n'
            '{"model": "catalog.volume", "pk": 1, "fields": {"identifier": "v", "created": "not a date"}}\n',
            "x.jsonl:2: catalog.volume 1",
        ),
    ],
)
def test_a_bad_file_is_refused_with_its_line_and_nothing_written(db, content, message):
    with pytest.raises(BackupError) as error:
        load_catalog(io.StringIO(content).readlines(), name="x.jsonl")
    assert str(error.value).startswith(message)
    assert not Volume.objects.exists()


def test_the_commands_roundtrip_through_a_file(catalog, tmp_path):
    path = tmp_path / "catalog.jsonl"
    call_command("export_catalog", str(path), stderr=io.StringIO())
    before = snapshot()
    empty_the_database()
    out = io.StringIO()
    call_command("load_catalog", str(path), stdout=out)
    assert out.getvalue().startswith("loaded ")
    assert snapshot() == before
    with pytest.raises(CommandError, match="already holds a catalog"):
        call_command("load_catalog", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="missing.jsonl: No such file"):
        call_command("load_catalog", str(tmp_path / "missing.jsonl"))


def test_an_export_made_before_peoples_side_tables_loads_with_them_rebuilt(catalog, client):
    """An export written before people's pages had side tables (catalog/person_letters.py) holds no
    rows of them: the load derives them from the letters, as an import would have."""

    def side_tables():
        from catalog.models import Correspondence, PersonCount, PersonLetter

        return (
            sorted(PersonLetter.objects.values_list("person_id", "letter_id", "role", "first")),
            sorted(PersonCount.objects.values_list("person_id", "key", "n")),
            sorted(Correspondence.objects.values_list("person_id", "other_id", "letters")),
        )

    before = side_tables()
    assert before[0] and before[1]
    sender = Person.objects.filter(letter_links__role="sender", letter_links__letter__status="published").first()
    page = client.get(sender.get_absolute_url()).content
    exported = io.StringIO()
    export_catalog(exported)
    old = [
        line
        for line in exported.getvalue().splitlines()
        if not any(f'"model": "catalog.{m}"' in line for m in ("personletter", "personcount", "correspondence"))
    ]
    empty_the_database()
    load_catalog(old)
    assert side_tables() == before
    assert client.get(sender.get_absolute_url()).content == page
