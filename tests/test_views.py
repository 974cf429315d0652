"""Public pages against the two seed letters (imported published by ``import_seeds``).

Expected values come from the fixture files and the text parser's rules: the heading's trailing
marker "1" is the source note; "[Page 808]" inside "pur [Page 808] pose" begins page 808, so d193
runs 807–808; d328 has a "[Page 1171]" line and "environ[Page 1172]ment", so it runs 1170–1172 and
has footnotes 1–7; its footnotes 2–5 cite Documents 315, 310, 308 and 286–288 of the same volume.
"""

import datetime
import re
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog import person_letters, views
from catalog.ingest.citations import with_ref_targets
from catalog.models import Footnote, Letter, LetterPerson, Person, Volume

V33, V04 = "frus1969-76v33", "frus1981-88v04"
D193 = f"/volumes/{V33}/d193/"
D328 = f"/volumes/{V04}/d328/"
CARTER_TITLE = "Letter From President Carter to Soviet General Secretary Brezhnev"
REAGAN_TITLE = "Letter From President Reagan to Soviet General Secretary Chernenko"

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds(import_seeds):
    return {
        193: Letter.objects.get(volume__identifier=V33, number=193),
        328: Letter.objects.get(volume__identifier=V04, number=328),
    }


def text_of(response) -> str:
    return response.content.decode()


def set_draft(letter):
    letter.status = Letter.Status.DRAFT
    letter.save(update_fields=["status"])


# -- the list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/letters/"])
def test_list_shows_both_seed_letters(client, seeds, url):
    response = client.get(url)
    assert response.status_code == 200
    html = text_of(response)
    assert CARTER_TITLE in html
    assert REAGAN_TITLE in html
    assert "President Carter → Soviet General Secretary Brezhnev" in html
    assert "President Reagan → Soviet General Secretary Chernenko" in html
    assert f"{V33}</a>, Document 193" in html
    assert f"{V04}</a>, Document 328" in html
    assert 'href="/volumes/frus1969-76v33/d193/"' in html
    assert "Undated" in html  # the text exports carry no dates


def test_list_orders_by_date_then_volume_and_number(client, seeds):
    html = text_of(client.get("/letters/"))
    # Both undated: volume identifier decides.
    assert html.index(CARTER_TITLE) < html.index(REAGAN_TITLE)
    seeds[193].date_min = datetime.datetime(1978, 1, 25, tzinfo=ZoneInfo("America/New_York"))
    seeds[193].date_precision = "day"
    seeds[193].save()
    seeds[328].date_min = datetime.datetime(1977, 1, 1, tzinfo=ZoneInfo("America/New_York"))
    seeds[328].date_precision = "year"
    seeds[328].save()
    html = text_of(client.get("/letters/"))
    assert html.index(REAGAN_TITLE) < html.index(CARTER_TITLE)
    assert "January 25, 1978" in html


def test_list_paginates(client, seeds, monkeypatch):
    monkeypatch.setattr(views, "LETTERS_PER_PAGE", 1)
    first = text_of(client.get("/letters/"))
    assert CARTER_TITLE in first and REAGAN_TITLE not in first
    assert "Page 1 of 2" in first
    assert 'href="?page=2"' in first
    second = text_of(client.get("/letters/?page=2"))
    assert REAGAN_TITLE in second and CARTER_TITLE not in second
    assert 'href="?page=1"' in second
    # Out of range falls back to the last page rather than failing.
    assert REAGAN_TITLE in text_of(client.get("/letters/?page=99"))


def test_list_paginates_at_fifty(client, seeds):
    volume = Volume.objects.get(identifier=V04)
    Letter.objects.bulk_create(
        Letter(volume=volume, number=n, title=f"Extra document {n}", status=Letter.Status.PUBLISHED)
        for n in range(1, 61)
    )
    response = client.get("/letters/")
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.count == 62
    assert len(client.get("/letters/?page=2").context["rows"]) == 12


def test_pagination_links_keep_the_filters(client, seeds, monkeypatch):
    monkeypatch.setattr(views, "LETTERS_PER_PAGE", 1)
    html = text_of(client.get("/letters/?doc_type=letter"))
    assert 'href="?doc_type=letter&amp;page=2"' in html


# -- filters and search -------------------------------------------------------------------------


def titles(client, query):
    response = client.get("/letters/" + query)
    assert response.status_code == 200
    return {row["letter"].title for row in response.context["rows"]}


def test_filter_by_volume(client, seeds):
    assert titles(client, f"?volume={V33}") == {CARTER_TITLE}
    assert titles(client, f"?volume={V04}") == {REAGAN_TITLE}
    assert titles(client, "?volume=frus1861") == set()


def test_filter_by_document_type(client, seeds):
    assert titles(client, "?doc_type=letter") == {CARTER_TITLE, REAGAN_TITLE}
    assert titles(client, "?doc_type=telegram") == set()


def test_filter_by_person(client, seeds):
    assert titles(client, "?person=gromyko") == {CARTER_TITLE, REAGAN_TITLE}  # mentioned in both
    assert titles(client, "?person=dobrynin") == {CARTER_TITLE}
    assert titles(client, "?person=george-shultz") == {REAGAN_TITLE}
    assert titles(client, "?person=nobody") == set()


def test_filter_by_repository(client, seeds):
    assert titles(client, "?repository=Carter Library") == {CARTER_TITLE}
    assert titles(client, "?repository=reagan library") == {REAGAN_TITLE}


def test_filter_by_year_range(client, seeds):
    washington = ZoneInfo("America/New_York")
    seeds[193].date_min = datetime.datetime(1978, 1, 25, tzinfo=washington)
    seeds[193].date_precision = "day"
    seeds[193].save()
    seeds[328].date_min = datetime.datetime(1984, 12, 1, tzinfo=washington)
    seeds[328].date_precision = "month"
    seeds[328].save()
    assert titles(client, "?year_from=1978&year_to=1978") == {CARTER_TITLE}
    assert titles(client, "?year_from=1980") == {REAGAN_TITLE}
    assert titles(client, "?year_to=1977") == set()
    # An invalid year is ignored, not an error.
    assert titles(client, "?year_from=abc") == {CARTER_TITLE, REAGAN_TITLE}


