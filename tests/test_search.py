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
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'letter_fulltext_gin'")
        [(definition,)] = cursor.fetchall()
    assert "gin" in definition.lower() and "to_tsvector" in definition
