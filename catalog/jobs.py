"""Import jobs: an ImportRun carried out in the background (django-tasks), with progress and a heartbeat.

``import_run_task`` is what the worker (``manage.py db_worker``) runs; it calls ``execute_run`` →
``carry_out``, the one function that carries out a run, which the ``import_volume`` command shares
through ``run_command_import``. The import itself is the pipeline's (``catalog.ingest.pipeline``): a run from
the browser is all or nothing, every volume in one outer transaction, so a failed run writes nothing.

Progress (documents done of the total, rate, ETA) and a heartbeat go to a small JSON file beside the
run's files, not to the database: the import holds its transaction open until the end, and SQLite
lets no other connection write meanwhile. The run's page reads its progress, the run and the editor's
session while the import writes: PostgreSQL lets it, and SQLite too in write-ahead logging
(``journal_mode=WAL``, archive/settings.py; in its default journal mode the import would lock every
reader out once its changes outgrow SQLite's page cache). A run still ``running`` whose heartbeat is older than
``IMPORT_STALE_AFTER`` seconds lost its worker (killed, machine restarted): ``fail_stale_runs`` marks
it failed; its transaction died with the worker's connection, so nothing of it was written.
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from catalog.ingest.pipeline import ImportResult, expand_paths, import_paths, plan_jobs
from catalog.ingest.records import ParseError
from catalog.models import ImportRun
from catalog.uploads import checksums_match

WRITE_EVERY = 0.5  # seconds between progress writes


# -- progress and heartbeat ------------------------------------------------------------------------
def progress_path(run: ImportRun) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{run.pk}.json"


def read_progress(run: ImportRun) -> dict:
    try:
        return json.loads(progress_path(run).read_text())
    except (OSError, ValueError):
        return {}


def write_progress(run: ImportRun, data: dict) -> None:
    path = progress_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    scratch.write_text(json.dumps(data))
    os.replace(scratch, path)  # readers see the old file or the new one, never half of one


class Progress:
    """Counts documents across the run's volumes; writes progress now and then and a heartbeat always."""

    def __init__(self, run: ImportRun, total: int | None):
        self.run = run
        self.total = total or None
        self.done = 0
        self.before = 0  # documents of the volumes already finished
        self.volume = ""
        self.started = time.monotonic()
        self.last_write = 0.0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"import-run-{run.pk}-heartbeat", daemon=True)

    def state(self) -> dict:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
        remaining = max((self.total or 0) - self.done, 0)
        return {
            "done": self.done,
            "total": self.total,
            "rate": round(rate, 1),
            "eta": round(remaining / rate) if rate and self.total else None,
            "volume": self.volume,
            "elapsed": round(elapsed, 1),
            "heartbeat": time.time(),
        }

    def write(self) -> None:
        with self.lock:
            write_progress(self.run, self.state())
            self.last_write = time.monotonic()

    def _beat(self) -> None:
        while not self.stop.wait(settings.IMPORT_HEARTBEAT_SECONDS):
            self.write()

    def __enter__(self):
        self.write()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.write()

    def on_job_start(self, job):
        self.before = self.done
        self.volume = job.label if self.run.origin == ImportRun.Origin.COMMAND else Path(job.label).name

        def progress(count: int) -> None:
            self.done = self.before + count
            if time.monotonic() - self.last_write >= WRITE_EVERY:
                self.write()

        return progress


def last_heartbeat(run: ImportRun) -> datetime.datetime | None:
    beat = read_progress(run).get("heartbeat")
    if beat:
        return datetime.datetime.fromtimestamp(beat, tz=datetime.UTC)
    return run.started_at


def fail_stale_runs() -> int:
    """Mark failed every running run whose worker has stopped beating; how many."""
    limit = datetime.timedelta(seconds=settings.IMPORT_STALE_AFTER)
    now = timezone.now()
    failed = 0
    for run in ImportRun.objects.filter(status=ImportRun.Status.RUNNING):
        beat = last_heartbeat(run)
        if beat is not None and now - beat <= limit:
            continue
        since = timezone.localtime(beat).strftime("%Y-%m-%d %H:%M:%S") if beat else "its start"
        failed += ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.FAILED,
            finished_at=now,
            error=(
                f"The worker running this import stopped (no heartbeat since {since}). Nothing was written: "
                "the import's transaction ended with the worker."
            ),
        )
    return failed


# -- running a run ---------------------------------------------------------------------------------
def _report(result: ImportResult, *, rolled_back: bool) -> dict:
    return {
        "volumes": [report.as_dict() for report in result.reports],
        "failures": [{"what": str(what), "why": why} for what, why in result.failures],
        "rolled_back": rolled_back,
    }