def test_search_title_and_body_text(client, seeds):
    # "purpose" is split by the page break in the printed text ("pur [Page 808] pose").
    assert titles(client, "?q=purpose") == {CARTER_TITLE}
    assert titles(client, "?q=Chernenko") == {REAGAN_TITLE}
    assert titles(client, "?q=gromyko") == {CARTER_TITLE, REAGAN_TITLE}
    assert titles(client, "?q=Gromyko Dobrynin") == {CARTER_TITLE}
    assert titles(client, "?q=Page 808") == set()  # page markers are not text
    assert titles(client, "?q=zzzz") == set()


def test_filters_combine(client, seeds):
    assert titles(client, f"?person=gromyko&volume={V04}") == {REAGAN_TITLE}
    assert titles(client, "?q=Geneva&repository=Carter Library") == set()


def test_facets_count_the_filtered_letters(client, seeds):
    response = client.get("/letters/")
    facets = response.context["facets"]
    assert facets["volume"] == [
        {"value": V33, "label": "FRUS, 1969–1976, Volume XXXIII", "count": 1},
        {"value": V04, "label": "FRUS, 1981–1988, Volume IV", "count": 1},
    ]
    assert facets["doc_type"] == [{"value": "letter", "label": "Letter", "count": 2}]
    assert {row["value"]: row["count"] for row in facets["repository"]} == {"Carter Library": 1, "Reagan Library": 1}
    facets = client.get("/letters/?q=Geneva").context["facets"]
    assert facets["volume"] == [{"value": V04, "label": "FRUS, 1981–1988, Volume IV", "count": 1}]


def test_header_search_box_targets_the_list(client, seeds):
    html = text_of(client.get(D193))
    assert re.search(r'<form[^>]*action="/letters/"[^>]*method="get"', html)
    assert 'name="q"' in html


# -- drafts ---------------------------------------------------------------------------------------


def test_draft_letter_is_hidden_from_the_public(client, seeds):
    set_draft(seeds[193])
    assert client.get(D193).status_code == 404
    html = text_of(client.get("/letters/"))
    assert CARTER_TITLE not in html
    assert REAGAN_TITLE in html
    assert "d193" not in text_of(client.get(f"/volumes/{V33}/"))
    assert titles(client, "?q=purpose") == set()


def test_staff_preview_a_draft_but_lists_stay_public(staff_client, seeds):
    """Staff open a draft's page (marked "not published"); lists, counts, facets, people and volumes
    show only what is published, to staff too: a public page never depends on who looks."""
    set_draft(seeds[193])
    response = staff_client.get(D193)
    assert response.status_code == 200
    assert "not published" in text_of(response)
    assert "Report an error" not in text_of(response)  # nothing to report on a draft
    response = staff_client.get("/letters/")
    assert CARTER_TITLE not in text_of(response)
    assert response.context["page"].paginator.count == 1
    assert [row["value"] for row in response.context["facets"]["volume"]] == [V04]
    assert staff_client.get(f"/volumes/{V33}/").status_code == 404
    assert staff_client.get("/people/dobrynin/").status_code == 404


def test_person_page_hides_draft_letters(client, seeds):
    set_draft(seeds[193])
    html = text_of(client.get("/people/gromyko/"))
    assert REAGAN_TITLE in html
    assert CARTER_TITLE not in html
    # Dobrynin is named only in the draft: nothing public to show.
    assert client.get("/people/dobrynin/").status_code == 404


# -- a volume -------------------------------------------------------------------------------------


def test_volume_page_lists_its_letters(client, seeds):
    response = client.get(f"/volumes/{V33}/")
    assert response.status_code == 200
    html = text_of(response)
    assert "FRUS, 1969–1976, Volume XXXIII" in html
    assert 'href="/volumes/frus1969-76v33/d193/"' in html
    assert 'id="d193"' in html
    assert CARTER_TITLE in html
    assert REAGAN_TITLE not in html


def test_volume_page_shows_front_matter_and_groups_by_chapter(client, seeds):
    volume = Volume.objects.get(identifier=V33)
    volume.title = "SALT II, 1972–1980"
    volume.series = "Foreign Relations of the United States"
    volume.editors = [{"name": "Erin R. Mahan", "role": "primary"}]
    volume.year_published = 2013
    volume.save()
    chapter = volume.chapters.create(xml_id="comp1", title="SALT II, 1977–1980", order=1)
    seeds[193].chapter = chapter
    seeds[193].save()
    Letter.objects.create(volume=volume, number=300, title="Loose document", status=Letter.Status.PUBLISHED)
    html = text_of(client.get(f"/volumes/{V33}/"))
    assert "SALT II, 1972–1980" in html
    assert "Erin R. Mahan" in html
    assert "2013" in html
    assert html.index("SALT II, 1977–1980</h2>") < html.index(CARTER_TITLE) < html.index("Other documents")
    assert html.index("Other documents") < html.index("Loose document")


def test_unknown_volume_is_404(client, seeds):
    assert client.get("/volumes/frus1861/").status_code == 404


# -- a letter -------------------------------------------------------------------------------------


def test_letter_page_d193(client, seeds):
    response = client.get(D193)
    assert response.status_code == 200
    html = text_of(response)
    assert f"{CARTER_TITLE}<sup>" in html  # the heading carries the source note's marker
    assert "FRUS, 1969–1976, Volume XXXIII, Document 193" in html
    assert "<dd>Undated</dd>" in html
    assert "<dd>No classification marking</dd>" in html
    assert '<dd><a href="/volumes/frus1969-76v33/pg_807/">807–808</a></dd>' in html
    assert "<dd>Letter</dd>" in html
    # The page break inside "purpose", with its anchor.
    assert 'pur<span class="pb" id="pg_808">[Page 808]</span>pose' in html
    # Footnote 2's marker after "January 12." and the note it points to, with the way back.
    assert 'January 12.<sup><a href="#fn2" id="fnref2">2</a></sup>' in html
    assert 'id="fnref2"' in html and 'href="#fn2"' in html
    assert 'id="fn2"' in html and 'href="#fnref2"' in html
    # Footnote 1: the source note, first.
    assert html.index('id="fn1"') < html.index('id="fn2"')
    fn1 = html[html.index('id="fn1"') : html.index('id="fn2"')]
    assert "Source: Carter Library, National Security Affairs, Staff Material, Office, Box 69" in fn1
    assert 'href="#fnref1"' in fn1


