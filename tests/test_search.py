"""Full-text search over the published letters: stemming and ranking on PostgreSQL, words elsewhere."""

import pytest
from django.db import connection

from catalog.models import Letter
from catalog.search import search as search_letters

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


def numbers(q):
    return sorted(search_letters(Letter.objects.all(), q).values_list("number", flat=True))


def test_words_in_the_text_or_heading(import_seeds):
    assert numbers("Backfire") == [193]
    assert numbers("Nitze Geneva") == [328]
    assert numbers("Chernenko") == [328]
    assert numbers("Gromyko") == [193, 328]
    assert numbers("Gromyko Backfire") == [193]
    assert numbers("zeppelin") == []


def test_the_list_page_searches(client, import_seeds):
    response = client.get("/letters/", {"q": "Backfire"})
    assert response.status_code == 200
    assert b"Letter From President Carter to Soviet General Secretary Brezhnev" in response.content
    assert b"Letter From President Reagan to Soviet General Secretary Chernenko" not in response.content


@postgres_only
def test_stemming_and_phrases(import_seeds):
    assert numbers("negotiate") == [193, 328]  # "negotiations" in both
    assert numbers('"arms control negotiations"') == [328]
    assert numbers("SALT -Geneva") == [193]


@postgres_only
def test_the_fulltext_index_exists(import_seeds):
    """One stored, weighted vector per letter (headings, bodies and footnotes; migration 0008)
    replaced the expression indexes on headings+bodies (0002) and on footnotes (0006)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%fulltext_gin'")
        assert cursor.fetchall() == []
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'letter_search_vector_gin'")
        [(definition,)] = cursor.fetchall()
    assert "gin" in definition.lower() and "search_vector" in definition


# -- the query language, bounded (issue 15; issue 10, item 2) -------------------------------------

from catalog import search  # noqa: E402


def test_parse_web_search_syntax():
    parsed = search.parse('"arms control" SALT or Backfire -Geneva negot*')
    assert str(parsed) == '"arms control" salt or backfire -geneva negot*'
    assert [[t.words for t in group] for group in parsed.groups] == [
        [("arms", "control")],
        [("salt",), ("backfire",)],
        [("geneva",)],
        [("negot",)],
    ]
    assert parsed.groups[3][0].prefix and parsed.groups[2][0].negated


@pytest.mark.parametrize(
    "q",
    ['"', '""""', "-", "or", "or or", "*", "-*", '"unclosed phrase', "((a))", "a & b | !c", "\t\n", "   "],
)
def test_malformed_queries_never_error(client, import_seeds, q):
    response = client.get("/letters/", {"q": q})
    assert response.status_code == 200
    assert client.get("/api/letters/", {"q": q}).status_code == 200


def test_queries_are_bounded_before_the_database_sees_them():
    assert len(search.normalise("w " * 18_700)) <= search.MAX_QUERY_CHARS
    assert sum(len(g) for g in search.parse("w " * 18_700).groups) == search.MAX_TERMS
    assert not search.parse('"' * 100_000)
    assert search.normalise("a\x00b") == "a b"
    assert len(search.parse("x" * 1_000_000).groups[0][0].words[0]) == search.MAX_TERM_CHARS


def test_nul_in_a_query_is_refused_before_the_database(client, import_seeds):
    for url in ("/letters/", "/api/letters/"):
        assert client.get(url, {"q": "\x00\x01"}).status_code == 400


@pytest.mark.parametrize(
    "q",
    ["w " * 18_700, '"' * 100_000, "x" * 1_000_000, ("negotiation " * 90_000)[:1_000_000], '"w ' * 30_000],
    ids=["37KB-w", "100k-quotes", "1MB-x", "1MB-words", "quoted-w"],
)
def test_huge_queries_are_refused_before_the_database(client, import_seeds, q):
    """On PostgreSQL these gave "stack depth limit exceeded" or took 6.7 s (issue 10, item 2). A
    parameter over REQUEST_MAX_PARAMETER_LENGTH is refused (400) before any query runs."""
    from django.test.utils import CaptureQueriesContext

    for url in ("/letters/", "/api/letters/"):
        with CaptureQueriesContext(connection) as context:
            response = client.get(url, {"q": q})
        assert response.status_code == 400
        assert context.captured_queries == []


