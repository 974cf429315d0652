"""Annotations in the admin: the annotating page of a letter, the list with its filters (orphans
for the review queue), the change form through the service, and re-anchoring on an editor's save."""

import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from catalog.annotating import AnnotationInput, create_annotation
from catalog.models import Annotation, Letter, Revision
from tests.admin.conftest import read_form

QUOTE = "Foreign Minister Gromyko’s visit to Washington"


@pytest.fixture
def d193(import_seeds):
    return Letter.objects.select_related("volume").get(volume__identifier="frus1969-76v33", number=193)


@pytest.fixture
def annotation(d193, staff_client):
    start = d193.body_text.index(QUOTE)
    return create_annotation(
        d193, AnnotationInput(start=start, end=start + len(QUOTE), body="First note."), staff_client.user
    )


def annotate_url(letter):
    return f"/admin/catalog/annotation/letter/{letter.pk}/annotate/"


def test_the_annotating_page_shows_the_text_as_text(staff_client, d193):
    response = staff_client.get(annotate_url(d193))
    assert response.status_code == 200
    html = response.content.decode()
    text = re.search(r'<div class="annotate-text" id="annotate-text"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert text.startswith("Dear Mr. President:\n\nI was pleased to receive your letter of January 12.")
    assert "Foreign Minister Gromyko’s visit to Washington" in text
    assert 'data-api="/api/letters/frus1969-76v33/193/annotations/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<script src="/static/js/annotate.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/css/annotate.css">' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and ' style="' not in html.split('id="annotate"')[1]


def test_the_letters_admin_page_links_to_it(staff_client, d193, annotation):
    html = staff_client.get(reverse("admin:catalog_letter_change", args=[d193.pk])).content.decode()
    assert f'<a href="{annotate_url(d193)}">Annotate the text</a> (1 annotation)' in html


def test_the_annotating_page_needs_the_view_permission(django_user_model, d193):
    assert Client().get(annotate_url(d193)).status_code == 302  # to the login page
    user = django_user_model.objects.create_user("no-perms", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(annotate_url(d193)).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_annotation"))
    client.force_login(user)
    html = client.get(annotate_url(d193)).content.decode()
    assert 'data-can-add="0"' in html and 'data-can-delete="0"' in html


def test_the_list_filters_the_orphans_for_review(staff_client, annotation, d193):
    other = create_annotation(
        d193, AnnotationInput(start=0, end=4, body="Salutation.", visibility="public"), staff_client.user
    )
    Annotation.objects.filter(pk=annotation.pk).update(anchoring="orphaned")
    assert list(Annotation.objects.orphaned()) == [annotation]
    url = reverse("admin:catalog_annotation_changelist")
    response = staff_client.get(url, {"anchoring__exact": "orphaned"})
    assert [a.pk for a in response.context["cl"].result_list] == [annotation.pk]
    response = staff_client.get(url, {"visibility__exact": "public"})
    assert [a.pk for a in response.context["cl"].result_list] == [other.pk]
    response = staff_client.get(url, {"motivation__exact": "commenting"})
    assert len(response.context["cl"].result_list) == 2
    assert "Orphaned (passage not found)" in response.content.decode()


def test_the_change_form_writes_through_the_service(staff_client, annotation):
    url = reverse("admin:catalog_annotation_change", args=[annotation.pk])
    data = read_form(staff_client.get(url), "annotation_form")
    data["body"] = ["Second note."]
    data["visibility"] = ["public"]
    response = staff_client.post(url, data)
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert (annotation.body, annotation.visibility, annotation.version) == ("Second note.", "public", 2)
    assert Revision.objects.filter(comment=f"annotation {annotation.pk} changed").count() == 1
    # The same form again, opened at version 1: refused, nothing written.
    data["body"] = ["Stale note."]
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "This annotation was changed by someone else after you opened it." in response.content.decode()
    data = read_form(staff_client.get(url), "annotation_form")
    data["motivation"] = ["identifying"]
    response = staff_client.post(url, data)
    assert "An identifying annotation names the person the passage refers to." in response.content.decode()
    annotation.refresh_from_db()
    assert (annotation.body, annotation.version) == ("Second note.", 2)


def test_deleting_in_the_admin_goes_through_the_service(staff_client, annotation):
    url = reverse("admin:catalog_annotation_delete", args=[annotation.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not Annotation.objects.exists()
    assert Revision.objects.filter(comment=f"annotation {annotation.pk} deleted").count() == 1


def test_an_editors_correction_of_the_text_moves_the_annotation(staff_client, d193, annotation):
    url = reverse("admin:catalog_letter_change", args=[d193.pk])
    data = read_form(staff_client.get(url), "letter_form")
    body = json.loads(data["body"][0])
    body.insert(0, {"tag": "p", "children": ["Personal and confidential."]})
    data["body"] = [json.dumps(body)]
    data["_save"] = ["Save"]
    assert staff_client.post(url, data).status_code == 302
    annotation.refresh_from_db()
    offset = len("Personal and confidential.\n\n")
    assert (annotation.start, annotation.end, annotation.anchoring) == (598 + offset, 644 + offset, "moved")
    revision = Revision.objects.get(comment=f"annotation {annotation.pk} re-anchored (moved)")
    assert (revision.origin, revision.user) == ("editor", staff_client.user)


def test_the_person_and_letter_look_ups_use_the_admins_autocomplete(staff_client, d193):
    url = reverse("admin:autocomplete")
    params = {"app_label": "catalog", "model_name": "annotation", "field_name": "person", "term": "Chern"}
    results = staff_client.get(url, params).json()["results"]
    assert [r["text"] for r in results] == ["Chernenko"]
    params = {**params, "field_name": "target_letter", "term": "Reagan"}
    results = staff_client.get(url, params).json()["results"]
    assert [r["text"] for r in results] == [
        "frus1981-88v04 d328: Letter From President Reagan to Soviet General Secretary Chernenko"
    ]
