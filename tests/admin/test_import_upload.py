"""Imports from the browser, through the admin: upload → dry run → report → confirm (or cancel) → import.

The test settings run jobs with django-tasks' immediate backend: the upload and the confirmation
enqueue ``catalog.jobs.import_run_task``, the very task the worker runs, and it runs at once.
"""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalog.models import ImportRun, Letter, Revision
from tests.conftest import SEED_CARTER, SEED_REAGAN, TEI_QUEBEC, TEI_V33

UPLOAD = reverse("admin:catalog_importrun_upload")
CHANGELIST = reverse("admin:catalog_importrun_changelist")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def importer(db, django_user_model):
    """A staff member whose only rights come from the Importers group (made by the migration)."""
    user = django_user_model.objects.create_user("importer", password="pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name="Importers"))
    return user


@pytest.fixture
def importer_client(importer):
    client = Client()
    client.force_login(importer)
    client.user = importer
    return client


@pytest.fixture
def outsider_client(db, django_user_model):
    """Staff with every letter permission but not in Importers."""
    user = django_user_model.objects.create_user("outsider", password="pw-for-tests", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename__in=["change_letter", "view_letter"])
    )
    client = Client()
    client.force_login(user)
    return client


def upload(client, *files, **options):
    data = {"files": [SimpleUploadedFile(name, content) for name, content in files], **options}
    return client.post(UPLOAD, data)


def file(path: Path, name=None):
    return (name or path.name, path.read_bytes())


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def only_run() -> ImportRun:
    (run,) = ImportRun.objects.all()
    return run


# -- the whole flow ------------------------------------------------------------------------------
def test_upload_dry_run_then_confirm_imports_the_text_volume(importer_client, importer, media, form_data):
    response = upload(importer_client, file(SEED_CARTER), volume="frus1969-76v33", publish="on")
    dry = only_run()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_importrun_change", args=[dry.pk])
    assert (dry.dry_run, dry.status, dry.user, dry.origin) == (True, "succeeded", importer, "upload")
    assert dry.options == {"volume": "frus1969-76v33", "title": "", "publish": True, "force": False}
    # Stored under MEDIA_ROOT with its checksum.
    (stored,) = dry.files
    assert stored["name"] == "000_dd5f1a60df42d359.txt"
    assert stored["sha256"] == hashlib.sha256(SEED_CARTER.read_bytes()).hexdigest()
    assert (media / stored["path"]).read_bytes() == SEED_CARTER.read_bytes()
    # Nothing written by the dry run; the report says what would be.
    assert not Letter.objects.exists()
    (volume,) = dry.report["volumes"]
    assert (volume["volume"], volume["created"], volume["updated"], volume["unchanged"]) == (
        "frus1969-76v33",
        [193],
        [],
        [],
    )
    assert volume["dry_run"] is True
    assert dry.duration is not None

    page = importer_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "What the import would change" in html
    assert '<td class="count-created">1</td>' in html
    assert "d193" in html
    assert stored["sha256"] in html
    assert "1 documents parsed of 1" in html
    assert 'id="confirm-form"' in html and 'id="cancel-form"' in html

    confirm = importer_client.post(
        reverse("admin:catalog_importrun_confirm", args=[dry.pk]), form_data(page, "confirm-form")
    )
    real = ImportRun.objects.exclude(pk=dry.pk).get()
    assert confirm["Location"] == reverse("admin:catalog_importrun_change", args=[real.pk])
    assert (real.dry_run, real.status, real.dry_run_of, real.files) == (False, "succeeded", dry, dry.files)
    letter = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
    assert letter.status == Letter.Status.PUBLISHED
    assert letter.revisions.get().user == importer  # the history names who imported
    assert real.report["volumes"][0]["created"] == [193]
    page = importer_client.get(confirm["Location"]).content.decode()
    assert "What the import changed" in page and "confirm-form" not in page

    # Confirmed once only, even by a forged second POST.
    importer_client.post(reverse("admin:catalog_importrun_confirm", args=[dry.pk]))
    assert ImportRun.objects.count() == 2

    # Listed and filterable in the admin.
    listing = importer_client.get(CHANGELIST, {"dry_run__exact": "0"}).content.decode()
    assert f"Import #{real.pk}" in listing and f"Dry run #{dry.pk}" not in listing
    listing = importer_client.get(CHANGELIST, {"status__exact": "succeeded"}).content.decode()
    assert f"Import #{real.pk}" in listing and f"Dry run #{dry.pk}" in listing
    assert "frus1969-76v33" in listing
    listing = importer_client.get(CHANGELIST, {"q": "000_dd5f1a60df42d359"}).content.decode()
    assert f"Import #{real.pk}" in listing and f"Dry run #{dry.pk}" in listing
    listing = importer_client.get(CHANGELIST, {"q": "no-such-file"}).content.decode()
    assert f"Import #{real.pk}" not in listing


