"""Rebuild people's pages' side table and correspondences from the letters (catalog/person_letters.py)."""

from django.core.management.base import BaseCommand

from catalog import caching, person_letters


class Command(BaseCommand):
    help = "Rebuild people's pages' side tables (PersonLetter, PersonCount, Correspondence) from the letters."

    def handle(self, *args, **options):
        rows = person_letters.rebuild()
        caching.invalidate("people's pages rebuilt")
        self.stdout.write(f"{rows} person-letter rows written")
