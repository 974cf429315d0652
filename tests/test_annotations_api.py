"""The annotations API: W3C Web Annotations (JSON-LD), public ones for everyone, all for staff,
written by staff with the right permissions through the session and its CSRF token."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from catalog.annotating import AnnotationInput, create_annotation
from catalog.models import Annotation, Letter, LetterPerson, Person

QUOTE = "Foreign Minister Gromyko’s visit to Washington"
COLLECTION = "/api/letters/frus1969-76v33/193/annotations/"
LETTER_URL = "http://testserver/volumes/frus1969-76v33/d193/"


@pytest.fixture
def d193(import_seeds):
    return Letter.objects.select_related("volume").get(volume__identifier="frus1969-76v33", number=193)


def make_user(django_user_model, name, *, staff=True, perms=("add", "change", "delete", "view")):
    user = django_user_model.objects.create_user(name, password="pw-for-tests", is_staff=staff, first_name="")
    user.user_permissions.set(
        Permission.objects.filter(codename__in=[f"{p}_annotation" for p in perms], content_type__app_label="catalog")
    )
    return user


def logged_in(user, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.fixture
def editor(django_user_model):
    return make_user(django_user_model, "annotator")


@pytest.fixture
def annotations(d193, editor):
    """A public and an internal annotation of d193."""
    start = d193.body_text.index(QUOTE)
    public = create_annotation(
        d193,
        AnnotationInput(start=start, end=start + len(QUOTE), body="He came in September 1977.", visibility="public"),
        editor,
    )
    start = d193.body_text.index("Ambassador Dobrynin")
    internal = create_annotation(
        d193,
        AnnotationInput(start=start, end=start + 19, body="Check the date.", tags=["to check"]),
        editor,
    )
    return public, internal


def payload(letter, quote=QUOTE, **extra):
    start = letter.body_text.index(quote)
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": [
            {"type": "TextualBody", "value": "A note.", "format": "text/plain"},
            {"type": "TextualBody", "value": "SALT", "purpose": "tagging"},
        ],
        "target": {
            "source": LETTER_URL,
            "selector": [
                {"type": "TextQuoteSelector", "exact": quote},
                {"type": "TextPositionSelector", "start": start, "end": start + len(quote)},
            ],
        },
        **extra,
    }


def send(client, method, url, data, **headers):
    body = data if isinstance(data, str) else json.dumps(data)
    return getattr(client, method)(url, body, content_type="application/ld+json", **headers)


def assert_web_annotation(item, *, letter_url=LETTER_URL):
    """The structure the W3C Web Annotation Data Model asks for (and the issue lists)."""
    assert item["type"] == "Annotation"
    assert item["id"].startswith("http://testserver/api/annotations/") and item["id"].endswith("/")
    assert item["motivation"] in {"commenting", "identifying", "correcting", "tagging", "linking"}
    assert isinstance(item["created"], str) and isinstance(item["modified"], str)
    assert item["creator"]["type"] == "Person" and item["creator"]["name"]
    bodies = item["body"]
    assert [b["type"] for b in bodies].count("TextualBody") >= 1
    assert bodies[0]["format"] == "text/plain"
    target = item["target"]
    assert target["source"] == letter_url
    selectors = {s["type"]: s for s in target["selector"]}
    assert set(selectors) == {"TextQuoteSelector", "TextPositionSelector"}
    assert set(selectors["TextQuoteSelector"]) == {"type", "exact", "prefix", "suffix"}
    assert set(selectors["TextPositionSelector"]) == {"type", "start", "end"}
    assert isinstance(selectors["TextPositionSelector"]["start"], int)


def test_anonymous_readers_get_a_collection_of_the_public_annotations(
    client, annotations, django_assert_max_num_queries
):
    public, _ = annotations
    with django_assert_max_num_queries(3):
        response = client.get(COLLECTION)
    assert response.status_code == 200
    assert response["Content-Type"] == 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    data = response.json()
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "AnnotationCollection"
    assert data["id"] == "http://testserver" + COLLECTION
    assert data["total"] == 1
    assert data["first"]["type"] == "AnnotationPage"
    [item] = data["first"]["items"]
    assert_web_annotation(item)
    assert item["id"] == f"http://testserver/api/annotations/{public.pk}/"
    assert item["body"] == [
        {"type": "TextualBody", "value": "He came in September 1977.", "format": "text/plain", "purpose": "commenting"}
    ]
    assert item["target"]["selector"] == [
        {
            "type": "TextQuoteSelector",
            "exact": QUOTE,
            "prefix": "egations have moved forward—and ",
            "suffix": " was particularly helpful in ove",
        },
        {"type": "TextPositionSelector", "start": 598, "end": 644},
    ]
    assert item["creator"] == {"type": "Person", "name": "Letterbook editor"}  # no login names in public
    assert (item["visibility"], item["anchoring"], item["version"]) == ("public", "anchored", 1)
    assert "person" not in item


def test_the_collections_page_is_its_own_document(client, annotations):
    data = client.get(COLLECTION + "?page=0").json()
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert (data["type"], data["id"], data["startIndex"]) == (
        "AnnotationPage",
        f"http://testserver{COLLECTION}?page=0",
        0,
    )
    assert data["partOf"] == {"id": "http://testserver" + COLLECTION, "total": 1}
    assert len(data["items"]) == 1


def test_a_logged_in_reader_who_is_not_staff_sees_no_internal_annotation(django_user_model, annotations):
    reader = make_user(django_user_model, "reader", staff=False)
    client = logged_in(reader)
    data = client.get(COLLECTION).json()
    assert [i["body"][0]["value"] for i in data["first"]["items"]] == ["He came in September 1977."]
    _, internal = annotations
    assert client.get(f"/api/annotations/{internal.pk}/").status_code == 404


def test_staff_get_every_annotation(editor, annotations):
    data = logged_in(editor).get(COLLECTION).json()
    assert data["total"] == 2
    items = data["first"]["items"]
    for item in items:
        assert_web_annotation(item)
    assert [i["visibility"] for i in items] == ["public", "internal"]
    assert items[1]["body"][1:] == [{"type": "TextualBody", "value": "to check", "purpose": "tagging"}]
    assert items[1]["creator"] == {"type": "Person", "name": "annotator"}


def test_a_single_annotation_is_its_own_json_ld_document(client, annotations):
    public, _ = annotations
    data = client.get(f"/api/annotations/{public.pk}/").json()
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert_web_annotation(data)


def test_nothing_of_an_unpublished_letter_is_public(client, d193, annotations):
    Letter.objects.filter(pk=d193.pk).update(status=Letter.Status.DRAFT)
    assert client.get(COLLECTION).status_code == 404
    assert client.get(f"/api/annotations/{annotations[0].pk}/").status_code == 404


def test_staff_create_with_the_session_and_its_csrf_token(editor, d193):
    client = logged_in(editor, csrf=True)
    assert send(client, "post", COLLECTION, payload(d193)).status_code == 403  # no token
    client.get(f"/admin/catalog/annotation/letter/{d193.pk}/annotate/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = send(client, "post", COLLECTION, payload(d193), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    data = response.json()
    assert_web_annotation(data)
    annotation = Annotation.objects.get()
    assert response["Location"] == data["id"] == f"http://testserver/api/annotations/{annotation.pk}/"
    assert (annotation.body, annotation.tags, annotation.author, annotation.visibility) == (
        "A note.",
        ["SALT"],
        editor,
        "internal",
    )


def test_an_identifying_annotation_by_person_page_url(editor, d193):
    chernenko = Person.objects.get(display_name="Chernenko")
    data = payload(d193, "Mr. President", motivation="identifying")
    data["body"].append(
        {"type": "SpecificResource", "purpose": "identifying", "source": f"http://testserver/people/{chernenko.slug}/"}
    )
    response = send(logged_in(editor), "post", COLLECTION, data)
    assert response.status_code == 201, response.content
    assert response.json()["body"][-1] == {
        "type": "SpecificResource",
        "purpose": "identifying",
        "source": f"http://testserver/people/{chernenko.slug}/",
        "label": "Chernenko",
    }
    assert LetterPerson.objects.get(letter=d193, person=chernenko).name_as_written == "Mr. President"


def test_a_linking_annotation_by_letter_id(editor, d193):
    d328 = Letter.objects.get(number=328)
    response = send(logged_in(editor), "post", COLLECTION, payload(d193, motivation="linking", target_letter=d328.pk))
    assert response.status_code == 201, response.content
    assert response.json()["body"][-1] == {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": "http://testserver/volumes/frus1981-88v04/d328/",
        "label": "frus1981-88v04 d328",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "the payload is not valid JSON"),
        ("[]", "expected a JSON object (a W3C Web Annotation)"),
        ({"type": "Annotation", "motivation": "commenting"}, "target: required"),
        ({"type": "Note"}, 'type: expected "Annotation"'),
        ("motivation=liking", "motivation: expected one of"),
        ("start=-3", "TextPositionSelector.start: expected a whole number, found '-3'"),
        ("exact=Brezhnev", "the TextQuoteSelector's exact text is not the letter's text at 598–644"),
        ("body=html", "body: only plain text (format text/plain) is accepted"),
        ("person=someone", "body: http://testserver/people/nobody/ is not the page of a person in the catalog"),
    ],
)
def test_bad_payloads_get_400_with_a_reason(editor, d193, data, message):
    if isinstance(data, str) and "=" in data and not data.startswith("{"):
        kind, value = data.split("=")
        data = payload(d193)
        if kind == "motivation":
            data["motivation"] = "liking"
        elif kind == "start":
            data["target"]["selector"][1]["start"] = "-3"
        elif kind == "exact":
            data["target"]["selector"][0]["exact"] = "Brezhnev"
        elif kind == "body":
            data["body"][0]["format"] = "text/html"
        else:
            data["body"].append(
                {"type": "SpecificResource", "purpose": "identifying", "source": "http://testserver/people/nobody/"}
            )
    response = send(logged_in(editor), "post", COLLECTION, data)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Annotation.objects.exists()


def test_a_form_post_is_refused(editor, d193):
    response = logged_in(editor).post(COLLECTION, {"motivation": "commenting"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("send the annotation as JSON")


def test_update_needs_the_current_version(editor, annotations):
    public, _ = annotations
    url = f"/api/annotations/{public.pk}/"
    client = logged_in(editor)
    response = send(client, "patch", url, {"visibility": "internal"})
    assert response.status_code == 400
    assert "version: the version the change is based on is required" in response.json()["error"]
    response = send(client, "patch", url, {"visibility": "internal", "version": 1})
    assert response.status_code == 200
    assert (response.json()["visibility"], response.json()["version"]) == ("internal", 2)
    response = send(client, "patch", url, {"body": "Overwrite", "version": 1})
    assert response.status_code == 409
    assert "now at version 2" in response.json()["error"]
    public.refresh_from_db()
    assert (public.body, public.visibility, public.version) == ("He came in September 1977.", "internal", 2)


def test_put_replaces_the_annotation(editor, d193, annotations):
    public, _ = annotations
    data = payload(d193, "Ambassador Dobrynin", version=1, visibility="public")
    response = send(logged_in(editor), "put", f"/api/annotations/{public.pk}/", data)
    assert response.status_code == 200, response.content
    public.refresh_from_db()
    assert (public.exact, public.body, public.tags, public.version) == ("Ambassador Dobrynin", "A note.", ["SALT"], 2)


def test_delete(editor, annotations):
    public, _ = annotations
    client = logged_in(editor)
    assert client.delete(f"/api/annotations/{public.pk}/?version=7").status_code == 409
    assert client.delete(f"/api/annotations/{public.pk}/?version=1").status_code == 204
    assert not Annotation.objects.filter(pk=public.pk).exists()


@pytest.mark.parametrize(
    ("who", "perms"),
    [("anonymous", ()), ("reader", ("add", "change", "delete")), ("staff-without-perms", ("view",))],
)
def test_forged_writes_are_refused(django_user_model, d193, annotations, who, perms):
    public, _ = annotations
    if who == "anonymous":
        client = Client()
    else:
        client = logged_in(make_user(django_user_model, who, staff=who != "reader", perms=perms))
    url = f"/api/annotations/{public.pk}/"
    assert send(client, "post", COLLECTION, payload(d193)).status_code == 403
    assert send(client, "patch", url, {"body": "forged", "version": 1}).status_code == 403
    assert client.delete(url + "?version=1").status_code == 403
    assert Annotation.objects.count() == 2
    public.refresh_from_db()
    assert (public.body, public.version) == ("He came in September 1977.", 1)


def test_each_permission_is_checked_on_its_own(django_user_model, d193, annotations):
    public, _ = annotations
    adder = logged_in(make_user(django_user_model, "adder", perms=("add",)))
    assert send(adder, "post", COLLECTION, payload(d193)).status_code == 201
    assert send(adder, "patch", f"/api/annotations/{public.pk}/", {"body": "x", "version": 1}).status_code == 403
    assert adder.delete(f"/api/annotations/{public.pk}/").status_code == 403