def test_two_tei_volumes_and_a_second_upload_reports_unchanged(importer_client):
    upload(importer_client, file(TEI_V33), file(TEI_QUEBEC))
    dry = only_run()
    assert [(v["volume"], len(v["created"])) for v in dry.report["volumes"]] == [
        ("frus1969-76v33", 11),
        ("frus1944Quebec", 8),
    ]
    assert [v["footnotes"] for v in dry.report["volumes"]] == [41, 28]
    importer_client.post(reverse("admin:catalog_importrun_confirm", args=[dry.pk]))
    assert Letter.objects.count() == 19

    upload(importer_client, file(TEI_QUEBEC))
    again = ImportRun.objects.filter(dry_run=True).first()
    (volume,) = again.report["volumes"]
    assert (volume["created"], volume["updated"], len(volume["unchanged"])) == ([], [], 8)


def test_zip_of_text_documents(importer_client, media):
    archive = zipped({"docs/000_dd5f1a60df42d359.txt": SEED_CARTER.read_bytes(), "__MACOSX/._junk": b"\x00\x05"})
    response = upload(importer_client, ("v33.zip", archive), volume="frus1969-76v33")
    assert response.status_code == 302
    dry = only_run()
    (stored,) = dry.files
    assert (stored["name"], stored["kind"], stored["sha256"]) == ("v33.zip", "zip", hashlib.sha256(archive).hexdigest())
    (entry,) = stored["entries"]
    assert entry["name"] == "docs/000_dd5f1a60df42d359.txt"
    assert entry["sha256"] == hashlib.sha256(SEED_CARTER.read_bytes()).hexdigest()
    assert dry.report["volumes"][0]["created"] == [193]


def test_cancel_after_the_dry_run(importer_client, media):
    upload(importer_client, file(TEI_QUEBEC))
    dry = only_run()
    folder = media / dry.directory
    assert folder.is_dir()
    importer_client.post(reverse("admin:catalog_importrun_cancel", args=[dry.pk]))
    dry.refresh_from_db()
    assert dry.status == "cancelled"
    assert not folder.exists()
    importer_client.post(reverse("admin:catalog_importrun_confirm", args=[dry.pk]))
    assert ImportRun.objects.count() == 1
    assert not Letter.objects.exists()


# -- refusals ------------------------------------------------------------------------------------
def test_a_failing_file_fails_the_dry_run_with_file_and_line(importer_client):
    broken = TEI_QUEBEC.read_bytes().replace(b"</body>", b"</bodyy>", 1)
    upload(importer_client, ("quebec.xml", broken))
    dry = only_run()
    assert dry.status == "failed"
    assert dry.report["failures"][0]["why"].startswith(f"{dry.folder / 'quebec.xml'}:")
    assert "malformed XML" in dry.error
    assert "Nothing was written" in dry.error
    page = importer_client.get(reverse("admin:catalog_importrun_change", args=[dry.pk])).content.decode()
    assert "The dry run found errors" in page and "malformed XML" in page
    assert "confirm-form" not in page
    importer_client.post(reverse("admin:catalog_importrun_confirm", args=[dry.pk]))  # forged
    assert ImportRun.objects.count() == 1
    assert not Letter.objects.exists()


def test_a_text_document_error_names_file_and_line(importer_client):
    bad = b"193. A heading1\n\nSome text.\n\n  1. A note.\n  3. A third note.\n"
    upload(importer_client, ("bad.txt", bad), volume="frus1969-76v33")
    dry = only_run()
    assert dry.status == "failed"
    assert f"{dry.folder / 'bad.txt'}:6: expected footnote 2, found footnote 3" in dry.error


def test_a_too_large_upload_is_refused(importer_client, settings, media):
    settings.IMPORT_MAX_UPLOAD_SIZE = 1000
    response = upload(importer_client, file(SEED_CARTER))
    assert response.status_code == 400
    page = response.content.decode()
    assert "000_dd5f1a60df42d359.txt: refused:" in page and "over the limit of 0.0 MB (IMPORT_MAX_UPLOAD_SIZE)" in page
    assert not ImportRun.objects.exists()
    assert not media.exists() or not any(media.rglob("*.txt"))