def test_letter_page_d193_archival_source(client, seeds):
    html = text_of(client.get(D193))
    sources = html[html.index("Archival sources") : html.index("Cross-references")]
    assert ">Carter Library</a>" in sources
    assert '<span class="collection">National Security Affairs, Staff Material, Office</span>' in sources
    assert '<span class="box">Box 69</span>' in sources
    assert '<span class="folder">USSR: Brezhnev-Carter Correspondence: 1–12/78</span>' in sources
    assert sources.count('class="source"') == 1  # cited twice (footnotes 1 and 2), listed once


def test_letter_page_d193_people(client, seeds):
    html = text_of(client.get(D193))
    people = html[html.index("<h3>People</h3>") : html.index("Archival sources")]
    # The signature "Jimmy Carter" completes the heading's "President Carter".
    assert '<dt>From</dt><dd><span class="person-link"><a href="/people/jimmy-carter/">Jimmy Carter</a>' in people
    assert '<dt>To</dt><dd><span class="person-link"><a href="/people/brezhnev/">Brezhnev</a>' in people
    assert '<a href="/people/gromyko/">Gromyko</a>' in people
    assert '<a href="/people/dobrynin/">Dobrynin</a>' in people
    assert "“Foreign Minister Gromyko”" in people


def test_letter_page_d193_volume_reference_not_in_catalog(client, seeds):
    html = text_of(client.get(D193))
    refs = html[html.index("Cross-references") :]
    assert "Foreign Relations, 1977–1980, Vol. VI (frus1977-80v06)" in refs
    assert "not yet in the catalog" in refs


def test_letter_page_d328(client, seeds):
    response = client.get(D328)
    assert response.status_code == 200
    html = text_of(response)
    assert '<span class="pb" id="pg_1171">[Page 1171]</span>' in html
    assert (
        'environ<span class="pb" id="pg_1172">[Page 1172]</span>ment.<sup><a href="#fn7" id="fnref7">7</a></sup>'
        in html
    )
    assert '<dd><a href="/volumes/frus1981-88v04/pg_1170/">1170–1172</a></dd>' in html
    assert "<dd>Secret</dd>" in html
    assert "FRUS, 1981–1988, Volume IV, Document 328" in html
    for n in range(1, 8):
        assert f'id="fn{n}"' in html
    assert html.count('class="footnote footnote-') == 7
    assert 'id="fn8"' not in html
    assert 'November 15<sup><a href="#fn4" id="fnref4">4</a></sup>' in html


def test_letter_page_d328_cross_references_not_yet_in_catalog(client, seeds):
    html = text_of(client.get(D328))
    refs = html[html.index("<h3>Cross-references</h3>") : html.index("<h3>Cite</h3>")]
    for number in (315, 310, 308, 286, 287, 288):
        assert f"Document {number}" in refs
    assert "Document 315, footnote 5" in refs
    assert refs.count("not yet in the catalog") == 6
    assert '<a href="/volumes/' not in refs


def test_resolved_cross_reference_links_to_the_target(client, seeds):
    volume = Volume.objects.get(identifier=V04)
    target = Letter.objects.create(
        volume=volume, number=310, title="Letter From Chernenko to Reagan", status=Letter.Status.PUBLISHED
    )
    seeds[328].references.filter(target_number=310).update(target=target)
    html = text_of(client.get(D328))
    refs = html[html.index("<h3>Cross-references</h3>") : html.index("<h3>Cite</h3>")]
    assert '<a href="/volumes/frus1981-88v04/d310/">Document 310</a>: Letter From Chernenko to Reagan' in refs
    assert refs.count("not yet in the catalog") == 5
    # A draft target is not linked for the public.
    set_draft(target)
    assert text_of(client.get(D328)).count("not yet in the catalog") == 6


def test_letter_old_address_by_xml_id(client, seeds):
    seeds[193].xml_id = "d191"  # as if renumbered from 191 to 193 in a later release
    seeds[193].save()
    response = client.get(f"/volumes/{V33}/d191/")
    assert response.status_code == 301
    assert response["Location"] == D193
    seeds[193].xml_id = "ch3-d12"
    seeds[193].save()
    response = client.get(f"/volumes/{V33}/ch3-d12/", follow=True)
    assert response.redirect_chain == [(D193, 301)]
    assert CARTER_TITLE in text_of(response)
    assert client.get(f"/volumes/{V33}/d999/").status_code == 404
    assert client.get(f"/volumes/{V33}/nothing/").status_code == 404


def test_letter_page_numbers_unnumbered_source_note_without_a_number(client, seeds):
    letter = seeds[328]
    letter.footnotes.filter(number=1).update(number=0)
    html = text_of(client.get(D328))
    note = html[html.index('id="fn0"') : html.index('id="fn2"')]
    assert "Source: Reagan Library" in note
    assert "fn-number" not in note
    assert "fnref0" not in html


