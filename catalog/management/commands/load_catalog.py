"""``manage.py load_catalog FILE``: load an export into an empty database (see catalog.backup)."""

from django.core.management.base import BaseCommand, CommandError

from catalog.backup import BackupError, load_catalog


class Command(BaseCommand):
    help = "Load a catalog export (from export_catalog) into a database whose catalog is empty."

    def add_arguments(self, parser):
        parser.add_argument("file", help="an export written by export_catalog")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8") as lines:
                counts = load_catalog(lines, name=file)
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text; expected an export written by export_catalog") from None
        except BackupError as error:
            raise CommandError(str(error)) from None
        summary = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in counts.items() if n)
        self.stdout.write(f"loaded {summary or 'nothing'}")
