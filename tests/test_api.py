"""GET /api/letters/<volume>/<number>/ against the seed letters.

Expected values are derived from the fixture files by the text format's rules (see
catalog/ingest/text_parser.py): footnote lines "  N. text" at the end; the heading's trailing "1"
is the source note's marker; paragraphs joined by a blank line make body_text; an inline
"[Page N]" with its padding spaces is not text; a marker's digits are not text.
"""

import json
import re

import pytest
from django.test import Client

from catalog.models import Letter
from tests.conftest import SEED_CARTER, SEED_REAGAN

V33, V04 = "frus1969-76v33", "frus1981-88v04"
API_193 = f"/api/letters/{V33}/193/"
API_328 = f"/api/letters/{V04}/328/"
CARTER_SOURCE = (
    "Carter Library, National Security Affairs, Staff Material, Office, Box 69, "
    "USSR: Brezhnev-Carter Correspondence: 1–12/78"
)

pytestmark = pytest.mark.django_db


def fixture_footnotes(path) -> dict[int, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {int(m[1]): m[2].strip() for line in lines if (m := re.match(r"^\s+(\d+)\.\s+(.*)$", line))}


def carter_body_text() -> str:
    """The body of 000_…txt by the format's rules: heading and footnotes off, markers out."""
    lines = SEED_CARTER.read_text(encoding="utf-8").splitlines()
    body = [line for line in lines[1:] if not re.match(r"^\s+\d+\.\s", line)]
    paragraphs = [p.strip() for p in "\n".join(body).split("\n\n") if p.strip()]
    paragraphs = [p.replace(" [Page 808] ", "").replace("January 12.2 ", "January 12. ") for p in paragraphs]
    return "\n\n".join(paragraphs)


def person(name, slug, as_written):
    return {"name": name, "slug": slug, "name_as_written": as_written, "url": f"/people/{slug}/"}


def test_d193_exact_json(client, import_seeds):
    response = client.get(API_193)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/json"
    data = response.json()
    notes = fixture_footnotes(SEED_CARTER)
    body_text = carter_body_text()
    anchor = body_text.index("January 12.") + len("January 12.")
    assert data == {
        "volume": V33,
        "number": 193,
        "xml_id": "d193",
        "title": "Letter From President Carter to Soviet General Secretary Brezhnev",
        "citation": "FRUS, 1969–1976, Volume XXXIII, Document 193",
        "url": "/volumes/frus1969-76v33/d193/",
        "doc_type": "letter",
        "date_min": None,
        "date_max": None,
        "date_precision": "",
        "place": "",
        "classification": "No classification marking",
        "page_start": 807,
        "page_end": 808,
        "provisional": False,
        "errata": [],
        # The heading names "President Carter"; the signature "Jimmy Carter" gives the full name.
        "senders": [person("Jimmy Carter", "jimmy-carter", "President Carter")],
        "recipients": [person("Brezhnev", "brezhnev", "Soviet General Secretary Brezhnev")],
        "mentioned": [
            person("Dobrynin", "dobrynin", "Ambassador Dobrynin"),
            person("Gromyko", "gromyko", "Foreign Minister Gromyko"),
        ],
        "body_text": body_text,
        "footnotes": [
            {"number": 1, "kind": "source", "text": notes[1], "anchor": None},
            {"number": 2, "kind": "editorial", "text": notes[2], "anchor": anchor},
        ],
        "sources": [
            {
                "repository": "Carter Library",
                "collection": "National Security Affairs, Staff Material, Office",
                "box": "69",
                "folder": "USSR: Brezhnev-Carter Correspondence: 1–12/78",
                "raw": CARTER_SOURCE,
                "footnotes": [1, 2],
            }
        ],
        # "printed in full in Foreign Relations, 1977–1980, Vol. VI": a whole volume, in both notes.
        "references": [
            {
                "volume": "frus1977-80v06",
                "number": None,
                "footnote": 1,
                "target_footnote": None,
                "resolved": False,
                "url": None,
            },
            {
                "volume": "frus1977-80v06",
                "number": None,
                "footnote": 2,
                "target_footnote": None,
                "resolved": False,
                "url": None,
            },
        ],
    }


def test_d193_body_text_and_anchors(client, import_seeds):
    data = client.get(API_193).json()
    body_text = data["body_text"]
    assert "purpose of shaping" in body_text
    assert "[Page" not in body_text
    assert body_text.startswith("Dear Mr. President:\n\nI was pleased")
    assert body_text.endswith("Sincerely,\n\nJimmy Carter")
    notes = {note["number"]: note for note in data["footnotes"]}
    assert notes[1]["anchor"] is None
    assert notes[1]["text"].startswith("Source: Carter Library, National Security Affairs")
    assert body_text[: notes[2]["anchor"]].endswith("January 12.")
    assert body_text[notes[2]["anchor"] :].startswith(" I was particularly gratified")


def test_d328_footnote_anchors(client, import_seeds):
    data = client.get(API_328).json()
    body_text = data["body_text"]
    notes = {note["number"]: note for note in data["footnotes"]}
    assert sorted(notes) == [1, 2, 3, 4, 5, 6, 7]
    expected_before = {
        2: "nuclear and outer space weapons,",
        3: "your letter of November 17.",
        4: "mine of November 15",
        5: "Foreign Minister Gromyko here in Washington,",
        6: "as he prepares for the meeting in Geneva.",
        7: "housing and the environment.",  # "environ[Page 1172]ment.7": the break is not text
    }
    for number, before in expected_before.items():
        anchor = notes[number]["anchor"]
        assert body_text[:anchor].endswith(before), number
    assert notes[4]["anchor"] == body_text.index("mine of November 15") + len("mine of November 15")
    assert body_text[notes[4]["anchor"] :].startswith(" encourages me")
    assert notes[1]["anchor"] is None and notes[1]["kind"] == "source"
    fixture = fixture_footnotes(SEED_REAGAN)
    assert [note["text"] for note in data["footnotes"]] == [fixture[n] for n in range(1, 8)]
    assert [notes[n]["kind"] for n in (2, 3, 4, 5)] == ["cross-reference"] * 4
    assert [notes[n]["kind"] for n in (6, 7)] == ["editorial"] * 2


def test_d328_scalars_and_people(client, import_seeds):
    data = client.get(API_328).json()
    assert data["title"] == "Letter From President Reagan to Soviet General Secretary Chernenko"
    assert data["classification"] == "Secret"
    # No "[Page N]" line on top; "[Page 1171]" and "[Page 1172]" inside: pages 1170–1172.
    assert (data["page_start"], data["page_end"]) == (1170, 1172)
    assert data["senders"] == [person("Ronald Reagan", "ronald-reagan", "President Reagan")]
    assert [p["slug"] for p in data["recipients"]] == ["chernenko"]
    mentioned = {p["slug"]: p["name_as_written"] for p in data["mentioned"]}
    assert mentioned["gromyko"] == "Foreign Minister Gromyko"
    assert mentioned["george-shultz"] == "Secretary Shultz"
    assert "[Page" not in data["body_text"]
    assert "environment. And here" in data["body_text"]


def test_d328_references_unresolved(client, import_seeds):
    data = client.get(API_328).json()
    assert [(r["volume"], r["number"], r["footnote"], r["target_footnote"]) for r in data["references"]] == [
        (V04, 315, 2, 5),  # "See footnote 5, Document 315."
        (V04, 310, 3, None),
        (V04, 308, 4, None),
        (V04, 286, 5, None),  # "See Documents 286, 287, and 288."
        (V04, 287, 5, None),
        (V04, 288, 5, None),
    ]
    assert all(r["resolved"] is False and r["url"] is None for r in data["references"])


def test_d328_sources(client, import_seeds):
    data = client.get(API_328).json()
    assert [(s["repository"], s["collection"], s["box"], s["footnotes"]) for s in data["sources"]] == [
        ("Reagan Library", "Executive Secretariat, NSC Head of State File", "", [1]),
        ("Reagan Library", "Jack Matlock Files", "", [1]),
        ("Reagan Library", "George Shultz Papers", "12", [1, 7]),
    ]


def test_resolved_reference(client, import_seeds):
    volume = Letter.objects.get(number=328).volume
    target = Letter.objects.create(volume=volume, number=310, title="Target", status=Letter.Status.PUBLISHED)
    Letter.objects.get(number=328).references.filter(target_number=310).update(target=target)
    refs = {r["number"]: r for r in client.get(API_328).json()["references"]}
    assert refs[310]["resolved"] is True
    assert refs[310]["url"] == "/volumes/frus1981-88v04/d310/"
    assert refs[315]["resolved"] is False
    target.status = Letter.Status.DRAFT
    target.save()
    assert {r["number"]: r for r in client.get(API_328).json()["references"]}[310]["resolved"] is False


def test_draft_is_404_for_anonymous_and_200_for_staff(staff_client, import_seeds):
    Letter.objects.filter(number=193).update(status=Letter.Status.DRAFT)
    response = Client().get(API_193)  # (staff_client is the logged-in ``client`` fixture)
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}
    response = staff_client.get(API_193)
    assert response.status_code == 200
    assert response.json()["number"] == 193


