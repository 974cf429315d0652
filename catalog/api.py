"""A small read-only JSON API (plain ``JsonResponse``, no framework).

``GET /api/letters/<volume>/<number>/``: one letter as data. Letters that are not published are a
404 unless the request's user is staff.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from catalog import queries, workflow
from catalog.rendering import letter_citation


def _iso(value):
    """ISO 8601 in Washington time (the project's TIME_ZONE), as FRUS editors date documents."""
    return timezone.localtime(value).isoformat() if value is not None else None


def _person(link) -> dict:
    return {
        "name": link.person.display_name,
        "slug": link.person.slug,
        "name_as_written": link.name_as_written,
        "url": link.person.get_absolute_url(),
    }


def letter_data(page: queries.LetterPage) -> dict:
    letter = page.letter
    # Targets the requester may open (a draft target counts as unresolved for the public).
    resolved = {entry.target.pk for entry in page.references if entry.target is not None}
    return {
        "volume": letter.volume.identifier,
        "number": letter.number,
        "xml_id": letter.xml_id,
        "title": letter.title,
        "citation": letter_citation(letter),
        "url": letter.get_absolute_url(),
        "doc_type": letter.doc_type,
        "date_min": _iso(letter.date_min),
        "date_max": _iso(letter.date_max),
        "date_precision": letter.date_precision,
        "place": letter.place,
        "classification": letter.classification,
        "page_start": letter.page_start,
        "page_end": letter.page_end,
        **workflow.public_notices(letter),  # provisional, errata
        "senders": [_person(link) for link in page.people.get("sender", [])],
        "recipients": [_person(link) for link in page.people.get("recipient", [])],
        "mentioned": [_person(link) for link in page.people.get("mentioned", [])],
        "body_text": letter.body_text,
        "footnotes": [
            {"number": note.number, "kind": note.kind, "text": note.text, "anchor": note.anchor}
            for note in page.footnotes
        ],
        "sources": [
            {
                "repository": entry.source.repository,
                "collection": entry.source.collection,
                "box": entry.source.box,
                "folder": entry.source.folder,
                "raw": entry.raw,
                "footnotes": entry.footnotes,
            }
            for entry in page.sources
        ],
        "references": [
            {
                "volume": row.target_volume,
                "number": row.target_number,
                "footnote": row.footnote.number if row.footnote_id else None,
                "target_footnote": row.target_footnote,
                "resolved": row.target_id in resolved,
                "url": row.target.get_absolute_url() if row.target_id in resolved else None,
            }
            for row in page.reference_rows
        ],
    }


@require_safe
def letter_detail(request, identifier: str, number: int):
    try:
        letter = queries.find_letter(identifier, request.user, number=number)
    except Http404:
        return JsonResponse({"error": "not found"}, status=404)
    page = queries.load_letter_page(letter, request.user, neighbours=False)
    return JsonResponse(letter_data(page), json_dumps_params={"ensure_ascii": False})