def test_hostile_content_is_escaped_on_pages(client, seeds):
    letter = seeds[193]
    letter.title = "<script>alert('title')</script>"
    letter.body = [{"tag": "p", "children": ["<script>alert(1)</script>"]}]
    letter.save()
    letter.footnotes.filter(number=2).update(text="<img src=x onerror=alert(2)>", content=[])
    letter.footnotes.filter(number=1).update(content=["<b>bold</b>", {"tag": "i", "children": ["<i>x</i>"]}])
    for url in (D193, "/letters/", f"/volumes/{V33}/", "/people/gromyko/"):
        html = text_of(client.get(url))
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(" in html, url
    html = text_of(client.get(D193))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;<em>&lt;i&gt;x&lt;/i&gt;</em>" in html


def test_letter_page_renders_tei_style_markup(client, seeds):
    """A body with person, term and ref nodes: people and terms resolve through the volume's lists."""
    letter = seeds[193]
    volume = letter.volume
    volume.terms.create(xml_id="t_SALT_1", term="SALT", expansion="Strategic Arms Limitation Talks")
    carter = Person.objects.get(slug="jimmy-carter")
    carter.identifiers.create(volume=volume, local_id="p_CJ_2")
    Letter.objects.create(volume=volume, number=192, title="Earlier letter", status=Letter.Status.PUBLISHED)
    letter.body = [
        {
            "tag": "p",
            "children": [
                {"tag": "person", "ref": "#p_CJ_2", "children": ["Carter"]},
                " on ",
                {"tag": "term", "ref": "#t_SALT_1", "children": ["SALT"]},
                "; see ",
                {"tag": "ref", "target": "#d192fn2", "children": ["Document 192"]},
                " and ",
                {"tag": "ref", "target": "#d190", "children": ["Document 190"]},
                ".",
            ],
        }
    ]
    letter.body = with_ref_targets(letter.body, V33)  # as the importer stores it
    letter.save()
    html = text_of(client.get(D193))
    assert '<a class="person" href="/people/jimmy-carter/">Carter</a>' in html
    assert '<abbr class="term" title="Strategic Arms Limitation Talks">SALT</abbr>' in html
    assert '<a class="ref" href="/volumes/frus1969-76v33/d192/#fn2">Document 192</a>' in html
    assert '<span class="ref">Document 190</span>' in html  # not in the catalog


# -- a person -------------------------------------------------------------------------------------


def test_person_page_gromyko_lists_both_letters(client, seeds):
    response = client.get("/people/gromyko/")
    assert response.status_code == 200
    html = text_of(response)
    assert "<h1>Gromyko</h1>" in html
    assert "Foreign Minister" in html
    mentioned = html[html.index('id="mentioned"') :]
    assert CARTER_TITLE in mentioned and REAGAN_TITLE in mentioned
    assert 'href="/volumes/frus1969-76v33/d193/"' in mentioned
    assert 'href="/volumes/frus1981-88v04/d328/"' in mentioned
    sent = html[html.index('id="sent"') : html.index('id="received"')]
    assert "None." in sent


def test_person_page_groups_sent_and_received(client, seeds):
    html = text_of(client.get("/people/jimmy-carter/"))
    sent = html[html.index('id="sent"') : html.index('id="received"')]
    assert CARTER_TITLE in sent
    html = text_of(client.get("/people/brezhnev/"))
    received = html[html.index('id="received"') : html.index('id="mentioned"')]
    assert CARTER_TITLE in received


def test_unknown_person_is_404(client, seeds):
    assert client.get("/people/nobody/").status_code == 404


def test_people_links_on_the_letter_reach_the_person_page(client, seeds):
    html = text_of(client.get(D328))
    for slug in re.findall(r'href="/people/([\w-]+)/"', html):
        assert client.get(f"/people/{slug}/").status_code == 200


# -- query counts ---------------------------------------------------------------------------------


def grow(letter, extra_notes=30, extra_people=15):
    """More footnotes and people on a letter: page queries must not grow with them."""
    start = letter.footnotes.order_by("-number").first().number + 1
    Footnote.objects.bulk_create(
        Footnote(letter=letter, number=n, text=f"Note {n}", anchor=0) for n in range(start, start + extra_notes)
    )
    for n in range(extra_people):
        person = Person.objects.create(display_name=f"Person {n}", slug=f"person-{n}")
        LetterPerson.objects.create(letter=letter, person=person, role=LetterPerson.Role.MENTIONED)


def count_queries(client, url):
    from catalog import facets

    facets.preload()  # PostgreSQL: the new facet keys' numbers, read once (not per page)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_letter_page_query_count(client, seeds, django_assert_max_num_queries):
    # the letter (with the documents before and after it, and whether it has errata or public
    # annotations), footnotes, people, sources, cross-references, whose descriptions may be shown
    # (a query of its own: as a correlated EXISTS it cost a hash of every person's identifiers per
    # page at scale), archival neighbours
    with django_assert_max_num_queries(7):
        client.get(D328)
    before = count_queries(client, D328)
    grow(seeds[328])
    assert count_queries(client, D328) == before


def test_list_page_query_count(client, seeds, django_assert_max_num_queries):
    # count, page, people of the page, one per facet (9)
    with django_assert_max_num_queries(12):
        client.get("/letters/")
    before = count_queries(client, "/letters/?person=gromyko")
    grow(seeds[328])
    grow(seeds[193], extra_people=0)
    volume = Volume.objects.get(identifier=V04)
    Letter.objects.bulk_create(
        Letter(volume=volume, number=n, title=f"Extra {n}", status=Letter.Status.PUBLISHED) for n in range(1, 40)
    )
    # PostgreSQL: a selected facet's key numbers are one statement more (catalog.facets._matches)
    lookup = 1 if connection.vendor == "postgresql" else 0
    assert count_queries(client, "/letters/") + lookup == count_queries(client, "/letters/?person=gromyko") == before


def test_volume_page_query_count(client, seeds, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        client.get(f"/volumes/{V04}/")
    before = count_queries(client, f"/volumes/{V04}/")
    volume = Volume.objects.get(identifier=V04)
    Letter.objects.bulk_create(
        Letter(volume=volume, number=n, title=f"Extra {n}", status=Letter.Status.PUBLISHED) for n in range(1, 40)
    )
    grow(seeds[328])
    assert count_queries(client, f"/volumes/{V04}/") == before


def test_person_page_query_count(client, seeds, django_assert_max_num_queries):
    # person, the stored counts (by role, by year, the total), a page of each role, correspondents,
    # descriptions
    with django_assert_max_num_queries(7):
        client.get("/people/gromyko/")
    before = count_queries(client, "/people/gromyko/")
    gromyko = Person.objects.get(slug="gromyko")
    volume = Volume.objects.get(identifier=V04)
    for n in range(1, 20):
        letter = Letter.objects.create(volume=volume, number=n, title=f"Extra {n}", status=Letter.Status.PUBLISHED)
        LetterPerson.objects.create(letter=letter, person=gromyko, role=LetterPerson.Role.MENTIONED)
    assert count_queries(client, "/people/gromyko/") == before


def test_staff_letter_page_query_count(staff_client, seeds, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):  # + session and user
        staff_client.get(D328)


# -- a TEI volume: persons list, terms and references inside the text ----------------------------


@pytest.fixture
def tei_v33(db):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_V33

    result = import_paths([TEI_V33], publish=True)
    assert not result.failures, result.failures


def test_tei_letter_links_people_terms_and_documents(client, tei_v33, django_assert_max_num_queries):
    # the letter page's queries, + the people, terms and documents named in the body (one statement)
    with django_assert_max_num_queries(8):
        response = client.get(f"/volumes/{V33}/d192/")
    assert response.status_code == 200
    html = text_of(response)
    # persName corresp="#p_BZ_1" → the persons list's Brzezinski, through PersonIdentifier.
    slug = Person.objects.get(identifiers__volume__identifier=V33, identifiers__local_id="p_BZ_1").slug
    assert f'<a class="person" href="/people/{slug}/">Brzezinski</a>' in html
    assert re.search(r'<abbr class="term" title="[^"]+">SALT</abbr>', html)
    # Footnote 3 "See Document 190." points at a document of the excerpt.
    assert '<a class="ref" href="/volumes/frus1969-76v33/d190/">Document 190</a>' in html
    assert client.get(f"/people/{slug}/").status_code == 200


def test_tei_volume_page_query_count_is_fixed(client, tei_v33, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = client.get(f"/volumes/{V33}/")
    assert response.status_code == 200
    html = text_of(response)
    assert "FRUS, 1969–1976, Volume XXXIII" in html
    assert html.count('class="doc-number"') == 11  # d188–d198


def test_volume_page_is_paginated(client, tei_v33, monkeypatch, django_assert_max_num_queries):
    from catalog import queries

    monkeypatch.setattr(queries, "VOLUME_LETTERS_PER_PAGE", 5)
    with django_assert_max_num_queries(6):  # volume, chapters, count, the page, sources consulted
        response = client.get(f"/volumes/{V33}/?page=2")
    html = text_of(response)
    assert re.findall(r'<li id="d(\d+)"', html) == ["193", "194", "195", "196", "197"]
    assert "<div><dt>Documents in the catalog</dt><dd>11</dd></div>" in html  # all of them, not the page's
    assert '<nav class="pagination" aria-label="Documents: pages">' in html
    assert '<a rel="prev" href="?page=1">← Previous<span class="visually-hidden"> documents</span></a>' in html
    assert '<a rel="next" href="?page=3">Next →<span class="visually-hidden"> documents</span></a>' in html
    assert "Page 2 of 3 (documents 6–10)" in html
    assert re.findall(r'<li id="d(\d+)"', text_of(client.get(f"/volumes/{V33}/?page=99"))) == ["198"]  # the last
    assert re.findall(r'<li id="d(\d+)"', text_of(client.get(f"/volumes/{V33}/?page=abc")))[0] == "188"
    assert "pagination" not in text_of(client.get(f"/volumes/{V04}/"))  # one page: no controls


@pytest.mark.django_db
def test_volume_page_lists_its_sources_consulted(client, django_assert_max_num_queries):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_V33

    import_paths([TEI_V33], publish=True)
    with django_assert_max_num_queries(6):
        response = client.get("/volumes/frus1969-76v33/")
    html = response.content.decode()
    assert "<h2>Sources consulted</h2>" in html
    assert "<dt>Jimmy Carter Presidential Library</dt>" in html
    assert "<dd>National Security Affairs, Brzezinski Material, Subject File</dd>" in html
    # The order the volume prints: Department of State first, the Carter Library after the Nixon and Ford ones.
    assert html.index("<dt>Department of State</dt>") < html.index("<dt>Richard M. Nixon Presidential Library</dt>")
    assert html.index("<dt>Gerald R. Ford Presidential Library</dt>") < html.index(
        "<dt>Jimmy Carter Presidential Library</dt>"
    )


@pytest.mark.django_db
def test_a_wartime_telegram_is_dated_on_its_own_day(client):
    """FRUS writes -05:00 on Washington dates all year; in March 1944 Washington kept War Time."""
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_QUEBEC

    import_paths([TEI_QUEBEC], publish=True)
    html = client.get("/volumes/frus1944Quebec/d1/").content.decode()
    assert "March 18, 1944" in html
    assert "March 18–19, 1944" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["year_to=0", "year_from=12345", "year_from=-5", "year_from=1e400", "year_to=1978.5"])
def test_out_of_range_years_are_ignored(client, import_seeds, query):
    response = client.get(f"/letters/?{query}")
    assert response.status_code == 200
    assert b"Letter From President Carter to Soviet General Secretary Brezhnev" in response.content


# -- the readers' catalog: facets, chips, dates, sorting (issue 15) ------------------------------

QUEBEC = "frus1944Quebec"


def listing(client, query=""):
    response = client.get("/letters/" + query)
    assert response.status_code == 200
    return response


def numbers(response):
    return sorted((row["letter"].volume.identifier, row["letter"].number) for row in response.context["rows"])


def facet(response, name):
    return {row["value"]: row["count"] for row in response.context["facets"][name]}


def test_facets_over_the_catalog(client, import_catalog):
    response = listing(client)
    assert response.context["page"].paginator.count == 20
    assert facet(response, "volume") == {QUEBEC: 8, V33: 11, V04: 1}
    assert facet(response, "administration") == {"fd-roosevelt": 8, "carter": 9}
    assert [row["value"] for row in response.context["facets"]["administration"]] == ["fd-roosevelt", "carter"]
    assert facet(response, "year") == {"1944": 8, "1977": 2, "1978": 7}
    assert facet(response, "doc_type") == {
        "letter": 3,
        "memorandum": 6,
        "memorandum of conversation": 1,
        "summary of conclusions": 2,
        "telegram": 8,
    }
    # Base markings: "Top Secret; Sensitive" is Top Secret; the British "Most Secret" is none of them.
    assert facet(response, "classification") == {"top-secret": 12, "secret": 4, "no-marking": 2}
    assert facet(response, "repository") == {"Carter Library": 11, "Roosevelt Papers": 8, "Reagan Library": 1}
    assert facet(response, "sender")["zbigniew-brzezinski"] == 6
    assert facet(response, "recipient")["jimmy-carter"] == 5
    assert facet(response, "person")["gromyko"] == 5
    labels = {row["value"]: row["label"] for row in response.context["facets"]["person"]}
    assert labels["gromyko"] == "Andrei A. Gromyko"


FACET_QUERIES = ["", "?volume=frus1969-76v33", "?administration=carter&doc_type=memorandum", "?q=SALT", "?year=1978"]


@pytest.mark.parametrize("base", FACET_QUERIES)
def test_every_facet_count_is_the_count_clicking_it_gives(client, import_catalog, base):
    """Multi-select faceting: each facet's counts come with the other facets' filters, so the
    number next to a value is exactly the number of results its link gives."""
    response = listing(client, base)
    html = text_of(response)
    checked = 0
    for name, rows in response.context["facets"].items():
        for row in rows:
            params = [(k, v) for k, v in response.context["params"] if k != name] + [(name, row["value"])]
            query = urlencode(params)
            if row["value"] not in (response.context["data"].get(name) or []):  # a selected value's link removes it
                assert f'href="?{query.replace("&", "&amp;")}"' in html, (name, row)
            assert listing(client, f"?{query}").context["page"].paginator.count == row["count"], (name, row)
            checked += 1
    assert checked > 5


def test_or_within_a_facet_and_across_facets(client, import_catalog):
    assert listing(client, f"?volume={QUEBEC}&volume={V04}").context["page"].paginator.count == 9
    response = listing(client, "?administration=carter&administration=fd-roosevelt&doc_type=letter")
    assert numbers(response) == [(V33, 193), (V33, 195)]
    assert numbers(listing(client, "?person=gromyko&person=churchill&volume=frus1981-88v04")) == [(V04, 328)]
    assert numbers(listing(client, "?sender=jimmy-carter&recipient=brezhnev")) == [(V33, 193)]
    assert numbers(listing(client, "?classification=no-marking")) == [(V33, 193), (V33, 195)]
    # Several values of one facet: the "+or" link adds, and the count of values sums (one value per letter).
    response = listing(client, f"?volume={V04}")
    html = text_of(response)
    assert f'href="?volume={V04}&amp;volume={QUEBEC}"' in html


def test_year_facet_has_decades_that_drill_down_to_years(client, import_catalog):
    response = listing(client)
    html = text_of(response)
    assert '<a href="?year=1970s" data-facet-value="1970s">1970s</a> <span class="count">9</span>' in html
    assert '<a href="?year=1977" data-facet-value="1977">1977</a>' in html
    assert listing(client, "?year=1970s").context["page"].paginator.count == 9
    assert listing(client, "?year=1940s&year=1977").context["page"].paginator.count == 10


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("?date_from=1978", 7),
        ("?date_from=1978-03", 5),
        ("?date_from=1978-03-15&date_to=1978-03-20", 2),
        ("?date_to=1977", 10),  # 8 in 1944, 2 in 1977
        ("?date_to=1944-03", 4),
        ("?date_from=1978-02-30", 20),  # not a date: ignored
        ("?date_from=abc&date_to=99999", 20),
    ],
)
def test_date_range_takes_a_year_a_month_or_a_day(client, import_catalog, query, count):
    assert listing(client, query).context["page"].paginator.count == count