def test_unknown_letter_is_404(client, import_seeds):
    assert client.get(f"/api/letters/{V33}/999/").status_code == 404
    assert client.get("/api/letters/frus1861/193/").status_code == 404


def test_only_get(client, import_seeds):
    assert client.post(API_193).status_code == 405


def test_api_query_count(client, import_seeds, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        client.get(API_328)


@pytest.mark.django_db
def test_dates_are_given_in_washington_time(client):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_V33

    import_paths([TEI_V33], publish=True)
    data = client.get("/api/letters/frus1969-76v33/193/").json()
    assert (data["date_min"], data["date_max"]) == ("1978-01-25T00:00:00-05:00", "1978-01-25T23:59:59-05:00")


# -- the list API: the same FilterSet as /letters/ (issue 15), OpenAPI (issue 11) -----------------


def test_list_api_shape_and_results_carry_the_detail_fields(client, import_seeds):
    response = client.get("/api/letters/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results", "facets"}
    assert (data["count"], data["next"], data["previous"]) == (2, None, None)
    detail = client.get(API_328).json()
    [item] = [r for r in data["results"] if r["number"] == 328]
    for name in set(detail) - {"body_text", "footnotes"}:
        assert item[name] == detail[name], name
    assert "body_text" not in item and "footnotes" not in item
    assert item["administration"] == "" and item["snippets"] == []
    assert data["facets"]["volume"] == [
        {"value": V33, "label": "FRUS, 1969–1976, Volume XXXIII", "count": 1},
        {"value": V04, "label": "FRUS, 1981–1988, Volume IV", "count": 1},
    ]
    assert set(data["facets"]) == {
        "volume",
        "administration",
        "year",
        "doc_type",
        "sender",
        "recipient",
        "person",
        "repository",
        "classification",
    }


def test_list_api_and_page_agree(client, import_catalog):
    for query in (
        "?administration=carter&person=jimmy-carter&person=brezhnev",
        "?q=SALT&scope=footnotes",
        "?year=1944",
    ):
        page = client.get("/letters/" + query)
        data = client.get("/api/letters/" + query).json()
        assert data["count"] == page.context["page"].paginator.count
        assert [(r["volume"], r["number"]) for r in data["results"]] == [
            (row["letter"].volume.identifier, row["letter"].number) for row in page.context["rows"]
        ]
        assert data["facets"] == page.context["facets"]


def test_list_api_pages_keep_the_filters(client, import_catalog, monkeypatch):
    from catalog import api

    monkeypatch.setattr(api, "API_PAGE_SIZE", 4)
    data = client.get("/api/letters/?administration=carter&sort=-date").json()
    assert data["count"] == 9
    assert data["next"] == "http://testserver/api/letters/?administration=carter&sort=-date&page=2"
    last = client.get("/api/letters/?administration=carter&sort=-date&page=3").json()
    assert len(last["results"]) == 1
    assert last["previous"] == "http://testserver/api/letters/?administration=carter&sort=-date&page=2"
    assert last["next"] is None


def test_list_api_snippets(client, import_seeds):
    [item] = client.get("/api/letters/?q=Backfire").json()["results"]
    assert item["number"] == 193
    assert "<mark>Backfire</mark>" in item["snippets"][0]["html"]


def test_list_api_shows_only_published_even_to_staff(staff_client, import_seeds):
    Letter.objects.filter(number=193).update(status=Letter.Status.DRAFT)
    for client in (Client(), staff_client):
        data = client.get("/api/letters/").json()
        assert [r["number"] for r in data["results"]] == [328]
        assert "dobrynin" not in {row["value"] for row in data["facets"]["person"]}


def test_list_api_bad_parameters_are_ignored(client, import_seeds):
    for query in (
        "?page=abc",
        "?page=-1",
        "?page=99999999999",
        "?volume=nowhere",
        "?date_from=x&year=abc",
        "?sort=evil",
    ):
        response = client.get("/api/letters/" + query)
        assert response.status_code == 200, query
        assert response.json()["count"] in (0, 2)
    # A NUL byte never reaches the database: the request is refused (catalog/middleware.py).
    assert client.get("/api/letters/?volume=%00").status_code == 400


@pytest.mark.parametrize("query", ["", "?person=gromyko", "?q=SALT", "?page=2&sort=-date", "?q=nothing-matches"])
def test_list_api_output_is_what_its_schema_says(client, import_catalog, query):
    """The list is built in its schema's shape and written without ninja's validation
    (catalog/api.py): validated through the schema, it comes out the same, in the same order."""
    from catalog.api import LetterList

    raw = client.get("/api/letters/" + query).content.decode()
    data = json.loads(raw)
    assert LetterList.model_validate(data).model_dump() == data
    assert json.dumps(LetterList.model_validate(data).model_dump(), ensure_ascii=False) == raw


def test_list_api_query_count(client, import_catalog, django_assert_max_num_queries):
    # count, page, people, sources, references, errata, 9 facets
    with django_assert_max_num_queries(15):
        client.get("/api/letters/")


def test_openapi_schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {"/api/letters/", "/api/letters/{identifier}/{number}/"}
    parameters = {p["name"] for p in schema["paths"]["/api/letters/"]["get"]["parameters"]}
    assert {"q", "scope", "sort", "volume", "administration", "person", "date_from", "page"} <= parameters
    listed = schema["components"]["schemas"]["LetterList"]["properties"]
    assert set(listed) == {"count", "next", "previous", "results", "facets"}
