"""``manage.py import_volume PATH… [--volume ID] [--title …] [--dry-run] [--publish] [--force]``."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from catalog.jobs import ImportFailed, run_command_import


class Progress:
    """A one-line progress bar on stderr with documents/s and ETA; silent when not a terminal."""

    def __init__(self, label: str, total: int | None, stream, min_seconds: float = 0.5):
        self.label, self.total, self.stream = label, total, stream
        self.started = time.monotonic()
        self.min_seconds = min_seconds
        self.shown = False
        self.last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        elapsed = now - self.started
        if elapsed < self.min_seconds or (now - self.last < 0.2 and done != self.total):
            return  # short runs stay quiet
        self.last = now
        rate = done / elapsed if elapsed else 0.0
        if self.total:
            width = 30
            filled = min(width, int(width * done / self.total))
            eta = (self.total - done) / rate if rate else 0
            bar = "#" * filled + "." * (width - filled)
            line = f"\r{self.label} [{bar}] {done}/{self.total} {rate:.1f} docs/s ETA {eta:.0f}s"
        else:
            line = f"\r{self.label} {done} documents {rate:.1f} docs/s"
        self.stream.write(line)
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")


class Command(BaseCommand):
    help = "Import FRUS volumes from TEI XML files or plain-text document exports (files or directories)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="TEI files, text files, or directories of them")
        parser.add_argument("--volume", default="", help="Volume identifier (required for text; e.g. frus1969-76v33)")
        parser.add_argument("--title", default="", help="Volume title, for text imports")
        parser.add_argument("--dry-run", action="store_true", help="Report every change, write nothing")
        parser.add_argument("--publish", action="store_true", help="Publish the imported letters")
        parser.add_argument(
            "--force", action="store_true", help="Take the import's value over an editor's correction (recorded)"
        )
        parser.add_argument("--verbose-report", action="store_true", help="List every letter created or updated")

    def handle(self, *args, **options):
        progress_bars: list[Progress] = []
        interactive = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()

        def on_job_start(job):
            if progress_bars:
                progress_bars[-1].finish()
            if not interactive:
                return None  # a log file gets the summary only
            bar = Progress(job.label, job.estimated_documents(), self.stderr)
            progress_bars.append(bar)
            return bar

        try:  # recorded as an ImportRun, like an import from the browser
            _, result = run_command_import(options["paths"], options=options, on_job_start=on_job_start)
        except ImportFailed as error:
            raise CommandError(str(error)) from None
        if progress_bars:
            progress_bars[-1].finish()
        for report in result.reports:
            self.stdout.write(report.summary())
            details = report.details()
            if not (options["verbose_report"] or report.dry_run):
                details = [line for line in details if "conflict" in line or "flagged" in line]
            for line in details:
                self.stdout.write(line)
        if result.failures:
            for label, why in result.failures:
                self.stderr.write(f"FAILED {label}: {why}")
            raise CommandError(
                f"{len(result.failures)} of {len(result.failures) + len(result.reports)} volumes failed; "
                "each failed volume was rolled back, the others were imported"
            )