def test_a_body_over_the_limit_is_refused_by_its_length(importer_client, settings):
    settings.IMPORT_MAX_UPLOAD_SIZE = 1000
    big = ("big.xml", TEI_QUEBEC.read_bytes())  # 58 KB: over 1000 bytes + the form's allowance
    response = upload(importer_client, big, big)
    assert response.status_code == 400
    assert (
        "refused: the upload is 0.1 MB, over the limit of 0.0 MB (IMPORT_MAX_UPLOAD_SIZE)" in response.content.decode()
    )
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    "name, content",
    [
        ("volume.xml", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("volume.xml", b'<?xml version="1.0"?><html><body>not TEI</body></html>'),
        ("notes.txt", b"Dear reader, this is not a FRUS document.\n"),
        ("latin1.txt", "193. Lettre de Genève\n".encode("latin-1")),
    ],
)
def test_a_wrong_type_is_refused(importer_client, media, name, content):
    response = upload(importer_client, (name, content), volume="frus1969-76v33")
    assert response.status_code == 400
    assert f"{name}: refused: expected a TEI volume (XML whose root element is TEI)" in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not any((media / "imports").iterdir()) if (media / "imports").exists() else True


@pytest.mark.parametrize(
    "entry, why",
    [
        ("../evil.txt", "climbs out of the zip"),
        ("/etc/evil.txt", "expected a relative path inside the zip"),
        ("docs/.hidden.txt", "not starting with a dot"),
    ],
)
def test_unsafe_zip_entries_are_refused(importer_client, media, entry, why):
    archive = zipped({entry: SEED_CARTER.read_bytes()})
    response = upload(importer_client, ("v33.zip", archive), volume="frus1969-76v33")
    assert response.status_code == 400
    assert why in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not (media / "evil.txt").exists() and not (media.parent / "evil.txt").exists()


def test_zip_bombs_are_refused(importer_client, settings):
    settings.IMPORT_MAX_ZIP_ENTRIES = 2
    many = zipped({f"{n}.txt": SEED_CARTER.read_bytes() for n in range(3)})
    response = upload(importer_client, ("many.zip", many), volume="frus1969-76v33")
    assert "many.zip: refused: 3 entries, over the limit of 2 (IMPORT_MAX_ZIP_ENTRIES)" in response.content.decode()

    settings.IMPORT_MAX_UNCOMPRESSED_SIZE = 100_000
    bomb = zipped({"193.txt": b"193. Heading\n\n" + b"a" * 5_000_000})
    assert len(bomb) < 20_000
    response = upload(importer_client, ("bomb.zip", bomb), volume="frus1969-76v33")
    assert response.status_code == 400
    assert "bomb.zip: refused: unpacks to more than 0.1 MB (IMPORT_MAX_UNCOMPRESSED_SIZE)" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_zip_with_something_else_inside_is_refused(importer_client):
    archive = zipped({"volume.xml": TEI_QUEBEC.read_bytes()})
    response = upload(importer_client, ("v.zip", archive))
    assert "v.zip: volume.xml: refused: expected a plain-text document" in response.content.decode()


# -- permissions ---------------------------------------------------------------------------------
def test_staff_outside_importers_are_refused_even_by_forged_posts(outsider_client, importer_client):
    assert outsider_client.get(UPLOAD).status_code == 403
    assert upload(outsider_client, file(TEI_QUEBEC)).status_code == 403
    assert not ImportRun.objects.exists()

    upload(importer_client, file(TEI_QUEBEC))
    dry = only_run()
    assert outsider_client.post(reverse("admin:catalog_importrun_confirm", args=[dry.pk])).status_code == 403
    assert outsider_client.post(reverse("admin:catalog_importrun_cancel", args=[dry.pk])).status_code == 403
    assert outsider_client.get(reverse("admin:catalog_importrun_change", args=[dry.pk])).status_code == 403
    assert outsider_client.get(reverse("admin:catalog_importrun_progress", args=[dry.pk])).status_code == 403
    assert ImportRun.objects.count() == 1 and only_run().status == "succeeded"
    assert not Letter.objects.exists()


def test_superusers_may_import(staff_client):
    assert staff_client.get(UPLOAD).status_code == 200
    assert upload(staff_client, file(TEI_QUEBEC)).status_code == 302


def test_progress_answers_json(importer_client):
    upload(importer_client, file(TEI_QUEBEC))
    dry = only_run()
    data = importer_client.get(reverse("admin:catalog_importrun_progress", args=[dry.pk])).json()
    assert (data["status"], data["finished"], data["done"], data["total"]) == ("succeeded", True, 8, 8)
    assert data["volume"] == "frus1944Quebec-excerpt.xml"


