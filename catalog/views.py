"""Public pages. Each view asks the query layer (``catalog.queries``, ``catalog.search``) for what
its page needs, then renders; nothing here queries the database itself.

Lists, counts and facets show published letters only, to everyone (see ``catalog.queries``); a
single letter's page also previews a draft for staff, marked as such.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from catalog import citing, queries, search
from catalog.annotating import public_annotations
from catalog.forms import ErrorReportForm
from catalog.rendering import letter_citation, volume_heading, volume_subtitle

LETTERS_PER_PAGE = 50
FACET_SHOWN = 8  # values shown before "show more"
REPORTS_PER_HOUR = 5  # error reports one address may send


@require_safe
def letter_list(request):
    """``/`` and ``/letters/``: published letters, filtered, faceted, searched."""
    results = queries.letter_results(request.GET, LETTERS_PER_PAGE, request.GET.get("page"))
    data = results["data"]
    rows = [
        {"letter": letter, "people": queries.split_people(letter), "snippets": results["snippets"].get(letter.pk, [])}
        for letter in results["letters"]
    ]
    params = queries.state_params(request.GET)
    facet_groups = []
    for name in queries.FACETS:
        values = results["facets"][name]
        selected = set(data.get(name) or [])
        facet_groups.append(
            {
                "name": name,
                "label": queries.FACET_LABELS[name],
                "values": [{**v, "selected": v["value"] in selected} for v in values],
                "shown": FACET_SHOWN,
                "any_selected": bool(selected),
                "decades": _decades(values) if name == "year" else [],
            }
        )
    return render(
        request,
        "catalog/letter_list.html",
        {
            **results,
            "rows": rows,
            "params": params,
            "facet_groups": facet_groups,
            "q": data.get("q") or "",
            "scope": data.get("scope") or "all",
            "sort": data.get("sort") or ("relevance" if search.parse(data.get("q") or "") else "date"),
            "has_query": bool(search.parse(data.get("q") or "")),
        },
    )


def _decades(years: list[dict]) -> list[dict]:
    decades: dict[str, dict] = {}
    for row in years:
        decade = f"{row['value'][:3]}0s"
        entry = decades.setdefault(decade, {"value": decade, "label": decade, "count": 0, "years": []})
        entry["count"] += row["count"]
        entry["years"].append(row)
    return list(decades.values())


@require_safe
def volume_list(request):
    volumes = queries.volume_index()
    rows = [{"volume": v, "heading": volume_heading(v), "subtitle": volume_subtitle(v)} for v in volumes]
    return render(request, "catalog/volume_list.html", {"rows": rows})


@require_safe
def volume_detail(request, identifier: str):
    data = queries.volume_page(identifier, request.GET.get("page", 1))
    volume = data.volume
    return render(
        request,
        "catalog/volume_detail.html",
        {
            "volume": volume,
            "volume_heading": volume_heading(volume),
            "volume_subtitle": volume_subtitle(volume),
            "groups": data.groups,
            "has_chapters": any(g.chapter for g in data.groups),
            "count": data.page.paginator.count,
            "page": data.page,
            "sources": queries.sources_consulted(volume),
            "cite": citing.volume_citable(volume, request),
        },
    )


@require_safe
def printed_page(request, identifier: str, page: int):
    volume, letters = queries.printed_page(identifier, page)
    if not letters:
        raise Http404("No published document on this page")
    return render(
        request,
        "catalog/printed_page.html",
        {"volume": volume, "volume_heading": volume_heading(volume), "page_number": page, "letters": letters},
    )


@require_safe
def administration_list(request):
    return render(request, "catalog/administration_list.html", {"rows": queries.administration_index()})


@require_safe
def letter_detail(request, identifier: str, number: int):
    try:
        letter = queries.find_letter(identifier, request.user, number=number, page=True)
    except Http404:
        # A document renumbered since: its old id ``d<number>`` may still be some letter's xml id.
        letter = queries.find_letter(identifier, request.user, xml_id=f"d{number}")
        return redirect(letter, permanent=True)
    return _render_letter(request, letter)


@require_safe
def letter_by_xml_id(request, identifier: str, xml_id: str):
    """Old addresses: ``/volumes/<identifier>/<xml_id>/`` redirects to the letter's page."""
    letter = queries.find_letter(identifier, request.user, xml_id=xml_id)
    return redirect(letter, permanent=True)


