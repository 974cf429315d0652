"""``manage.py generate_corpus --volumes N --seed S [--documents D] OUT/``: a synthetic FRUS to import."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from catalog.synthetic import generate_corpus


class Progress:
    """Volumes and documents per second with an ETA on one stderr line; silent when not a terminal."""

    def __init__(self, stream, volumes: int):
        self.stream, self.volumes = stream, volumes
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, volumes_done: int, documents_done: int, documents_total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and documents_done != documents_total:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = documents_done / elapsed
        eta = (documents_total - documents_done) / rate if rate else 0
        self.stream.write(
            f"\rvolumes {volumes_done}/{self.volumes} ({volumes_done / elapsed:.1f}/s), "
            f"documents {documents_done}/{documents_total} ({rate:.0f}/s), ETA {eta:.0f}s ",
            ending="",
            style_func=str,  # no colour: this is progress, not an error
        )
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("")


class Command(BaseCommand):
    help = "Write a synthetic FRUS (TEI volumes importable with import_volume OUT/ --publish) to a directory."

    def add_arguments(self, parser):
        parser.add_argument("out", help="Directory to write OUT/<volume-id>.xml and OUT/manifest.json into")
        parser.add_argument("--volumes", type=int, required=True, help="Number of volumes")
        parser.add_argument("--seed", type=int, default=0, help="Random seed: the same arguments give the same files")
        parser.add_argument(
            "--documents", type=int, default=None, help="Documents per volume (default: 300–1,500, drawn per volume)"
        )

    def handle(self, *args, **options):
        if options["volumes"] < 1:
            raise CommandError("--volumes must be at least 1")
        if options["documents"] is not None and options["documents"] < 1:
            raise CommandError("--documents must be at least 1")
        interactive = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        progress = Progress(self.stderr, options["volumes"]) if interactive else None
        started = time.monotonic()
        try:
            manifest = generate_corpus(
                options["out"],
                options["volumes"],
                options["seed"],
                options["documents"],
                progress=progress,
            )
        finally:
            if progress:
                progress.finish()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"{options['out']}: {manifest.summary()} in {elapsed:.1f} s "
            f"({manifest.documents / max(elapsed, 1e-9):.0f} documents/s)"
        )
