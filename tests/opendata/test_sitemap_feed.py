"""``/sitemap.xml`` (an index of section pages once large) and the Atom feed ``/feeds/latest/``:
published letters only (catalog.sitemaps, catalog.feeds)."""

import datetime as dt

from lxml import etree

from catalog.models import Letter

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


def xml(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return etree.fromstring(response.content)


def test_sitemap_lists_published_letters_and_their_volumes(client, d328, d193):
    Letter.objects.filter(pk=d193.pk).update(status=Letter.Status.DRAFT)
    Letter.objects.create(volume=d328.volume, number=400, title="A draft", status="review")
    Letter.objects.filter(pk=d328.pk).update(modified=dt.datetime(2025, 5, 6, 12, tzinfo=dt.UTC))
    root = xml(client, "/sitemap.xml")
    assert root.tag == f"{SM}urlset"
    urls = [(u.findtext(f"{SM}loc"), u.findtext(f"{SM}lastmod")) for u in root.iter(f"{SM}url")]
    assert urls == [
        ("http://testserver/volumes/frus1981-88v04/", None),
        ("http://testserver/volumes/frus1981-88v04/d328/", "2025-05-06"),
    ]


def test_sitemap_becomes_an_index_when_large(client, d328, d193, settings):
    settings.SITEMAP_PAGE_SIZE = 1
    root = xml(client, "/sitemap.xml")
    assert root.tag == f"{SM}sitemapindex"
    pages = [s.findtext(f"{SM}loc") for s in root.iter(f"{SM}sitemap")]
    assert pages == [
        "http://testserver/sitemap-volumes.xml",
        "http://testserver/sitemap-volumes.xml?p=2",
        "http://testserver/sitemap-letters.xml",
        "http://testserver/sitemap-letters.xml?p=2",
    ]
    seen = []
    for page in pages:
        seen += [u.findtext(f"{SM}loc") for u in xml(client, page.removeprefix("http://testserver")).iter(f"{SM}url")]
    assert seen == [
        "http://testserver/volumes/frus1969-76v33/",
        "http://testserver/volumes/frus1981-88v04/",
        "http://testserver/volumes/frus1969-76v33/d193/",
        "http://testserver/volumes/frus1981-88v04/d328/",
    ]
    assert client.get("/sitemap-letters.xml?p=3").status_code == 404
    assert client.get("/sitemap-unknown.xml").status_code == 404


def test_atom_feed_of_newly_published_letters(client, d328, d193):
    Letter.objects.filter(pk=d193.pk).update(published_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    Letter.objects.filter(pk=d328.pk).update(published_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))
    Letter.objects.create(volume=d328.volume, number=400, title="A draft", status="draft")
    response = client.get("/feeds/latest/")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Letterbook: newly published letters"
    entries = [
        (
            e.findtext(f"{ATOM}title"),
            e.find(f"{ATOM}link").get("href"),
            e.findtext(f"{ATOM}published"),
            e.findtext(f"{ATOM}author/{ATOM}name"),
        )
        for e in root.iter(f"{ATOM}entry")
    ]
    reagan = "Letter From President Reagan to Soviet General Secretary Chernenko"
    carter = "Letter From President Carter to Soviet General Secretary Brezhnev"
    assert entries == [
        (
            f"FRUS, 1981–1988, Volume IV, Document 328: {reagan}",
            "http://testserver/volumes/frus1981-88v04/d328/",
            "2025-02-01T00:00:00+00:00",
            "Ronald Reagan",
        ),
        (
            f"FRUS, 1969–1976, Volume XXXIII, Document 193: {carter}",
            "http://testserver/volumes/frus1969-76v33/d193/",
            "2025-01-01T00:00:00+00:00",
            "Jimmy Carter",
        ),
    ]
    # Withdrawn: gone from the feed.
    Letter.objects.filter(pk=d328.pk).update(status=Letter.Status.DRAFT)
    root = etree.fromstring(client.get("/feeds/latest/").content)
    assert [e.find(f"{ATOM}link").get("href") for e in root.iter(f"{ATOM}entry")] == [
        "http://testserver/volumes/frus1969-76v33/d193/"
    ]


def test_feed_query_count(client, d328, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        client.get("/feeds/latest/")
