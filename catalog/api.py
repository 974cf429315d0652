"""The read-only JSON API, built with django-ninja (which also describes it: ``/api/schema/`` is its
OpenAPI document, ``/api/docs/`` a browsable page).

- ``GET /api/letters/``: the published letters with the same parameters, filters and facets as
  ``/letters/`` (one FilterSet, ``catalog.queries.LetterFilter``), paginated:
  ``{"count", "next", "previous", "results", "facets"}``.
- ``GET /api/letters/<volume>/<number>/``: one letter as data. Letters that are not published are
  a 404 unless the request's user is staff.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema, Status
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from catalog import queries, workflow
from catalog.rendering import letter_citation

API_PAGE_SIZE = 50


class Renderer(JSONRenderer):
    """UTF-8 JSON (names and dashes as they are, not \\u escapes)."""

    def render(self, request, data, *, response_status):
        return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False)


api = NinjaAPI(
    title="Letterbook API",
    version="1",
    description="Published letters of the catalog: a list with facets and one letter in full.",
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs/",
    renderer=Renderer(),
)


class PersonOut(Schema):
    name: str
    slug: str
    name_as_written: str
    url: str


class SourceOut(Schema):
    repository: str
    collection: str
    box: str
    folder: str
    raw: str
    footnotes: list[int]


class ReferenceOut(Schema):
    volume: str
    number: int | None
    footnote: int | None
    target_footnote: int | None
    resolved: bool
    url: str | None


class FootnoteOut(Schema):
    number: int
    kind: str
    text: str
    anchor: int | None


class ErratumOut(Schema):
    date: str
    note: str


class LetterSummary(Schema):
    volume: str
    number: int
    xml_id: str
    title: str
    citation: str
    url: str
    doc_type: str
    date_min: str | None
    date_max: str | None
    date_precision: str
    place: str
    classification: str
    page_start: int | None
    page_end: int | None
    provisional: bool
    errata: list[ErratumOut]
    senders: list[PersonOut]
    recipients: list[PersonOut]
    mentioned: list[PersonOut]
    sources: list[SourceOut]
    references: list[ReferenceOut]


class SnippetOut(Schema):
    where: str
    html: str


class LetterListItem(LetterSummary):
    administration: str
    snippets: list[SnippetOut] = []


class LetterOut(LetterSummary):
    body_text: str
    footnotes: list[FootnoteOut]


class FacetValue(Schema):
    value: str
    label: str
    count: int


class LetterList(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[LetterListItem]
    facets: dict[str, list[FacetValue]]


class Error(Schema):
    error: str


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


def _summary(letter, people: dict, sources: list, references: list) -> dict:
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
        "senders": [_person(link) for link in people.get("sender", [])],
        "recipients": [_person(link) for link in people.get("recipient", [])],
        "mentioned": [_person(link) for link in people.get("mentioned", [])],
        "sources": sources,
        "references": references,
    }


def _source(entry) -> dict:
    return {
        "repository": entry.source.repository,
        "collection": entry.source.collection,
        "box": entry.source.box,
        "folder": entry.source.folder,
        "raw": entry.raw,
        "footnotes": entry.footnotes,
    }


def letter_data(page: queries.LetterPage) -> dict:
    letter = page.letter
    # Targets the requester may open (a draft target counts as unresolved for the public).
    resolved = {entry.target.pk for entry in page.references if entry.target is not None}
    references = [
        {
            "volume": row.target_volume,
            "number": row.target_number,
            "footnote": row.footnote.number if row.footnote_id else None,
            "target_footnote": row.target_footnote,
            "resolved": row.target_id in resolved,
            "url": row.target.get_absolute_url() if row.target_id in resolved else None,
        }
        for row in page.reference_rows
    ]
    data = _summary(letter, page.people, [_source(e) for e in page.sources], references)
    data["body_text"] = letter.body_text
    data["footnotes"] = [
        {"number": note.number, "kind": note.kind, "text": note.text, "anchor": note.anchor} for note in page.footnotes
    ]
    return data


def _list_item(entry: queries.ListEntry, snippets) -> dict:
    data = _summary(entry.letter, entry.people, [_source(e) for e in entry.sources], entry.references)
    data["administration"] = entry.letter.administration
    data["snippets"] = [{"where": s.where, "html": str(s.html)} for s in snippets]
    return data


def _page_url(request, number: int | None) -> str | None:
    if number is None:
        return None
    query = urlencode([*queries.state_params(request.GET), ("page", number)])
    return request.build_absolute_uri(f"{request.path}?{query}")


@api.get("/letters/", response=LetterList, url_name="letter-list", summary="Published letters, filtered")
def letter_list(
    request,
    q: Query[str | None] = None,
    scope: Query[str | None] = None,
    sort: Query[str | None] = None,
    volume: Query[list[str] | None] = None,
    administration: Query[list[str] | None] = None,
    year: Query[list[str] | None] = None,
    doc_type: Query[list[str] | None] = None,
    sender: Query[list[str] | None] = None,
    recipient: Query[list[str] | None] = None,
    person: Query[list[str] | None] = None,
    repository: Query[list[str] | None] = None,
    classification: Query[list[str] | None] = None,
    date_from: Query[str | None] = None,
    date_to: Query[str | None] = None,
    page: Query[str | None] = None,
):
    """The same parameters as the ``/letters/`` page (see ``catalog.queries.LetterFilter``); a
    facet's parameter repeated means OR, different facets AND. Invalid values are ignored."""
    results = queries.letter_results(request.GET, API_PAGE_SIZE, request.GET.get("page"))
    current = results["page"]
    entries = queries.list_entries(results["letters"])
    data = {
        "count": current.paginator.count,
        "next": _page_url(request, current.next_page_number() if current.has_next() else None),
        "previous": _page_url(request, current.previous_page_number() if current.has_previous() else None),
        "results": [_list_item(e, results["snippets"].get(e.letter.pk, [])) for e in entries],
        "facets": {
            name: [{"value": str(v["value"]), "label": str(v["label"]), "count": int(v["count"])} for v in values]
            for name, values in results["facets"].items()
        },
    }
    # Built in LetterList's shape and order already (tests/test_api.py checks it against the schema):
    # ninja's validation of some 16,000 values per page took a fifth of the request, and changed nothing.
    return api.create_response(request, data, status=200)


@api.get(
    "/letters/{slug:identifier}/{int:number}/",
    response={200: LetterOut, 404: Error},
    url_name="letter",
    summary="One letter in full",
)
def letter_detail(request, identifier: str, number: int):
    try:
        letter = queries.find_letter(identifier, request.user, number=number, page=True)
    except Http404:
        return Status(404, {"error": "not found"})
    page = queries.load_letter_page(letter, request.user, neighbours=False)
    return Status(200, letter_data(page))
