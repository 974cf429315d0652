"""Annotations as W3C Web Annotations (JSON-LD), read by anyone, written by staff (plain Django views).

``GET  /api/letters/<volume>/<number>/annotations/``  an ``AnnotationCollection`` of the letter's
     annotations: the public ones of a published letter for everyone, all of them for staff;
``POST`` to the same address creates one (staff with ``catalog.add_annotation``);
``GET|PUT|PATCH|DELETE /api/annotations/<id>/``  one annotation (its stable ``id``); PUT and PATCH
     need ``catalog.change_annotation`` and the ``version`` the change is based on (409 when someone
     changed it since), DELETE ``catalog.delete_annotation``.

Writes use the session and its CSRF token (the admin's JavaScript sends ``X-CSRFToken``). A payload
is an annotation in the same form the API returns; besides the W3C body resources, ``person`` and
``target_letter`` may name a Person or Letter by id. Bad payloads get a 400 with the reason.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.http import Http404, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from catalog import queries
from catalog.annotating import (
    AnnotationError,
    AnnotationInput,
    StaleVersion,
    create_annotation,
    delete_annotation,
    letter_annotations,
    update_annotation,
)
from catalog.models import Annotation, Letter, Person

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
JSONLD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
TEXT_PURPOSES = {"commenting", "describing", "correcting", "editing", "replying", "assessing", "classifying"}


def _response(data, status=200):
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    if status < 400:
        response["Content-Type"] = JSONLD
    return response


def _error(message: str, status: int = 400):
    return JsonResponse({"error": message}, status=status)


def _iso(value):
    return timezone.localtime(value).isoformat() if value is not None else None


def _is_staff(user) -> bool:
    return user is not None and user.is_active and user.is_staff


# -- to JSON-LD -----------------------------------------------------------------------------------


def annotation_url(request, annotation: Annotation) -> str:
    return request.build_absolute_uri(reverse("annotations:annotation", args=[annotation.pk]))


def creator_name(annotation: Annotation, *, staff: bool) -> str:
    """The author's full name; their user name only for staff (logins are not published)."""
    author = annotation.author
    if author is None:
        return "Letterbook editors"
    return author.get_full_name() or (author.get_username() if staff else "Letterbook editor")


def annotation_data(request, annotation: Annotation, *, staff: bool, context: bool = False) -> dict:
    """One annotation in the W3C Web Annotation Data Model."""
    letter = annotation.letter
    body = [
        {
            "type": "TextualBody",
            "value": annotation.body,
            "format": "text/plain",
            "purpose": annotation.motivation
            if annotation.motivation in ("commenting", "correcting", "tagging")
            else "describing",
        }
    ]
    body += [{"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in annotation.tags]
    if annotation.person_id is not None:
        body.append(
            {
                "type": "SpecificResource",
                "purpose": "identifying",
                "source": request.build_absolute_uri(annotation.person.get_absolute_url()),
                "label": annotation.person.display_name,
            }
        )
    target_letter = annotation.target_letter
    if target_letter is not None and (staff or target_letter.is_published):
        body.append(
            {
                "type": "SpecificResource",
                "purpose": "linking",
                "source": request.build_absolute_uri(target_letter.get_absolute_url()),
                "label": f"{target_letter.volume.identifier} d{target_letter.number}",
            }
        )
    creator = {"type": "Person", "name": creator_name(annotation, staff=staff)}
    data = {
        "id": annotation_url(request, annotation),
        "type": "Annotation",
        "motivation": annotation.motivation,
        "created": _iso(annotation.created),
        "modified": _iso(annotation.modified),
        "creator": creator,
        "body": body,
        "target": {
            "source": request.build_absolute_uri(letter.get_absolute_url()),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": annotation.exact,
                    "prefix": annotation.prefix,
                    "suffix": annotation.suffix,
                },
                {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end},
            ],
        },
        # Letterbook's own terms (outside the W3C vocabulary; JSON-LD processors ignore them).
        "visibility": annotation.visibility,
        "anchoring": annotation.anchoring,
        "version": annotation.version,
    }
    if staff:
        data["person"] = annotation.person_id
        data["target_letter"] = annotation.target_letter_id
    if context:
        data = {"@context": CONTEXT, **data}
    return data