def _render_letter(request, letter):
    # No form and no CSRF token here: the page is the same for every reader and cached whole
    # (catalog/caching.py); the error report form has its own page (report_error).
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
            "reported": request.GET.get("reported") == "1",
            # annotations (issue 8): the public ones only; find_letter(page=True) knows whether there are any
            "annotations": public_annotations(letter) if getattr(letter, "has_public_annotations", True) else [],
            "cite": citing.letter_citable(
                letter, request, senders=[link.person for link in page.people.get("sender", [])]
            ),
            "hsg_url": f"https://history.state.gov/historicaldocuments/{letter.volume.identifier}/"
            f"{letter.xml_id or f'd{letter.number}'}",
        },
    )


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _render_report(request, letter, form, status=200):
    return render(request, "catalog/letter_report.html", {"letter": letter, "report_form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def report_error(request, identifier: str, number: int):
    """A reader's error report on a published letter: its form (GET), and the report (POST):
    CSRF-checked, a honeypot field, and at most REPORTS_PER_HOUR per address per hour (the cache
    counts)."""
    letter = queries.find_letter(identifier, None, number=number)  # published letters only
    if request.method != "POST":
        return _render_report(request, letter, ErrorReportForm())
    form = ErrorReportForm(request.POST)
    key = f"error-report:{_client_address(request)}"
    if cache.get(key, 0) >= REPORTS_PER_HOUR:
        form.add_error(None, "Too many reports from your address; please try again in an hour.")
        return _render_report(request, letter, form, status=429)
    if not form.is_valid():
        return _render_report(request, letter, form, status=400)
    cache.add(key, 0, 3600)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3600)
    if not form.is_spam():
        queries.save_error_report(letter, form.cleaned_data["message"], form.cleaned_data["email"])
    return HttpResponseRedirect(reverse("catalog:letter", args=[identifier, number]) + "?reported=1#report")


@require_safe
def people_list(request):
    query = search.normalise(request.GET.get("q", ""))[:100]
    people = queries.people_index(query)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {"results": [{"slug": p["slug"], "name": p["name"], "count": p["count"]} for p in people[:20]]}
        )
    return render(
        request,
        "catalog/people_list.html",
        {"people": people, "query": query, "truncated": len(people) >= queries.PEOPLE_INDEX_LIMIT},
    )


def _page_number(value) -> int:
    try:
        return max(1, min(int(str(value)[:6]), 100000))
    except ValueError:
        return 1


@require_safe
def person_detail(request, slug: str):
    pages = {role: _page_number(request.GET.get(f"{role}_page", 1)) for role in queries.ROLES}
    data = queries.person_page(slug, pages)
    sections = []
    for role, key, label in (
        ("sender", "sent", "Letters sent"),
        ("recipient", "received", "Letters received"),
        ("mentioned", "mentioned", "Mentioned in"),
    ):
        count = data.counts.get(role, 0)
        number = pages[role]
        last = max(1, -(-count // queries.PERSON_LETTERS_PER_PAGE))
        sections.append(
            {
                "key": key,
                "role": role,
                "label": label,
                "links": data.groups.get(role, []),
                "count": count,
                "page": min(number, last),
                "pages": last,
                "previous": min(number, last) - 1 if min(number, last) > 1 else None,
                "next": min(number, last) + 1 if min(number, last) < last else None,
            }
        )
    return render(
        request,
        "catalog/person_detail.html",
        {
            "person": data.person,
            "data": data,
            "sections": sections,
            "chart": queries.letters_per_year_chart(data.per_year),
        },
    )


@require_safe
def source_list(request):
    return render(request, "catalog/source_list.html", {"repositories": queries.repositories()})


@require_safe
def repository_detail(request):
    repository = search.normalise(request.GET.get("repository", ""))[:300]
    collection = request.GET.get("collection")
    if not repository:
        raise Http404("No repository")
    if collection is not None:
        collection = search.normalise(collection)[:500]
        groups = queries.collection_letters(repository, collection)
        return render(
            request,
            "catalog/collection_detail.html",
            {"repository": repository, "collection": collection, "groups": groups},
        )
    return render(
        request,
        "catalog/repository_detail.html",
        {"repository": repository, "collections": queries.repository_page(repository)},
    )
