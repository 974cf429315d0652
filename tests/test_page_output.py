"""The reader's pages and the JSON API byte for byte: the letter page, ``/letters/`` and
``/api/letters/`` as captured in ``tests/golden/`` before session 5 made them cheaper (fewer
statements, rows built without per-row template includes). A change to what a page shows must
regenerate them on purpose: ``UPDATE_GOLDEN=1 pytest tests/test_page_output.py``, and the diff reviewed.

Row ids (a person link's tooltip, an annotation) differ between databases and runs; they are
replaced by their order of appearance before comparing.
"""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.db import connection

from catalog.annotating import AnnotationInput, create_annotation
from catalog.models import Erratum, Letter, Person

GOLDEN = Path(__file__).resolve().parent / "golden"
V33, V04, QUEBEC = "frus1969-76v33", "frus1981-88v04", "frus1944Quebec"
LISTS = {
    "list": "/letters/",
    "list_person": "/letters/?person=gromyko",
    "list_two_values": "/letters/?year=1977&year=1978&doc_type=letter",
    "list_search": "/letters/?q=SALT&sort=relevance",
    "list_page2": "/letters/?page=2&sort=-date",
    "list_empty": "/letters/?q=SALT&volume=frus1944Quebec",
}
APIS = {
    "api_list": "/api/letters/",
    "api_list_filtered": "/api/letters/?person=gromyko&page=1",
    "api_list_search": "/api/letters/?q=SALT",
}
_IDS = re.compile(r"\b(pdesc-|annotation-mark-|annotation-|data-annotation=\")(\d+)")


def normalised(text: str) -> str:
    seen: dict[str, int] = {}

    def number(match):
        value = seen.setdefault(match.group(2), len(seen) + 1)
        return f"{match.group(1)}N{value}"

    return _IDS.sub(number, text)


def check(name: str, text: str, per_database: bool = False) -> None:
    """``per_database``: lists and facets order ties and count differently on SQLite and PostgreSQL
    (catalog.queries.facets, stored_facets): one golden output for each."""
    path = GOLDEN / (f"{connection.vendor}_{name}" if per_database else name)
    text = normalised(text)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden output {path.name}: run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from {path}"


@pytest.fixture
def catalog(import_catalog, django_user_model):
    """The 20 letters of the fixtures, with what a page may add: public and internal annotations
    (a person, a letter linked), a dated erratum, a provisional letter and a draft."""
    editor = django_user_model.objects.create_user("annotator", is_staff=True)
    d193 = Letter.objects.select_related("volume").get(volume__identifier=V33, number=193)
    d190 = Letter.objects.get(volume__identifier=V33, number=190)

    def annotate(quote, **values):
        start = d193.body_text.index(quote)
        create_annotation(d193, AnnotationInput(start=start, end=start + len(quote), **values), editor)

    annotate("Foreign Minister Gromyko’s visit", body="September 1977 <b>not bold</b>", visibility="public")
    annotate("Ambassador Dobrynin", body="INTERNAL: check this", tags=["secret-tag"])
    chernenko = Person.objects.get(display_name="Chernenko")
    annotate("Mr. President", motivation="identifying", person_id=chernenko.pk, body="Who", visibility="public")
    annotate("SALT", motivation="linking", target_letter_id=d190.pk, tags=["a", "b"], visibility="public")
    erratum = Erratum.objects.create(letter=d193, note="Date corrected <from> 1977")
    Erratum.objects.filter(pk=erratum.pk).update(created=datetime.datetime(2026, 3, 4, 15, tzinfo=datetime.UTC))
    Letter.objects.filter(volume__identifier=V33, number=191).update(provisional=True)
    Letter.objects.filter(volume__identifier=V33, number=198).update(status=Letter.Status.DRAFT)
    return Letter.objects.select_related("volume").order_by("volume__identifier", "number")


def test_letter_pages_are_unchanged(client, catalog):
    for letter in catalog:
        response = client.get(letter.get_absolute_url(), secure=True)
        if letter.status != Letter.Status.PUBLISHED:
            assert response.status_code == 404
            continue
        assert response.status_code == 200
        check(f"letter_{letter.volume.identifier}_{letter.number}.html", response.content.decode())


def test_letter_json_is_unchanged(client, catalog):
    for letter in catalog:
        response = client.get(f"/api/letters/{letter.volume.identifier}/{letter.number}/", secure=True)
        if letter.status != Letter.Status.PUBLISHED:
            assert response.status_code == 404
            continue
        check(f"api_letter_{letter.volume.identifier}_{letter.number}.json", response.content.decode())


def test_staff_previews_are_unchanged(staff_client, catalog):
    for number in (193, 197, 198):  # a published letter, one before a draft, a draft: seen by staff
        response = staff_client.get(f"/volumes/{V33}/d{number}/", secure=True)
        assert response.status_code == 200
        check(f"staff_letter_{V33}_{number}.html", response.content.decode())


@pytest.mark.parametrize("name", LISTS)
def test_list_pages_are_unchanged(client, catalog, name):
    response = client.get(LISTS[name], secure=True)
    assert response.status_code == 200
    check(f"{name}.html", response.content.decode(), per_database=True)


@pytest.mark.parametrize("name", APIS)
def test_list_api_is_unchanged(client, catalog, name):
    response = client.get(APIS[name], secure=True)
    assert response.status_code == 200
    check(f"{name}.json", response.content.decode(), per_database=True)