@pytest.mark.parametrize(
    "q",
    ["w " * 2_000, '"' * 4_000, "x" * 4_000, ("negotiation " * 400)[:4_000], '"w ' * 1_300],
    ids=["4KB-w", "4k-quotes", "4KB-x", "4KB-words", "quoted-w"],
)
def test_long_queries_answer_quickly(client, import_seeds, q):
    """Just under the request limit, the search module bounds and normalises the query: the database
    sees at most a few hundred characters of it, and answers as fast as for a word."""
    import time

    from django.test.utils import CaptureQueriesContext

    for url in ("/letters/", "/api/letters/"):
        started = time.monotonic()
        with CaptureQueriesContext(connection) as context:
            response = client.get(url, {"q": q})
        assert response.status_code == 200
        assert time.monotonic() - started < 5.0  # generous: a shared CI machine; the bound is below
        assert max(len(query["sql"]) for query in context.captured_queries) < 12_000
        assert len(response.content) < 200_000


# -- scopes, snippets, ranking --------------------------------------------------------------------


def scoped(q, scope):
    return sorted(search_letters(Letter.objects.all(), q, scope).values_list("number", flat=True))


def test_footnotes_are_searched_and_scoped(import_seeds):
    # "Public Papers" occurs only in d328's footnote 6; "outer space" only in its body; "Geneva" in both.
    assert scoped("Public Papers", "all") == [328]
    assert scoped("Public Papers", "footnotes") == [328]
    assert scoped("Public Papers", "body") == []
    assert scoped('"outer space"', "body") == [328]
    assert scoped('"outer space"', "footnotes") == []
    assert scoped("Geneva", "body") == scoped("Geneva", "footnotes") == [328]
    assert scoped("Backfire", "bogus") == [193]  # an unknown scope is "all"


def test_snippets_mark_the_matches_and_escape_the_text(client, import_seeds):
    letter = Letter.objects.get(number=193)
    letter.body = [{"tag": "p", "children": ['<script>alert("x")</script> & the Backfire bomber']}]
    letter.save()
    response = client.get("/letters/", {"q": "Backfire"})
    [row] = response.context["rows"]
    [snippet] = row["snippets"]
    assert snippet.where == "text"
    html = str(snippet.html)
    assert "<script" not in html and "<mark>Backfire</mark>" in html
    assert '<p class="snippet"><span class="snippet-where">text:</span>' in response.content.decode()


def test_footnote_snippets(client, import_seeds):
    response = client.get("/letters/", {"q": "Public Papers", "scope": "footnotes"})
    [row] = response.context["rows"]
    [snippet] = row["snippets"]
    assert snippet.where.startswith("footnote ")
    assert "<mark>" in str(snippet.html)


def test_a_mark_in_the_text_cannot_open_a_tag(client, import_seeds):
    """The private-use characters that mark matches are removed from what a reader types, and the
    text is escaped before they become <mark>."""
    letter = Letter.objects.get(number=193)
    letter.body = [{"tag": "p", "children": ["\ue000<b>Backfire</b>\ue001"]}]
    letter.save()
    [row] = client.get("/letters/", {"q": "Backfire \ue000"}).context["rows"]
    html = str(row["snippets"][0].html)
    assert "<b>" not in html and "<mark>Backfire</mark>" in html
    assert search._from_headline("<b>x</b> \ue000y\ue001") == "&lt;b&gt;x&lt;/b&gt; <mark>y</mark>"
    assert search._highlight_plain("<i>Backfire</i> &", ["backfire", "amp"]) == (
        "&lt;i&gt;<mark>Backfire</mark>&lt;/i&gt; &amp;"
    )


@postgres_only
def test_prefix_or_and_ranking(import_seeds):
    assert numbers("negot*") == [193, 328]
    assert numbers("Backfire or Chernenko") == [193, 328]
    assert numbers("Backfire -Backfire") == []
    ranked = list(search_letters(Letter.objects.all(), "Chernenko Gromyko").order_by("-rank"))
    assert [letter.number for letter in ranked] == [328]
    ranked = list(search_letters(Letter.objects.all(), "Gromyko").order_by("-rank", "number"))
    assert len(ranked) == 2 and ranked[0].rank >= ranked[1].rank