def test_active_filters_are_removable_chips(client, import_catalog):
    html = text_of(listing(client, "?person=gromyko&administration=carter&q=SALT"))
    assert '<span class="chip-name">person:</span> Andrei A. Gromyko' in html
    assert '<span class="chip-name">administration:</span> Carter' in html
    assert 'href="?administration=carter&amp;q=SALT" aria-label="Remove filter person: Andrei A. Gromyko"' in html
    assert 'href="?person=gromyko&amp;administration=carter" aria-label="Remove filter q: “SALT”"' in html


def test_empty_results_suggest_which_filter_to_remove(client, import_catalog):
    response = listing(client, f"?volume={QUEBEC}&q=Brezhnev")
    assert response.context["page"].paginator.count == 0
    suggestions = [(chip.name, count) for chip, count in response.context["suggestions"]]
    assert suggestions == [("volume", 4), ("q", 8)]
    html = text_of(response)
    assert "No published letters match." in html
    assert '<a href="?q=Brezhnev">without volume: frus1944Quebec</a> <span class="count">4 documents</span>' in html


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("date", (QUEBEC, 1), (V04, 328)),
        ("-date", (V33, 198), (V04, 328)),
        ("volume", (QUEBEC, 1), (V04, 328)),
    ],
)
def test_sort_orders(client, import_catalog, sort, first, last):
    rows = listing(client, f"?sort={sort}").context["rows"]
    ordered = [(row["letter"].volume.identifier, row["letter"].number) for row in rows]
    assert (ordered[0], ordered[-1]) == (first, last)