def _finish(run: ImportRun, status: str, *, report: dict | None = None, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.error = error
    if report is not None:
        run.report = report
    run.save(update_fields=["status", "finished_at", "error", "report"])


def _perform(run: ImportRun, progress: Progress, on_job_start=None) -> ImportResult:
    options = run.options
    kwargs = {
        "identifier": options.get("volume", ""),
        "title": options.get("title", ""),
        "publish": bool(options.get("publish")),
        "dry_run": run.dry_run,
        "force": bool(options.get("force")),
        "user": run.user,
    }

    def start(job):
        callbacks = [progress.on_job_start(job), on_job_start(job) if on_job_start else None]
        return lambda count: [callback(count) for callback in callbacks if callback]

    paths = run.paths()
    if run.origin == ImportRun.Origin.COMMAND:
        return import_paths(paths, on_job_start=start, **kwargs)  # each volume on its own, as always
    with transaction.atomic():  # from the browser: every volume or none
        result = import_paths(paths, on_job_start=start, **kwargs)
        if result.failures:
            transaction.set_rollback(True)
    return result


def _estimate(paths: list[Path], identifier: str) -> int | None:
    try:
        jobs, _ = plan_jobs(paths, identifier)
    except ParseError:
        return None
    return sum(job.estimated_documents() or 0 for job in jobs) or None


def execute_run(run_id: int) -> str:
    """Carry out one queued run (the worker's job). Returns the run's final status."""
    run, _ = carry_out(run_id)
    return run.status


def carry_out(run_id: int, on_job_start=None) -> tuple[ImportRun, ImportResult | None]:
    """Claim a queued run and carry it out: (the run as it ended, the pipeline's result if it got that far)."""
    fail_stale_runs()  # a worker starting work also notices the runs a dead one left behind
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING, started_at=timezone.now()
    )
    run = ImportRun.objects.select_related("user").get(pk=run_id)
    if not claimed:
        return run, None  # cancelled before a worker took it, or already taken
    if run.origin == ImportRun.Origin.UPLOAD and (changed := checksums_match(run.files, Path(settings.MEDIA_ROOT))):
        _finish(
            run,
            ImportRun.Status.FAILED,
            error=f"{', '.join(changed)}: the stored file no longer has its upload checksum; nothing was written",
        )
        return run, None
    try:
        with Progress(run, _estimate(run.paths(), run.options.get("volume", ""))) as progress:
            result = _perform(run, progress, on_job_start)
    except ParseError as error:
        _finish(run, ImportRun.Status.FAILED, report=_report(ImportResult(), rolled_back=True), error=str(error))
        return run, None
    except Exception as error:  # noqa: BLE001 - anything else: the run fails with its error, nothing written
        _finish(run, ImportRun.Status.FAILED, error=f"{type(error).__name__}: {error}; nothing was written")
        return run, None
    everything_or_nothing = run.origin == ImportRun.Origin.UPLOAD
    if result.failures:
        why = "\n".join(failure for _, failure in result.failures)
        if run.dry_run:
            why += "\nNothing was written (a dry run). Correct the files and upload them again."
        elif everything_or_nothing:
            why += "\nNothing was written: a run from the browser imports every volume or none."
        else:
            why += "\nEach failed volume was rolled back; the others were imported."
        _finish(
            run,
            ImportRun.Status.FAILED,
            report=_report(result, rolled_back=run.dry_run or everything_or_nothing),
            error=why,
        )
    else:
        _finish(run, ImportRun.Status.SUCCEEDED, report=_report(result, rolled_back=run.dry_run))
    return run, result


@task()
def import_run_task(run_id: int) -> str:
    """The background job: carry out ImportRun ``run_id``."""
    return execute_run(run_id)


def enqueue(run: ImportRun) -> None:
    result = import_run_task.enqueue(run.pk)
    ImportRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])


# -- the steps of the browser flow -----------------------------------------------------------------
def start_dry_run(*, user, directory: str, files: list[dict], options: dict) -> ImportRun:
    run = ImportRun.objects.create(
        user=user, origin=ImportRun.Origin.UPLOAD, dry_run=True, directory=directory, files=files, options=options
    )
    enqueue(run)
    return run


def can_confirm(run: ImportRun) -> bool:
    return run.dry_run and run.status == ImportRun.Status.SUCCEEDED and not run.confirmations.exists()


def confirm(dry_run: ImportRun, user) -> ImportRun:
    """The real import of a successful dry run's files, as a new run."""
    run = ImportRun.objects.create(
        user=user,
        origin=ImportRun.Origin.UPLOAD,
        dry_run=False,
        dry_run_of=dry_run,
        directory=dry_run.directory,
        files=dry_run.files,
        options=dry_run.options,
    )
    enqueue(run)
    return run


def can_cancel(run: ImportRun) -> bool:
    return run.status == ImportRun.Status.QUEUED or can_confirm(run)


def cancel(run: ImportRun) -> bool:
    """Cancel a queued run, or a dry run nobody confirmed; its stored files are deleted."""
    allowed = [ImportRun.Status.QUEUED] + ([ImportRun.Status.SUCCEEDED] if can_confirm(run) else [])
    cancelled = ImportRun.objects.filter(pk=run.pk, status__in=allowed).update(
        status=ImportRun.Status.CANCELLED, finished_at=timezone.now()
    )
    if cancelled and run.folder and not run.confirmations.exists():
        shutil.rmtree(run.folder, ignore_errors=True)
    return bool(cancelled)


class ImportFailed(Exception):
    """The command's run failed before any volume was imported; the message says why."""


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


# -- the command -----------------------------------------------------------------------------------
def _checksum(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def run_command_import(paths: list[str], *, options: dict, on_job_start=None) -> tuple[ImportRun, ImportResult]:
    """``import_volume``: record an ImportRun for the command's paths and carry it out in this process.

    Raises ImportFailed (after recording the failed run) when the paths cannot be imported at all.
    """
    run = ImportRun.objects.create(
        origin=ImportRun.Origin.COMMAND,
        dry_run=bool(options.get("dry_run")),
        options={
            "volume": options.get("volume", ""),
            "title": options.get("title", ""),
            "publish": bool(options.get("publish")),
            "force": bool(options.get("force")),
            "invoked_by": _login_name(),
        },
    )
    try:
        files = expand_paths(paths)
    except ParseError as error:
        _finish(run, ImportRun.Status.FAILED, error=str(error))
        raise ImportFailed(str(error)) from None
    run.files = [
        {"name": str(path), "size": path.stat().st_size, "sha256": _checksum(path), "path": str(path.resolve())}
        for path in files
    ]
    run.status = ImportRun.Status.QUEUED
    run.save(update_fields=["files", "status"])
    run, result = carry_out(run.pk, on_job_start)
    if result is None:
        raise ImportFailed(run.error)
    return run, result