def collection_data(request, letter: Letter, annotations, *, staff: bool) -> dict:
    url = request.build_absolute_uri(reverse("annotations:collection", args=[letter.volume.identifier, letter.number]))
    items = [annotation_data(request, a, staff=staff) for a in annotations]
    return {
        "@context": CONTEXT,
        "id": url,
        "type": "AnnotationCollection",
        "label": f"Annotations of {letter.volume.identifier} d{letter.number}",
        "total": len(items),
        "first": {"id": f"{url}?page=0", "type": "AnnotationPage", "startIndex": 0, "items": items},
    }


# -- from JSON-LD ---------------------------------------------------------------------------------


def _resolve(url: str, view_name: str):
    """The keyword arguments of ``url`` if it is one of our ``view_name`` pages; else None."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.kwargs if match.view_name == view_name else None


def _int(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise AnnotationError(f"{name}: expected a whole number, found {value!r}")
    return int(value)


def parse_payload(payload, *, partial: bool) -> tuple[AnnotationInput, int | None]:
    """An API payload (an annotation as the API returns it) → what to write, and the version it is based on."""
    if not isinstance(payload, dict):
        raise AnnotationError("expected a JSON object (a W3C Web Annotation)")
    data = AnnotationInput()
    if "type" in payload and payload["type"] != "Annotation":
        raise AnnotationError(f'type: expected "Annotation", found {payload["type"]!r}')
    if "motivation" in payload:
        if not isinstance(payload["motivation"], str):
            raise AnnotationError("motivation: expected one word, e.g. commenting")
        data.motivation = payload["motivation"]
    elif not partial:
        raise AnnotationError("motivation: required (commenting, identifying, correcting, tagging or linking)")
    if "visibility" in payload:
        data.visibility = payload["visibility"]
        if not isinstance(data.visibility, str):
            raise AnnotationError("visibility: expected internal or public")
    if "body" in payload:
        _parse_body(payload["body"], data)
    elif not partial:
        data.body, data.tags = "", []
    if "tags" in payload:
        data.tags = payload["tags"]
    if "person" in payload:
        data.given.add("person")
        data.person_id = _int(payload["person"], "person")
    if "target_letter" in payload:
        data.given.add("target_letter")
        data.target_letter_id = _int(payload["target_letter"], "target_letter")
    if "target" in payload:
        _parse_target(payload["target"], data)
    elif not partial:
        raise AnnotationError("target: required, with a TextPositionSelector (start, end) over the letter's text")
    return data, _int(payload.get("version"), "version")


def _parse_body(body, data: AnnotationInput) -> None:
    items = body if isinstance(body, list) else [body]
    texts, tags = [], []
    data.given |= {"person", "target_letter"}  # a new body replaces the old one's resources
    for item in items:
        if isinstance(item, str):
            texts.append(item)
            continue
        if not isinstance(item, dict):
            raise AnnotationError("body: expected a TextualBody, a SpecificResource, or a list of them")
        kind, purpose = item.get("type"), item.get("purpose", "")
        if kind == "TextualBody":
            value = item.get("value", "")
            if not isinstance(value, str):
                raise AnnotationError("body: a TextualBody's value must be text")
            if item.get("format", "text/plain") != "text/plain":
                raise AnnotationError("body: only plain text (format text/plain) is accepted")
            if purpose == "tagging":
                tags.append(value)
            elif not purpose or purpose in TEXT_PURPOSES:
                texts.append(value)
            else:
                raise AnnotationError(f"body: a TextualBody with purpose {purpose!r} is not supported")
        elif kind == "SpecificResource" and purpose in ("identifying", "linking"):
            source = item.get("source")
            if not isinstance(source, str):
                raise AnnotationError(f"body: the {purpose} resource needs a source URL")
            if purpose == "identifying":
                kwargs = _resolve(source, "catalog:person")
                person = Person.objects.filter(slug=kwargs["slug"]).first() if kwargs else None
                if person is None:
                    raise AnnotationError(f"body: {source} is not the page of a person in the catalog")
                data.person_id = person.pk
            else:
                kwargs = _resolve(source, "catalog:letter")
                letter = (
                    Letter.objects.filter(volume__identifier=kwargs["identifier"], number=kwargs["number"]).first()
                    if kwargs
                    else None
                )
                if letter is None:
                    raise AnnotationError(f"body: {source} is not the page of a letter in the catalog")
                data.target_letter_id = letter.pk
        else:
            raise AnnotationError(f"body: unsupported body of type {kind!r} (purpose {purpose!r})")
    if len(texts) > 1:
        raise AnnotationError("body: at most one TextualBody with the note's text")
    data.body = texts[0] if texts else ""
    data.tags = tags


def _parse_target(target, data: AnnotationInput) -> None:
    if not isinstance(target, dict):
        raise AnnotationError("target: expected an object with a selector list")
    selectors = target.get("selector")
    if isinstance(selectors, dict):
        selectors = [selectors]
    if not isinstance(selectors, list) or not all(isinstance(s, dict) for s in selectors):
        raise AnnotationError("target.selector: expected a TextPositionSelector and a TextQuoteSelector")
    by_type = {s.get("type"): s for s in selectors}
    position = by_type.get("TextPositionSelector")
    if position is None:
        raise AnnotationError("target.selector: a TextPositionSelector (start, end) is required")
    data.start = _int(position.get("start"), "TextPositionSelector.start")
    data.end = _int(position.get("end"), "TextPositionSelector.end")
    if data.start is None or data.end is None:
        raise AnnotationError("target.selector: the TextPositionSelector needs start and end")
    quote = by_type.get("TextQuoteSelector")
    if quote is not None:
        if not isinstance(quote.get("exact"), str):
            raise AnnotationError("target.selector: the TextQuoteSelector needs its exact text")
        data.exact = quote["exact"]


def _read_json(request):
    if request.content_type not in ("application/json", "application/ld+json"):
        raise AnnotationError("send the annotation as JSON (Content-Type: application/ld+json or application/json)")
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AnnotationError(f"the payload is not valid JSON: {error}") from None


def _denied(request, action: str):
    """None if the user may ``action`` (add/change/delete) annotations, else the error response."""
    user = request.user
    if not user.is_authenticated:
        return _error("log in as an editor to change annotations", 403)
    if not (_is_staff(user) and user.has_perm(f"catalog.{action}_annotation")):
        return _error(f"you may not {action} annotations", 403)
    return None


# -- views ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def collection(request, identifier: str, number: int):
    try:
        letter = queries.find_letter(identifier, request.user, number=number)
    except Http404:
        return _error("not found", 404)
    staff = _is_staff(request.user)
    if request.method == "POST":
        if denied := _denied(request, "add"):
            return denied
        try:
            data, _ = parse_payload(_read_json(request), partial=False)
            annotation = create_annotation(letter, data, request.user)
        except AnnotationError as error:
            return _error(str(error))
        annotation = letter_annotations(letter, request.user).get(pk=annotation.pk)
        response = _response(annotation_data(request, annotation, staff=True, context=True), status=201)
        response["Location"] = annotation_url(request, annotation)
        return response
    data = collection_data(request, letter, letter_annotations(letter, request.user), staff=staff)
    if request.GET.get("page") == "0":  # the collection's one page, on its own
        data = {"@context": CONTEXT, **data["first"], "partOf": {"id": data["id"], "total": data["total"]}}
    return _response(data)


@require_http_methods(["GET", "HEAD", "PUT", "PATCH", "DELETE"])
def annotation_detail(request, pk: int):
    user = request.user
    annotation = letter_annotations(None, user).filter(pk=pk).first()
    if annotation is None:
        return _error("not found", 404)
    staff = _is_staff(user)
    if request.method in ("GET", "HEAD"):
        return _response(annotation_data(request, annotation, staff=staff, context=True))
    if request.method == "DELETE":
        if denied := _denied(request, "delete"):
            return denied
        version = request.GET.get("version")
        try:
            delete_annotation(annotation, user, _int(version, "version"))
        except StaleVersion as error:
            return _error(str(error), 409)
        except AnnotationError as error:
            return _error(str(error))
        return HttpResponse(status=204)
    if denied := _denied(request, "change"):
        return denied
    try:
        data, version = parse_payload(_read_json(request), partial=request.method == "PATCH")
        update_annotation(annotation, data, user, version)
    except StaleVersion as error:
        return _error(str(error), 409)
    except AnnotationError as error:
        return _error(str(error))
    annotation = Annotation.objects.select_related("letter__volume", "person", "author", "target_letter__volume").get(
        pk=pk
    )
    return _response(annotation_data(request, annotation, staff=True, context=True))
