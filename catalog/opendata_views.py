"""Thin views for citing and harvesting: citation downloads, the letter as text and TEI, OAI-PMH,
the sitemap. Only published letters (``Letter.objects.published()``), whoever asks."""

from __future__ import annotations

from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from catalog import citing, letter_export, oai, queries, sitemaps
from catalog.models import Letter
from catalog.rendering import letter_citation

FORMATS = {
    "csl": (citing.to_csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
    "bibtex": (citing.to_bibtex, "application/x-bibtex; charset=utf-8", "bib"),
    "ris": (citing.to_ris, "application/x-research-info-systems; charset=utf-8", "ris"),
}


def _published_letter(identifier: str, number: int) -> Letter:
    letters = Letter.objects.published().select_related("volume", "chapter")
    return get_object_or_404(letters, volume__identifier=identifier, number=number)


def _download(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
def letter_citation_file(request, identifier: str, number: int, fmt: str):
    letter = _published_letter(identifier, number)
    item = citing.letter_csl(letter, citing.public_url(request, letter.get_absolute_url()))
    render, content_type, extension = FORMATS[fmt]
    return _download(render(item), content_type, f"{identifier}-d{number}.{extension}")


@require_safe
def volume_citation_file(request, identifier: str, fmt: str):
    volume = queries.public_volume(identifier)  # something published, or 404 (issue 10, item 13)
    item = citing.volume_csl(volume, citing.public_url(request, volume.get_absolute_url()))
    render, content_type, extension = FORMATS[fmt]
    return _download(render(item), content_type, f"{identifier}.{extension}")


@require_safe
def letter_text(request, identifier: str, number: int):
    letter = _published_letter(identifier, number)
    text = letter_export.plain_text(letter, letter_citation(letter))
    return _download(text, "text/plain; charset=utf-8", f"{identifier}-d{number}.txt")


@require_safe
def letter_tei(request, identifier: str, number: int):
    letter = _published_letter(identifier, number)
    return _download(
        letter_export.tei_fragment(letter), "application/tei+xml; charset=utf-8", f"{identifier}-d{number}.xml"
    )


@csrf_exempt  # OAI-PMH allows POST (application/x-www-form-urlencoded); nothing is changed
@require_http_methods(["GET", "HEAD", "POST"])
def oai_endpoint(request):
    params = request.POST if request.method == "POST" else request.GET
    base_url = citing.public_url(request, reverse("opendata:oai"))
    return HttpResponse(oai.respond(params, base_url, request), content_type="text/xml; charset=utf-8")


@require_safe
def sitemap(request):
    if sitemaps.needs_index():
        return sitemap_views.index(request, sitemaps.SITEMAPS, sitemap_url_name="opendata:sitemap-section")
    return sitemap_views.sitemap(request, sitemaps.SITEMAPS)


@require_safe
def sitemap_section(request, section: str):
    return sitemap_views.sitemap(request, sitemaps.SITEMAPS, section=section)
