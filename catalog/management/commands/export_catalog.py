"""``manage.py export_catalog FILE`` (``-`` for standard output): see catalog.backup."""

import sys

from django.core.management.base import BaseCommand

from catalog.backup import export_catalog


class Command(BaseCommand):
    help = "Write the whole catalog (letters, footnotes, people, sources, workflow state, history) to a file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the export (JSON Lines); - for standard output")

    def handle(self, *args, file, **options):
        if file == "-":
            counts = export_catalog(sys.stdout)
        else:
            with open(file, "w", encoding="utf-8") as out:
                counts = export_catalog(out)
        summary = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in counts.items() if n)
        self.stderr.write(f"exported {summary or 'nothing'}")
