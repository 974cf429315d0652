"""The import job: all or nothing, checksums, progress and heartbeat, a worker that dies."""

import datetime
import json
import os

import pytest
from django.utils import timezone

from catalog import jobs
from catalog.models import ImportRun, Letter, Volume
from tests.conftest import TEI_QUEBEC, TEI_V33

pytestmark = pytest.mark.django_db


def queued_run(stored, *files, dry_run=False, **options):
    directory, kept = stored(*files)
    return ImportRun.objects.create(dry_run=dry_run, directory=directory, files=kept, options=options)


def test_a_failed_run_writes_nothing_not_even_its_good_volume(stored):
    broken = TEI_QUEBEC.read_bytes().replace(b"</body>", b"</bodyy>", 1)
    run = queued_run(stored, ("v33.xml", TEI_V33.read_bytes()), ("quebec.xml", broken))
    assert jobs.execute_run(run.pk) == "failed"
    run.refresh_from_db()
    assert not Letter.objects.exists() and not Volume.objects.exists()
    assert run.report["rolled_back"] is True
    assert [v["volume"] for v in run.report["volumes"]] == ["frus1969-76v33"]
    assert "quebec.xml:" in run.error and "malformed XML" in run.error
    assert run.error.endswith("Nothing was written: a run from the browser imports every volume or none.")
    assert run.finished_at >= run.started_at


def test_a_file_changed_after_upload_is_not_imported(stored, media):
    run = queued_run(stored, ("quebec.xml", TEI_QUEBEC.read_bytes()))
    path = media / run.files[0]["path"]
    path.write_bytes(path.read_bytes().replace(b"Quebec", b"QUEBEC"))
    assert jobs.execute_run(run.pk) == "failed"
    run.refresh_from_db()
    assert run.error == "quebec.xml: the stored file no longer has its upload checksum; nothing was written"
    assert not Letter.objects.exists()


def test_a_run_is_carried_out_once(stored):
    run = queued_run(stored, ("quebec.xml", TEI_QUEBEC.read_bytes()))
    assert jobs.execute_run(run.pk) == "succeeded"
    assert jobs.execute_run(run.pk) == "succeeded"  # a second delivery of the job does nothing
    assert Letter.objects.count() == 8
    assert len(ImportRun.objects.get().report["volumes"][0]["created"]) == 8


def test_a_cancelled_run_is_not_carried_out(stored):
    run = queued_run(stored, ("quebec.xml", TEI_QUEBEC.read_bytes()))
    assert jobs.cancel(run)
    assert jobs.execute_run(run.pk) == "cancelled"
    assert not Letter.objects.exists()


def test_progress_counts_documents_and_beats(stored, settings):
    run = queued_run(stored, ("v33.xml", TEI_V33.read_bytes()), ("quebec.xml", TEI_QUEBEC.read_bytes()))
    before = datetime.datetime.now(tz=datetime.UTC).timestamp()
    jobs.execute_run(run.pk)
    progress = jobs.read_progress(run)
    assert (progress["done"], progress["total"], progress["volume"]) == (19, 19, "quebec.xml")
    assert progress["heartbeat"] >= before
    assert progress["eta"] == 0


# -- a worker killed in the middle of a run ------------------------------------------------------
def dead_worker_run(stored, media, beat_seconds_ago):
    """What a worker killed mid-import leaves: the run ``running``, its last heartbeat on disk, its
    transaction gone with its connection (so no letter)."""
    run = queued_run(stored, ("quebec.xml", TEI_QUEBEC.read_bytes()))
    started = timezone.now() - datetime.timedelta(seconds=beat_seconds_ago + 30)
    ImportRun.objects.filter(pk=run.pk).update(status="running", started_at=started)
    beat = timezone.now().timestamp() - beat_seconds_ago
    jobs.write_progress(run, {"done": 3, "total": 8, "heartbeat": beat})
    return run


def test_a_killed_worker_is_shown_as_failed(stored, media, settings, admin_client):
    settings.IMPORT_STALE_AFTER = 60
    run = dead_worker_run(stored, media, beat_seconds_ago=61)
    alive = dead_worker_run(stored, media, beat_seconds_ago=5)
    assert jobs.fail_stale_runs() == 1
    run.refresh_from_db()
    alive.refresh_from_db()
    assert (run.status, alive.status) == ("failed", "running")
    assert run.error.startswith("The worker running this import stopped (no heartbeat since ")
    assert run.error.endswith("Nothing was written: the import's transaction ended with the worker.")
    assert run.finished_at is not None
    assert not Letter.objects.exists()
    page = admin_client.get(f"/admin/catalog/importrun/{run.pk}/change/").content.decode()
    assert "The import failed" in page and "The worker running this import stopped" in page


def test_a_run_that_never_beat_is_judged_by_its_start(stored, media, settings, admin_client):
    settings.IMPORT_STALE_AFTER = 60
    run = queued_run(stored, ("quebec.xml", TEI_QUEBEC.read_bytes()))
    ImportRun.objects.filter(pk=run.pk).update(
        status="running", started_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    # Polling the run's progress notices it (as the list and a starting job do).
    data = admin_client.get(f"/admin/catalog/importrun/{run.pk}/progress/").json()
    assert (data["status"], data["finished"]) == ("failed", True)


def test_a_starting_job_marks_the_orphans_of_a_dead_worker(stored, media, settings):
    settings.IMPORT_STALE_AFTER = 60
    orphan = dead_worker_run(stored, media, beat_seconds_ago=600)
    run = queued_run(stored, ("quebec.xml", TEI_QUEBEC.read_bytes()))
    assert jobs.execute_run(run.pk) == "succeeded"
    orphan.refresh_from_db()
    assert orphan.status == "failed"


def test_progress_file_is_replaced_whole(stored, media):
    run = queued_run(stored, ("quebec.xml", TEI_QUEBEC.read_bytes()))
    jobs.write_progress(run, {"done": 1})
    jobs.write_progress(run, {"done": 2})
    folder = jobs.progress_path(run).parent
    assert os.listdir(folder) == [f"{run.pk}.json"]
    assert json.loads(jobs.progress_path(run).read_text()) == {"done": 2}