# -- conflicts: keep the editor's value or take the import's -------------------------------------
@pytest.fixture
def conflicting_import(importer_client, staff_client):
    """d328 imported, its title and place corrected by an editor, then a release changing both imported."""
    upload(importer_client, file(SEED_REAGAN), volume="frus1981-88v04")
    importer_client.post(reverse("admin:catalog_importrun_confirm", args=[ImportRun.objects.get().pk]))
    letter = Letter.objects.get(number=328)
    letter.title = "Editor’s title"
    letter.save()
    changed = SEED_REAGAN.read_bytes().replace(
        b"328. Letter From President Reagan", b"328. Letter From Ronald Reagan", 1
    )
    assert changed != SEED_REAGAN.read_bytes()
    upload(importer_client, (SEED_REAGAN.name, changed), volume="frus1981-88v04")
    dry = ImportRun.objects.filter(dry_run=True).first()
    importer_client.post(reverse("admin:catalog_importrun_confirm", args=[dry.pk]))
    return ImportRun.objects.filter(dry_run=False).first()


def test_conflict_links_to_a_choice_per_field(
    conflicting_import, importer_client, staff_client, editor_client, form_data
):
    run = conflicting_import
    (conflict,) = run.report["volumes"][0]["conflicts"]
    assert (conflict["label"], conflict["field"], conflict["editor_value"]) == ("d328", "title", "Editor’s title")
    assert conflict["import_value"].startswith("Letter From Ronald Reagan to Soviet General Secretary Chernenko")
    url = reverse("admin:catalog_importrun_conflicts", args=[run.pk, "frus1981-88v04", 328])
    page = importer_client.get(reverse("admin:catalog_importrun_change", args=[run.pk])).content.decode()
    assert f'href="{url}"' in page

    # An importer who may not change letters cannot settle it; an editor who may not import can.
    assert importer_client.get(url).status_code == 403
    assert importer_client.post(url, {"choice-title": "take"}).status_code == 403
    assert editor_client.get(url).status_code == 200
    assert Letter.objects.get(number=328).title == "Editor’s title"
    form = staff_client.get(url)
    assert form.status_code == 200
    assert "Editor’s title" in form.content.decode()
    data = form_data(form, "conflicts-form")
    assert data["choice-title"] == ["keep"]
    staff_client.post(url, {**data, "choice-title": "take"})
    letter = Letter.objects.get(number=328)
    assert letter.title == conflict["import_value"]
    assert letter.import_snapshot["title"] == conflict["import_value"]
    revision = letter.revisions.first()
    assert (revision.origin, revision.user, revision.changes) == (
        Revision.Origin.FORCED_IMPORT,
        staff_client.user,
        {"title": ["Editor’s title", conflict["import_value"]]},
    )
    assert "settled: the letter has the import’s value" in staff_client.get(url).content.decode()


def test_keeping_the_editors_value_closes_the_conflict(conflicting_import, importer_client, staff_client):
    run = conflicting_import
    url = reverse("admin:catalog_importrun_conflicts", args=[run.pk, "frus1981-88v04", 328])
    staff_client.post(url, {"choice-title": "keep"})
    letter = Letter.objects.get(number=328)
    assert letter.title == "Editor’s title"
    assert letter.revisions.first().comment == "import conflict on title settled: editor's value kept"
    # The same release again: no conflict any more, the editor's title stays.
    dry = ImportRun.objects.filter(dry_run=True).first()
    again = ImportRun.objects.create(
        user=run.user, dry_run=True, directory=dry.directory, files=dry.files, options=dry.options
    )
    from catalog.jobs import execute_run

    assert execute_run(again.pk) == "succeeded"
    again.refresh_from_db()
    assert again.report["volumes"][0]["conflicts"] == []
    assert again.report["volumes"][0]["unchanged"] == [328]


def test_pages_cost_a_fixed_number_of_queries(importer_client, django_assert_max_num_queries):
    for _ in range(3):
        upload(importer_client, file(TEI_QUEBEC))
    dry = ImportRun.objects.first()
    importer_client.post(reverse("admin:catalog_importrun_confirm", args=[dry.pk]))
    with django_assert_max_num_queries(11):
        assert importer_client.get(CHANGELIST).status_code == 200
    with django_assert_max_num_queries(9):
        assert importer_client.get(reverse("admin:catalog_importrun_change", args=[dry.pk])).status_code == 200
    with django_assert_max_num_queries(6):
        assert importer_client.get(reverse("admin:catalog_importrun_progress", args=[dry.pk])).status_code == 200


@pytest.mark.parametrize("name", [".htaccess", "a;b.xml", "x$(id).xml"])
def test_unsafe_file_names_are_refused(importer_client, name):
    response = upload(importer_client, (name, TEI_QUEBEC.read_bytes()))
    assert response.status_code == 400
    assert f"{name!r}: refused: expected a" in response.content.decode().replace("&#x27;", "'")
    assert not ImportRun.objects.exists()
