"""Staff import from the browser: upload → the page follows the queued job → report → confirm → import.

The jobs go through the database queue as in production; the test plays the worker (django-tasks-db's
``db_worker``) while the page polls the run's progress by itself.
"""

import re

import pytest
from django.core.management import call_command

from catalog.models import ImportRun, Letter
from tests.conftest import TEI_QUEBEC

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(transactional_db, live_server, settings, tmp_path, django_user_model):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.MEDIA_ROOT = tmp_path / "media"
    django_user_model.objects.create_superuser("chief", password="pw-for-tests")
    return live_server.url


def run_worker():
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0)


def test_upload_dry_run_confirm_with_progress_and_report(site, page, screenshot_dir):
    from playwright.sync_api import expect

    page.goto(site + "/admin/login/?next=/admin/catalog/importrun/upload/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Import volumes")

    page.set_input_files("#id_files", str(TEI_QUEBEC))
    page.get_by_role("button", name="Upload and start the dry run").click()
    page.wait_for_url(re.compile(r"/admin/catalog/importrun/\d+/change/$"))
    # Queued: the page shows the progress bar and waits for a worker.
    expect(page.locator("#run-status")).to_have_text("Queued")
    expect(page.locator("#import-progress progress")).to_be_visible()
    expect(page.locator("#progress-text")).to_have_text("Waiting for a worker to take the job…")
    page.screenshot(path=str(screenshot_dir / "import-queued.png"), full_page=True)

    run_worker()  # the page notices by itself, and shows the report
    expect(page.locator("#import-report")).to_be_visible()
    expect(page.locator("#run-status")).to_have_text("Succeeded")
    expect(page.locator("#progress-final")).to_contain_text("8 documents parsed of 8 in ")
    expect(page.locator("#progress-final")).to_contain_text("documents/s")
    expect(page.locator("#import-report h2")).to_have_text("What the import would change")
    expect(page.locator("#report-frus1944Quebec .count-created")).to_have_text("8")
    expect(page.locator("#report-frus1944Quebec .summary")).to_contain_text(
        "[dry run] frus1944Quebec: 8 created, 0 updated, 0 unchanged; 28 footnotes"
    )
    page.screenshot(path=str(screenshot_dir / "import-dry-run.png"), full_page=True)
    assert not Letter.objects.exists()

    page.get_by_role("button", name="Confirm: import these files").click()
    expect(page.locator("#run-status")).to_have_text("Queued")
    run_worker()
    expect(page.locator("#import-report h2")).to_have_text("What the import changed")
    expect(page.locator("#run-status")).to_have_text("Succeeded")
    expect(page.locator("#run-facts")).to_contain_text("confirmed from Dry run")
    page.screenshot(path=str(screenshot_dir / "import-done.png"), full_page=True)
    assert Letter.objects.filter(volume__identifier="frus1944Quebec").count() == 8
    assert list(ImportRun.objects.values_list("dry_run", "status")) == [(False, "succeeded"), (True, "succeeded")]

    # The list of runs.
    page.goto(site + "/admin/catalog/importrun/")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    assert page.js_errors == []


def test_a_refused_upload_says_why(site, page, tmp_path):
    from playwright.sync_api import expect

    picture = tmp_path / "volume.xml"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.goto(site + "/admin/login/?next=/admin/catalog/importrun/upload/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.set_input_files("#id_files", str(picture))
    page.get_by_role("button", name="Upload and start the dry run").click()
    expect(page.locator("#upload-refused")).to_contain_text(
        "volume.xml: refused: expected a TEI volume (XML whose root element is TEI)"
    )
    assert not ImportRun.objects.exists()


def test_the_page_follows_a_running_job(site, page, tmp_path, settings):
    """While the job runs, the page shows documents parsed of the total, the rate and the time left,
    also deep into the import's transaction: the worker holds still after 501 documents (a batch of
    500 new letters written, uncommitted; catalog.ingest.loader.BATCH_SIZE) until the page shows them."""
    import threading

    from django.db import connections
    from playwright.sync_api import expect

    from catalog.jobs import carry_out
    from catalog.synthetic import generate_corpus

    settings.IMPORT_HEARTBEAT_SECONDS = 0.5  # the progress file follows the paused worker at once
    documents, pause_at = 600, 501
    generate_corpus(tmp_path, volumes=1, seed=3, documents=documents)
    volume = tmp_path / "frus1946v01.xml"
    page.goto(site + "/admin/login/?next=/admin/catalog/importrun/upload/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.set_input_files("#id_files", str(volume))
    page.get_by_role("button", name="Upload and start the dry run").click()
    page.wait_for_url(re.compile(r"/admin/catalog/importrun/\d+/change/$"))
    run = ImportRun.objects.get()
    paused, shown = threading.Event(), threading.Event()

    def hold_still(job):
        def progress(count):
            if count == pause_at:
                paused.set()
                shown.wait(60)

        return progress

    def work():  # the worker's job, beside the page, on its own connection (closed after)
        try:
            carry_out(run.pk, on_job_start=hold_still)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        expect(page.locator("#run-status")).to_have_text("Running", timeout=30_000)
        assert paused.wait(60)
        expect(page.locator("#progress-text")).to_contain_text(
            re.compile(rf"^{pause_at} documents parsed of {documents}, [\d.]+ documents/s, about \d+ s left"),
            timeout=15_000,
        )
        expect(page.locator("#progress-bar")).to_have_attribute("max", str(documents))
        expect(page.locator("#run-status")).to_have_text("Running")
    finally:
        shown.set()
        worker.join()
    expect(page.locator("#import-report")).to_be_visible()
    expect(page.locator("#progress-final")).to_contain_text(f"{documents} documents parsed of {documents}")
    assert page.js_errors == []
