"""Citing and harvesting: citation downloads, OAI-PMH, sitemap, feed (included by archive/urls.py)."""

from django.urls import path

from . import opendata_views as views
from .feeds import LatestLettersFeed

app_name = "opendata"

urlpatterns = [
    path("oai/", views.oai_endpoint, name="oai"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap-section"),
    path("feeds/latest/", LatestLettersFeed(), name="feed-latest"),
    path("volumes/<slug:identifier>/d<int:number>/text.txt", views.letter_text, name="letter-text"),
    path("volumes/<slug:identifier>/d<int:number>/tei.xml", views.letter_tei, name="letter-tei"),
]
for fmt, (_, _, extension) in views.FORMATS.items():
    urlpatterns += [
        path(
            f"volumes/<slug:identifier>/d<int:number>/cite.{extension}",
            views.letter_citation_file,
            {"fmt": fmt},
            name=f"letter-{fmt}",
        ),
        path(
            f"volumes/<slug:identifier>/cite.{extension}",
            views.volume_citation_file,
            {"fmt": fmt},
            name=f"volume-{fmt}",
        ),
    ]