def test_paging_keeps_every_filter_and_count_is_what_pages_hold(client, import_catalog, monkeypatch):
    monkeypatch.setattr(views, "LETTERS_PER_PAGE", 3)
    response = listing(client, "?administration=carter&person=jimmy-carter&person=brezhnev&sort=-date")
    assert response.context["page"].paginator.count == 7
    html = text_of(response)
    assert 'href="?administration=carter&amp;person=jimmy-carter&amp;person=brezhnev&amp;sort=-date&amp;page=2"' in html
    seen = []
    for number in (1, 2, 3):
        page = listing(client, f"?administration=carter&person=jimmy-carter&person=brezhnev&sort=-date&page={number}")
        seen += numbers(page)
    assert len(set(seen)) == len(seen) == 7


def test_list_never_loads_bodies(client, import_catalog):
    with CaptureQueriesContext(connection) as context:
        listing(client, "?q=SALT")
    for query in context.captured_queries:
        sql = query["sql"]
        if 'FROM "catalog_letter"' in sql and "SELECT" in sql[:20]:
            select = sql.split(" FROM ")[0]
            assert '"catalog_letter"."body"' not in select and "import_snapshot" not in select, sql


def test_search_list_query_count(client, import_catalog, django_assert_max_num_queries):
    # count, page, people, 9 facets, 2 snippets
    with django_assert_max_num_queries(14):
        listing(client, "?q=SALT&person=jimmy-carter&administration=carter")


# -- volumes, administrations, printed pages ------------------------------------------------------


