"""``/sitemap.xml``: every published letter and every volume with one (django.contrib.sitemaps).

Past ``SITEMAP_PAGE_SIZE`` letters the sitemap becomes an index of section pages
(``/sitemap-letters.xml?p=2`` …), as the sitemaps protocol limits one file to 50,000 URLs.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sitemaps import Sitemap

from catalog.models import Letter, Volume


def page_size() -> int:
    return int(getattr(settings, "SITEMAP_PAGE_SIZE", 10000))


class LetterSitemap(Sitemap):
    changefreq = "monthly"

    @property
    def limit(self):
        return page_size()

    def items(self):
        return Letter.objects.published().select_related("volume").order_by("volume__identifier", "number")

    def lastmod(self, letter):
        return letter.modified


class VolumeSitemap(Sitemap):
    changefreq = "monthly"

    @property
    def limit(self):
        return page_size()

    def items(self):
        return Volume.objects.filter(pk__in=Letter.objects.published().values("volume_id")).order_by("identifier")


SITEMAPS = {"volumes": VolumeSitemap, "letters": LetterSitemap}


def needs_index() -> bool:
    """One sitemap while every section fits in one page; an index of pages beyond that."""
    return Letter.objects.published().count() > page_size()
