"""Public pages: the list of letters, a volume, a letter as printed, a person.

Only published letters are shown; staff also see drafts (``Letter.objects.visible_to``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from catalog import queries
from catalog.annotating import public_annotations
from catalog.models import Letter
from catalog.rendering import letter_citation, volume_heading, volume_subtitle

LETTERS_PER_PAGE = 50
FILTER_PARAMS = ("q", "volume", "doc_type", "year_from", "year_to", "person", "repository")


def letter_list(request):
    """``/`` and ``/letters/``: every visible letter, filtered, by date then volume and number."""
    letter_filter = queries.LetterFilter(request.GET or None, queryset=queries.letter_list(request.user))
    letters = letter_filter.qs
    paginator = Paginator(letters, LETTERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = []
    for letter in page.object_list:
        rows.append({"letter": letter, "people": queries.split_people(letter)})
    active = {name: request.GET.get(name, "").strip() for name in FILTER_PARAMS if request.GET.get(name, "").strip()}
    querystring = urlencode(active)
    return render(
        request,
        "catalog/letter_list.html",
        {
            "page": page,
            "rows": rows,
            "filter": letter_filter,
            "facets": queries.facets(letters),
            "active": active,
            "querystring": querystring,
            "q": active.get("q", ""),
            "doc_types": Letter._meta.get_field("doc_type").choices,
        },
    )


def volume_detail(request, identifier: str):
    volume, groups = queries.volume_page(identifier, request.user)
    return render(
        request,
        "catalog/volume_detail.html",
        {
            "volume": volume,
            "volume_heading": volume_heading(volume),
            "volume_subtitle": volume_subtitle(volume),
            "groups": groups,
            "has_chapters": any(g.chapter for g in groups),
            "count": sum(len(g.letters) for g in groups),
            "sources": queries.sources_consulted(volume),
        },
    )


def letter_detail(request, identifier: str, number: int):
    try:
        letter = queries.find_letter(identifier, request.user, number=number)
    except Http404:
        # A document renumbered since: its old id ``d<number>`` may still be some letter's xml id.
        letter = queries.find_letter(identifier, request.user, xml_id=f"d{number}")
        return redirect(letter, permanent=True)
    return _render_letter(request, letter)


def letter_by_xml_id(request, identifier: str, xml_id: str):
    """Old addresses: ``/volumes/<identifier>/<xml_id>/`` redirects to the letter's page."""
    letter = queries.find_letter(identifier, request.user, xml_id=xml_id)
    return redirect(letter, permanent=True)


def _render_letter(request, letter):
    page = queries.load_letter_page(letter, request.user)
    return render(
        request,
        "catalog/letter_detail.html",
        {
            "letter": letter,
            "page": page,
            "citation": letter_citation(letter),
            "volume_heading": volume_heading(letter.volume),
            "ctx": page.context,
            "annotations": public_annotations(letter),  # annotations (issue 8): the public ones only
            "hsg_url": f"https://history.state.gov/historicaldocuments/{letter.volume.identifier}/"
            f"{letter.xml_id or f'd{letter.number}'}",
        },
    )


def person_detail(request, slug: str):
    person, groups = queries.person_page(slug, request.user)
    sections = [
        ("sent", "Letters sent", groups.get("sender", [])),
        ("received", "Letters received", groups.get("recipient", [])),
        ("mentioned", "Mentioned in", groups.get("mentioned", [])),
    ]
    return render(request, "catalog/person_detail.html", {"person": person, "sections": sections})
