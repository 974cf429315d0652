"""Citing a letter and a volume (catalog.citing): every format's exact output for seed 004 (d328,
FRUS 1981–1988 vol. IV), the page's citation box, meta tags read as Zotero reads them, JSON-LD,
and nothing for what is not published."""

import json
import re

import lxml.html
import pytest

from catalog import citing
from catalog.models import Letter, LetterPerson

from .conftest import BASE, V04_TITLE

D328_URL = f"{BASE}/volumes/frus1981-88v04/d328/"
V04_URL = f"{BASE}/volumes/frus1981-88v04/"
V04_CHICAGO = (
    f"U.S. Department of State. {V04_TITLE}. Edited by Elizabeth C. Charles. Office of the Historian, 2021. {V04_URL}."
)
V04_MLA = (
    f"U.S. Department of State. {V04_TITLE}. Edited by Elizabeth C. Charles, Office of the Historian, 2021, {V04_URL}."
)

D328_CSL = {
    "id": "frus1981-88v04-d328",
    "type": "chapter",
    "title": "Letter From President Reagan to Soviet General Secretary Chernenko",
    "container-title": V04_TITLE,
    "number": "328",
    "author": [{"family": "Reagan", "given": "Ronald"}],
    "publisher": "Office of the Historian",
    "publisher-place": "Washington",
    "editor": [{"family": "Charles", "given": "Elizabeth C."}],
    "issued": {"date-parts": [[2021]]},
    "volume": "IV",
    "collection-title": "Foreign Relations of the United States",
    "page": "1170-1172",
    "URL": D328_URL,
}

D328_CHICAGO = (
    "Reagan, Ronald. “Letter From President Reagan to Soviet General Secretary Chernenko.” In "
    f"{V04_TITLE}, No. 328, edited by Elizabeth C. Charles. Office of the Historian, 2021. {D328_URL}."
)
D328_MLA = (
    "Reagan, Ronald. “Letter From President Reagan to Soviet General Secretary Chernenko.” "
    f"{V04_TITLE}, edited by Elizabeth C. Charles, no. 328, Office of the Historian, 2021, pp. 1170–72, {D328_URL}."
)

D328_BIBTEX = f"""@incollection{{frus1981-88v04-d328,
  author = {{Reagan, Ronald}},
  title = {{{{Letter From President Reagan to Soviet General Secretary Chernenko}}}},
  booktitle = {{{{{V04_TITLE}}}}},
  chapter = {{Document 328}},
  editor = {{Charles, Elizabeth C.}},
  series = {{Foreign Relations of the United States}},
  volume = {{IV}},
  pages = {{1170--1172}},
  publisher = {{Office of the Historian}},
  address = {{Washington}},
  year = {{2021}},
  url = {{{D328_URL}}}
}}
"""

D328_RIS = (
    "TY  - CHAP\r\n"
    "AU  - Reagan, Ronald\r\n"
    "TI  - Letter From President Reagan to Soviet General Secretary Chernenko\r\n"
    f"T2  - {V04_TITLE}\r\n"
    "A2  - Charles, Elizabeth C.\r\n"
    "T3  - Foreign Relations of the United States\r\n"
    "VL  - IV\r\n"
    "SE  - Document 328\r\n"
    "SP  - 1170\r\n"
    "EP  - 1172\r\n"
    "PY  - 2021\r\n"
    "PB  - Office of the Historian\r\n"
    "CY  - Washington\r\n"
    f"UR  - {D328_URL}\r\n"
    "ER  -\r\n"
)


