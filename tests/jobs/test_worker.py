"""The real worker: ``manage.py db_worker`` of django-tasks-db takes the queued job from the database."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from catalog.models import ImportRun, Letter
from tests.conftest import TEI_QUEBEC

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_worker():
    """What ``make run`` starts, until the queue is empty."""
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_upload_waits_for_the_worker_which_runs_dry_run_then_import(settings, admin_user):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    client = Client()
    client.force_login(admin_user)
    client.post(
        reverse("admin:catalog_importrun_upload"),
        {"files": [SimpleUploadedFile(TEI_QUEBEC.name, TEI_QUEBEC.read_bytes())]},
    )
    dry = ImportRun.objects.get()
    assert dry.status == "queued"
    assert DBTaskResult.objects.get().id.hex == dry.task_id.replace("-", "")
    page = client.get(reverse("admin:catalog_importrun_change", args=[dry.pk])).content.decode()
    assert "Waiting for a worker to take the job" in page and "js/import_progress.js" in page

    run_worker()
    dry.refresh_from_db()
    assert (dry.status, len(dry.report["volumes"][0]["created"])) == ("succeeded", 8)
    assert not Letter.objects.exists()

    client.post(reverse("admin:catalog_importrun_confirm", args=[dry.pk]))
    real = ImportRun.objects.get(dry_run=False)
    assert real.status == "queued"
    run_worker()
    real.refresh_from_db()
    assert real.status == "succeeded"
    assert Letter.objects.count() == 8
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
