"""Public annotations on the public letter page: public ones only, for anonymous readers and for
logged-in readers who are not staff; the page stays free of inline scripts and styles."""

import re

import pytest

from catalog.annotating import AnnotationInput, create_annotation
from catalog.models import Letter, Person

PAGE = "/volumes/frus1969-76v33/d193/"

# A JSON-LD block is data, never executed: CSP does not apply to it, so it is no inline script.
JSONLD_EXEMPT = r'<script(?![^>]*\b(?:src=|type="application/ld\+json"))'


@pytest.fixture
def d193(import_seeds):
    return Letter.objects.select_related("volume").get(volume__identifier="frus1969-76v33", number=193)


@pytest.fixture
def annotated(d193, django_user_model):
    editor = django_user_model.objects.create_user("annotator", is_staff=True)

    def make(quote, **values):
        start = d193.body_text.index(quote)
        return create_annotation(d193, AnnotationInput(start=start, end=start + len(quote), **values), editor)

    chernenko = Person.objects.get(display_name="Chernenko")
    return [
        make("Foreign Minister Gromyko’s visit", body="September 1977 <b>not bold</b>", visibility="public"),
        make("Ambassador Dobrynin", body="INTERNAL: check this", tags=["secret-tag"]),
        make("Mr. President", motivation="identifying", person_id=chernenko.pk, body="Wrong!", visibility="public"),
    ]


def notes_section(html: str) -> str:
    match = re.search(r'<section class="annotations".*?</section>', html, re.S)
    return match.group(0) if match else ""


@pytest.mark.parametrize("reader", ["anonymous", "logged-in reader"])
def test_readers_see_public_annotations_only(client, django_user_model, annotated, reader):
    if reader != "anonymous":
        client.force_login(django_user_model.objects.create_user("reader"))
    html = client.get(PAGE).content.decode()
    section = notes_section(html)
    assert "Editors’ annotations" in section
    assert "September 1977 &lt;b&gt;not bold&lt;/b&gt;" in section  # plain text, escaped
    assert "<q>Foreign Minister Gromyko’s visit</q>" in section
    assert 'Refers to <a href="/people/chernenko/">Chernenko</a>.' in section
    assert "INTERNAL" not in html and "secret-tag" not in html and "Dobrynin</q>" not in html
    assert section.count('<li class="annotation ') == 2
    assert 'aria-labelledby="annotations-heading"' in section
    assert f'id="annotation-{annotated[0].pk}-note"' in section


def test_no_section_without_public_annotations(client, d193):
    assert "annotations-heading" not in client.get(PAGE).content.decode()


def test_the_include_has_no_inline_script_or_style(client, annotated):
    section = notes_section(client.get(PAGE).content.decode())
    html = client.get(PAGE).content.decode()
    assert re.findall(JSONLD_EXEMPT + r"[^>]*>", html) == []
    assert ' style="' not in section and "<style" not in html
    assert '<script src="/static/js/annotations-public.js" defer></script>' in html


def test_the_letter_page_costs_one_query_more(client, annotated, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        assert client.get(PAGE).status_code == 200