def test_volume_index(client, import_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        html = text_of(client.get("/volumes/"))
    assert html.index("FRUS, Conference at Quebec, 1944") < html.index("FRUS, 1969–1976, Volume XXXIII")
    assert '<a href="/volumes/frus1969-76v33/">FRUS, 1969–1976, Volume XXXIII</a>' in html
    assert "11 documents" in html and "8 documents" in html and "1 document<" in html


def test_administration_index(client, import_catalog):
    response = client.get("/administrations/")
    rows = {row["slug"]: row["count"] for row in response.context["rows"]}
    assert rows["carter"] == 9 and rows["fd-roosevelt"] == 8 and rows["reagan"] == 0
    assert len(rows) == 28
    assert '<a href="/letters/?administration=carter">Carter</a>' in text_of(response)


def test_printed_page_lists_the_documents_on_it(client, import_catalog):
    response = client.get(f"/volumes/{V04}/pg_1171/")
    assert response.status_code == 200
    assert [letter.number for letter in response.context["letters"]] == [328]
    assert 'href="/volumes/frus1981-88v04/d328/#pg_1171"' in text_of(response)
    assert client.get(f"/volumes/{V04}/pg_1169/").status_code == 404
    assert client.get(f"/volumes/{V33}/pg_807/").context["letters"][0].number in (192, 193)


# -- people ---------------------------------------------------------------------------------------


def test_people_index_with_counts_and_type_ahead(client, import_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get("/people/")
    people = {p["slug"]: p["count"] for p in response.context["people"]}
    assert people["gromyko"] == 5 and people["jimmy-carter"] == 7
    html = text_of(response)
    assert '<a href="/people/gromyko/">Andrei A. Gromyko</a> <span class="count">5 letters</span>' in html
    data = client.get("/people/", {"q": "gromy", "format": "json"}).json()
    assert data == {"results": [{"slug": "gromyko", "name": "Andrei A. Gromyko", "count": 5}]}
    assert client.get("/people/", {"q": "x" * 4_000}).status_code == 200
    assert client.get("/people/", {"q": "\x00" * 5 + "x"}).status_code == 400  # refused before any query


def test_person_page_roles_chart_and_correspondents(client, import_catalog):
    response = client.get("/people/jimmy-carter/")
    data = response.context["data"]
    assert data.counts == {"sender": 1, "recipient": 5, "mentioned": 5}
    assert data.per_year == [(1977, 2), (1978, 4)]  # 188, 189; 191, 193, 195, 197 (192 is undated)
    assert data.total == 7
    assert data.correspondents[0] == {"slug": "zbigniew-brzezinski", "name": "Zbigniew Brzezinski", "count": 3}
    html = text_of(response)
    assert "<svg" in html and "<title>1977: 2</title>" in html and "<title>1978: 4</title>" in html
    assert "Letters per year, 1977–1978" in html
    assert '<a href="/people/brezhnev/">Leonid I. Brezhnev</a>' in html


def test_person_page_paginates_each_role(client, import_catalog, monkeypatch):
    from catalog import queries

    monkeypatch.setattr(queries, "PERSON_LETTERS_PER_PAGE", 2)
    response = client.get("/people/jimmy-carter/")
    received = next(s for s in response.context["sections"] if s["role"] == "recipient")
    assert (received["count"], received["pages"], len(received["links"])) == (5, 3, 2)
    assert 'href="?recipient_page=2#received"' in text_of(response)
    later = client.get("/people/jimmy-carter/?recipient_page=3")
    received = next(s for s in later.context["sections"] if s["role"] == "recipient")
    assert len(received["links"]) == 1
    assert client.get("/people/jimmy-carter/?recipient_page=abc").status_code == 200
    beyond = client.get("/people/jimmy-carter/?recipient_page=99")
    received = next(s for s in beyond.context["sections"] if s["role"] == "recipient")
    assert (received["page"], len(received["links"])) == (3, 1)  # the last page, not an empty one


# -- sources and archival neighbours -------------------------------------------------------------


def test_sources_repositories_collections_letters(client, import_catalog):
    html = text_of(client.get("/sources/"))
    assert '<a href="/sources/browse/?repository=Carter+Library">Carter Library</a>' in html
    response = client.get("/sources/browse/", {"repository": "Carter Library"})
    collections = {row["collection"]: row["letters"] for row in response.context["collections"]}
    assert collections["National Security Affairs, Staff Material, Office"] == 3
    response = client.get(
        "/sources/browse/",
        {"repository": "Carter Library", "collection": "National Security Affairs, Brzezinski Material, Subject File"},
    )
    assert response.status_code == 200
    boxes = {
        (box, folder): [letter.number for letter in letters] for box, folder, letters in response.context["groups"]
    }
    assert boxes[("56", "SALT: Chronology: 11/23/77–4/20/78")] == [194, 196, 192]  # by date, undated last
    assert client.get("/sources/browse/", {"repository": "Nowhere"}).status_code == 404


def test_letter_page_links_its_archival_neighbours(client, import_catalog):
    response = client.get(f"/volumes/{V33}/d192/")
    [entry] = response.context["page"].neighbours
    assert entry["scope"] == "box"
    assert [letter.number for letter in entry["letters"]] == [188, 189, 194, 196, 190]
    assert "Archival neighbours" in text_of(response)


def test_archival_neighbours_of_a_dated_letter_follow_it(client, import_catalog):
    # The same box as d192's; d194 is dated 1978-03-06: of 188, 189 (1977), 190, 192 (undated) and
    # 196 (1978-03-20), only d196 follows it. The walk starts at its date, not at the box's first letter.
    [entry] = client.get(f"/volumes/{V33}/d194/").context["page"].neighbours
    assert entry["scope"] == "box"
    assert [letter.number for letter in entry["letters"]] == [196]


# -- the public rule: only what something published refers to (issue 10, item 13) ---------------


def test_a_volume_with_nothing_published_is_private_everywhere(client, import_catalog, django_user_model):
    quebec = Letter.objects.filter(volume__identifier=QUEBEC)
    quebec.update(status=Letter.Status.DRAFT)  # an update() sends no signal: the app's bulk writers say so
    person_letters.refresh_letters(quebec.values_list("pk", flat=True))
    user = django_user_model.objects.create_user("reader", password="pw")
    for who in (client, None):
        if who is None:
            client.force_login(user)  # a logged-in reader who is not staff
        assert client.get(f"/volumes/{QUEBEC}/").status_code == 404
        assert client.get(f"/volumes/{QUEBEC}/pg_1/").status_code == 404
        assert client.get(f"/volumes/{QUEBEC}/d1/").status_code == 404
        assert QUEBEC not in text_of(client.get("/volumes/"))
        assert QUEBEC not in facet(listing(client), "volume")
        assert "churchill" not in facet(listing(client), "person")
        assert "Roosevelt Papers" not in text_of(client.get("/sources/"))
        assert client.get("/sources/browse/", {"repository": "Roosevelt Papers"}).status_code == 404
        assert client.get("/people/churchill/").status_code == 404
        assert "churchill" not in {p["slug"] for p in client.get("/people/").context["people"]}
        assert client.get("/administrations/").context["rows"][16]["count"] == 0  # F. D. Roosevelt
        assert listing(client, f"?volume={QUEBEC}").context["page"].paginator.count == 0


def test_descriptions_from_an_unpublished_volume_are_not_shown(client, import_catalog):
    gromyko = Person.objects.get(slug="gromyko")
    assert gromyko.description == "Soviet Foreign Minister from 1957 until 1985"
    assert gromyko.description in text_of(client.get("/people/gromyko/"))
    # Withdraw the TEI volume that gave the description: Gromyko stays public (d328 names him), the
    # description does not.
    Letter.objects.filter(volume__identifier=V33).update(status=Letter.Status.DRAFT)
    html = text_of(client.get("/people/gromyko/"))
    assert "Andrei A. Gromyko" in html
    assert "Soviet Foreign Minister" not in html
    assert "Foreign Minister</li>" not in html
    assert "Soviet Foreign Minister" not in text_of(client.get("/people/"))
    assert "Soviet Foreign Minister" not in text_of(client.get(D328))


def test_people_descriptions_on_hover_and_focus(client, import_catalog):
    html = text_of(client.get(f"/volumes/{V33}/d193/"))
    match = re.search(r'<a href="/people/gromyko/" aria-describedby="(pdesc-\d+)">Andrei A. Gromyko</a>', html)
    assert match
    assert (
        f'<span class="person-desc" role="tooltip" id="{match[1]}">Soviet Foreign Minister from 1957 until 1985</span>'
        in html
    )


# -- Report an error ------------------------------------------------------------------------------

REPORT = f"/volumes/{V33}/d193/report/"


@pytest.fixture
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_report_an_error_lands_in_the_admin_list(client, seeds, fresh_cache, staff_client):
    from catalog.models import ErrorReport

    html = text_of(Client().get(D193))
    assert '<h2 id="report-heading">Report an error</h2>' in html
    assert f'<a href="{REPORT}">Tell the editors</a>' in html
    assert 'name="csrfmiddlewaretoken"' not in html  # the letter's page is the same for everyone (cached)
    form = text_of(Client().get(REPORT))
    assert '<h1 id="report-heading">Report an error</h1>' in form
    assert 'name="csrfmiddlewaretoken"' in form
    response = Client().post(REPORT, {"message": "Brezhnev’s letter is dated January 12, not 14.", "email": ""})
    assert response.status_code == 302
    assert response["Location"] == f"{D193}?reported=1#report"
    [report] = ErrorReport.objects.all()
    assert (report.letter, report.status) == (seeds[193], ErrorReport.Status.NEW)
    assert "Thank you: your report has been sent" in text_of(Client().get(f"{D193}?reported=1"))
    listing_html = text_of(staff_client.get("/admin/catalog/errorreport/"))
    assert "Brezhnev’s letter is dated January 12, not 14." in listing_html


def test_report_needs_the_csrf_token(seeds, fresh_cache):
    from catalog.models import ErrorReport

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(REPORT, {"message": "A real problem here."}).status_code == 403
    page = strict.get(REPORT)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text_of(page))[1]
    assert strict.post(REPORT, {"message": "A real problem here.", "csrfmiddlewaretoken": token}).status_code == 302
    assert ErrorReport.objects.count() == 1


def test_report_honeypot_and_bad_input(client, seeds, fresh_cache):
    from catalog.models import ErrorReport

    # A bot fills the hidden field: it is told "thank you" and nothing is kept.
    response = client.post(REPORT, {"message": "Buy cheap things now!", "website": "http://spam.example"})
    assert response.status_code == 302
    assert ErrorReport.objects.count() == 0
    response = client.post(REPORT, {"message": "", "email": "not an email"})
    assert response.status_code == 400
    assert "This field is required." in text_of(response) and "Enter a valid email address." in text_of(response)
    response = client.post(REPORT, {"message": "<script>alert(1)</script> is wrong"})
    assert response.status_code == 302
    assert client.get("/volumes/frus1861/d1/report/").status_code == 404
    assert client.put(REPORT).status_code == 405
    assert client.post("/volumes/frus1861/d1/report/", {"message": "x" * 10}).status_code == 404


def test_report_is_rate_limited(client, seeds, fresh_cache):
    from catalog.models import ErrorReport

    for n in range(views.REPORTS_PER_HOUR):
        assert client.post(REPORT, {"message": f"Problem number {n}"}).status_code == 302
    response = client.post(REPORT, {"message": "One too many"})
    assert response.status_code == 429
    assert "Too many reports" in text_of(response)
    assert ErrorReport.objects.count() == views.REPORTS_PER_HOUR


def test_no_report_on_a_draft(staff_client, seeds, fresh_cache):
    set_draft(seeds[193])
    assert staff_client.post(REPORT, {"message": "Something is wrong."}).status_code == 404


@pytest.mark.parametrize(
    ("url", "most"),
    [
        ("/administrations/", 1),
        ("/sources/", 1),
        ("/sources/browse/?repository=Carter+Library", 1),
        (
            "/sources/browse/?repository=Carter+Library&collection=National+Security+Affairs%2C+Brzezinski+Material%2C+Subject+File",
            3,
        ),
        (f"/volumes/{V04}/pg_1171/", 3),
        ("/people/?q=brz", 2),
        (f"/volumes/{V33}/d192/", 14),  # + whose descriptions may be shown (test_letter_page_query_count)
    ],
)
def test_new_pages_query_counts(client, import_catalog, django_assert_max_num_queries, url, most):
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200


def test_print_stylesheet_and_landmarks(client, seeds):
    html = text_of(client.get(D193))
    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in html
    for landmark in ('<header class="site-header">', '<nav class="site-nav" aria-label="Main">', '<main id="main"'):
        assert landmark in html
    assert "style=" not in html and "<style" not in html and "<script>" not in html
    listing_html = text_of(client.get("/letters/?q=SALT"))
    assert "style=" not in listing_html and "<script>" not in listing_html


def test_person_page_beyond_the_last_page_shows_the_last_full_page(client, import_catalog, monkeypatch):
    from catalog import queries

    monkeypatch.setattr(queries, "PERSON_LETTERS_PER_PAGE", 5)  # Carter received exactly 5
    response = client.get("/people/jimmy-carter/?recipient_page=2")
    received = next(s for s in response.context["sections"] if s["role"] == "recipient")
    assert (received["page"], received["pages"], len(received["links"])) == (1, 1, 5)