def test_csl_json_download(client, d328):
    response = client.get("/volumes/frus1981-88v04/d328/cite.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="frus1981-88v04-d328.json"'
    assert json.loads(response.content) == [D328_CSL]
    assert list(json.loads(response.content)[0]) == list(D328_CSL)  # field order too


def test_chicago_and_mla(d328):
    item = citing.letter_csl(d328, D328_URL)
    assert item == D328_CSL
    assert citing.render_citation(item, "chicago") == D328_CHICAGO
    assert citing.render_citation(item, "mla") == D328_MLA
    assert citing.render_citation(item, "chicago", html=True) == D328_CHICAGO.replace(
        f"In {V04_TITLE},", f"In <i>{V04_TITLE}</i>,"
    )


def test_style_rules_citeproc_py_leaves_out(d328):
    """The styles' rules applied on top of citeproc-py: full given names in long forms, the period
    inside the quotation marks (en-US), and editors standing for a missing author named once."""
    item = dict(citing.letter_csl(d328, D328_URL), title="Editorial Note")
    del item["author"]
    chicago = citing.render_citation(item, "chicago")
    assert chicago.startswith("Charles, Elizabeth C. “Editorial Note.” In ")
    assert "edited by" not in chicago and chicago.count("Charles") == 1
    assert citing.punctuation_in_quote("“A”, “B”. “C”") == "“A,” “B.” “C”"


def test_bibtex_and_ris_downloads(client, d328):
    response = client.get("/volumes/frus1981-88v04/d328/cite.bib")
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response.content.decode() == D328_BIBTEX
    response = client.get("/volumes/frus1981-88v04/d328/cite.ris")
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response.content.decode() == D328_RIS


def test_volume_formats(client, v04):
    csl = json.loads(client.get("/volumes/frus1981-88v04/cite.json").content)
    assert csl == [
        {
            "id": "frus1981-88v04",
            "type": "book",
            "title": V04_TITLE,
            "author": [{"literal": "U.S. Department of State"}],
            "publisher": "Office of the Historian",
            "publisher-place": "Washington",
            "editor": [{"family": "Charles", "given": "Elizabeth C."}],
            "issued": {"date-parts": [[2021]]},
            "volume": "IV",
            "collection-title": "Foreign Relations of the United States",
            "URL": V04_URL,
        }
    ]
    assert citing.render_citation(csl[0], "chicago") == V04_CHICAGO
    assert citing.render_citation(csl[0], "mla") == V04_MLA
    assert client.get("/volumes/frus1981-88v04/cite.bib").content.decode() == (
        "@book{frus1981-88v04,\n"
        "  author = {{U.S. Department of State}},\n"
        f"  title = {{{{{V04_TITLE}}}}},\n"
        "  editor = {Charles, Elizabeth C.},\n"
        "  series = {Foreign Relations of the United States},\n"
        "  volume = {IV},\n"
        "  publisher = {Office of the Historian},\n"
        "  address = {Washington},\n"
        "  year = {2021},\n"
        f"  url = {{{V04_URL}}}\n"
        "}\n"
    )
    assert client.get("/volumes/frus1981-88v04/cite.ris").content.decode() == (
        "TY  - BOOK\r\nAU  - U.S. Department of State\r\n"
        f"TI  - {V04_TITLE}\r\nED  - Charles, Elizabeth C.\r\n"
        "T3  - Foreign Relations of the United States\r\nVL  - IV\r\nPY  - 2021\r\n"
        f"PB  - Office of the Historian\r\nCY  - Washington\r\nUR  - {V04_URL}\r\nER  -\r\n"
    )


def test_bare_volume_as_imported(import_seeds):
    """Seed 004 as a text import leaves it (no title, editors or year): the heading spelled out."""
    letter = Letter.objects.select_related("volume").get(number=328)
    item = citing.letter_csl(letter, D328_URL)
    assert item["container-title"] == "Foreign Relations of the United States, 1981–1988, Volume IV"
    assert "issued" not in item and "editor" not in item
    assert citing.render_citation(item, "chicago") == (
        "Reagan, Ronald. “Letter From President Reagan to Soviet General Secretary Chernenko.” In Foreign "
        f"Relations of the United States, 1981–1988, Volume IV, No. 328. Office of the Historian, n.d. {D328_URL}."
    )


# -- the page ------------------------------------------------------------------------------------


def page_head(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content)


def test_citation_box_on_the_letter_page(client, d328):
    page = page_head(client, "/volumes/frus1981-88v04/d328/")
    box = page.xpath("//section[@class='citation-box']")[0]
    entries = {
        dt.text_content(): dd.xpath(".//p[@class='citation-text']")[0]
        for dt, dd in zip(box.xpath(".//dt"), box.xpath(".//dd"))
    }
    assert {label: entry.text_content() for label, entry in entries.items()} == {
        "Chicago": D328_CHICAGO,
        "MLA": D328_MLA,
    }
    assert [e.text_content() for e in entries["Chicago"].xpath(".//i")] == [V04_TITLE]
    links = {a.text_content(): a.get("href") for a in box.xpath(".//p[@class='citation-downloads']/a")}
    assert links == {
        "CSL-JSON": "/volumes/frus1981-88v04/d328/cite.json",
        "BibTeX": "/volumes/frus1981-88v04/d328/cite.bib",
        "RIS": "/volumes/frus1981-88v04/d328/cite.ris",
        "Plain text": "/volumes/frus1981-88v04/d328/text.txt",
        "TEI": "/volumes/frus1981-88v04/d328/tei.xml",
    }
    for href in links.values():
        assert client.get(href).status_code == 200
    # No inline script: the page's scripts are files or data.
    for script in page.xpath("//script"):
        assert script.get("src") or script.get("type") == "application/ld+json"


def test_citation_box_on_the_volume_page(client, v04):
    page = page_head(client, "/volumes/frus1981-88v04/")
    box = page.xpath("//section[@class='citation-box']")[0]
    assert box.xpath(".//h2")[0].text_content() == "Cite this volume"
    assert [p.text_content() for p in box.xpath(".//p[@class='citation-text']")] == [V04_CHICAGO, V04_MLA]
    meta = [(m.get("name"), m.get("content")) for m in page.xpath("//meta[starts-with(@name, 'citation_')]")]
    assert ("citation_title", V04_TITLE) in meta and ("citation_volume", "IV") in meta


HIGHWIRE_MAPPINGS = {  # Zotero's Embedded Metadata translator: meta name -> Zotero field
    "citation_title": "title",
    "citation_publication_date": "date",
    "citation_date": "date",
    "citation_journal_title": "publicationTitle",
    "citation_inbook_title": "bookTitle",  # "publicationTitle", the base field of a book section's bookTitle
    "citation_book_title": "bookTitle",
    "citation_volume": "volume",
    "citation_issue": "issue",
    "citation_series_title": "series",
    "citation_publisher": "publisher",
    "citation_isbn": "ISBN",
    "citation_doi": "DOI",
    "citation_public_url": "url",
    "citation_language": "language",
}


def zotero_item(document) -> dict:
    """What Zotero's Embedded Metadata translator makes of a page's Highwire ``citation_*`` tags:
    the item type from the tags present (``citation_book_title``: a book section), the mapped
    fields (the first of each), authors from ``citation_author`` (several tags; "Last, First"),
    pages from the first and last page."""
    metas = [(m.get("name") or "", m.get("content") or "") for m in document.xpath("/html/head/meta")]
    names = {name for name, _ in metas}
    if "citation_journal_title" in names:
        item_type = "journalArticle"
    elif "citation_book_title" in names:
        item_type = "bookSection"
    elif "citation_title" in names or "citation_series_title" in names:
        item_type = "journalArticle"  # the translator's guess
    else:
        item_type = "webpage"
    item: dict = {"itemType": item_type, "creators": []}
    for name, content in metas:
        field = HIGHWIRE_MAPPINGS.get(name)
        if field and content.strip() and field not in item:
            item[field] = " ".join(content.split())
    authors = [content for name, content in metas if name == "citation_author"]
    for author in authors:
        names_in_tag = [a.strip() for a in author.split(";")]
        if len(names_in_tag) == 1 and len(authors) == 1:
            by_comma = [a.strip() for a in author.split(",")]
            if len(by_comma) > 1 and " " in by_comma[0] and " " in by_comma[1]:
                names_in_tag = by_comma
        for one in names_in_tag:
            if "," in one:
                last, _, first = one.partition(",")
            else:
                first, _, last = one.rpartition(" ")
            item["creators"].append({"lastName": last.strip(), "firstName": first.strip(), "creatorType": "author"})
    first = dict(metas).get("citation_firstpage")
    last = dict(metas).get("citation_lastpage")
    if first:
        item["pages"] = f"{first}-{last}" if last else first
    return item


def test_zotero_reads_the_meta_tags(client, d328):
    page = page_head(client, "/volumes/frus1981-88v04/d328/")
    assert zotero_item(page) == {
        "itemType": "bookSection",
        "title": "Letter From President Reagan to Soviet General Secretary Chernenko",
        "creators": [
            {"lastName": "Reagan", "firstName": "Ronald", "creatorType": "author"},
        ],
        "bookTitle": V04_TITLE,
        "series": "Foreign Relations of the United States",
        "volume": "IV",
        "date": "2021",
        "pages": "1170-1172",
        "publisher": "Office of the Historian",
        "language": "en",
        "url": D328_URL,
    }


def test_json_ld(client, d328):
    page = page_head(client, "/volumes/frus1981-88v04/d328/")
    scripts = page.xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    assert json.loads(scripts[0].text) == {
        "@context": "https://schema.org",
        "@type": "Chapter",
        "@id": D328_URL,
        "url": D328_URL,
        "name": "Letter From President Reagan to Soviet General Secretary Chernenko",
        "position": "328",
        "inLanguage": "en",
        "isAccessibleForFree": True,
        "author": [{"@type": "Person", "name": "Ronald Reagan", "familyName": "Reagan"}],
        "pageStart": "1170",
        "pageEnd": "1172",
        "isPartOf": {
            "@type": "Book",
            "name": V04_TITLE,
            "volumeNumber": "IV",
            "editor": [{"@type": "Person", "name": "Elizabeth C. Charles", "familyName": "Charles"}],
            "datePublished": "2021",
            "publisher": {"@type": "Organization", "name": "Office of the Historian"},
            "isPartOf": {"@type": "BookSeries", "name": "Foreign Relations of the United States"},
        },
    }


def test_everything_escaped(client, d328):
    hostile = 'A </script><script>alert(1)</script> & "quotes" {braces} 50% $x_1'
    Letter.objects.filter(pk=d328.pk).update(title=hostile)
    response = client.get("/volumes/frus1981-88v04/d328/")
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    page = lxml.html.fromstring(response.content)
    assert {m.get("name"): m.get("content") for m in page.xpath("//meta")}["citation_title"] == hostile
    ld = page.xpath("//script[@type='application/ld+json']")[0].text
    assert "<" not in ld and json.loads(ld)["name"] == hostile
    assert hostile in page.xpath("//p[@class='citation-text']")[0].text_content()
    bibtex = client.get("/volumes/frus1981-88v04/d328/cite.bib").content.decode()
    assert 'title = {{A </script><script>alert(1)</script> \\& "quotes" \\{braces\\} 50\\% \\$x\\_1}}' in bibtex
    assert re.search(r"^TI  - A </script>", client.get("/volumes/frus1981-88v04/d328/cite.ris").content.decode(), re.M)


# -- nothing unpublished -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["cite.json", "cite.bib", "cite.ris", "text.txt", "tei.xml"])
def test_unpublished_letters_are_not_cited(client, staff_client, d328, suffix):
    Letter.objects.filter(pk=d328.pk).update(status=Letter.Status.DRAFT)
    assert client.get(f"/volumes/frus1981-88v04/d328/{suffix}").status_code == 404
    assert staff_client.get(f"/volumes/frus1981-88v04/d328/{suffix}").status_code == 404


def test_no_citation_data_on_a_draft_page(staff_client, d328):
    Letter.objects.filter(pk=d328.pk).update(status=Letter.Status.DRAFT)
    page = page_head(staff_client, "/volumes/frus1981-88v04/d328/")
    assert not page.xpath("//section[@class='citation-box']")
    assert not page.xpath("//meta[starts-with(@name, 'citation_')]")
    assert not page.xpath("//script[@type='application/ld+json']")
    # A volume with nothing published is not public (issue 10, item 13): no page, no citation.
    assert staff_client.get("/volumes/frus1981-88v04/").status_code == 404


def test_organisation_sender_is_a_literal_author(d328):
    LetterPerson.objects.filter(letter=d328, role="sender").update(role="mentioned")
    link = LetterPerson.objects.filter(letter=d328, role="recipient").first()
    link.person.is_organization = True
    link.person.display_name = "Embassy in the Soviet Union"
    link.person.save()
    link.role = "sender"
    link.save()
    item = citing.letter_csl(d328, D328_URL)
    assert item["author"] == [{"literal": "Embassy in the Soviet Union"}]
    assert citing.to_bibtex(item).startswith(
        "@incollection{frus1981-88v04-d328,\n  author = {{Embassy in the Soviet Union}},"
    )
