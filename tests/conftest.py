"""Shared fixtures: the seed documents and corpus excerpts, imported through the real pipeline."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

SEED_CARTER = FIXTURES / "frus1969-76v33" / "000_dd5f1a60df42d359.txt"  # d193, Carter to Brezhnev
SEED_REAGAN = FIXTURES / "frus1981-88v04" / "004_6dcdaea1339803ab.txt"  # d328, Reagan to Chernenko
TEI_V33 = FIXTURES / "frus1969-76v33-excerpt.xml"
TEI_QUEBEC = FIXTURES / "frus1944Quebec-excerpt.xml"


@pytest.fixture
def seed_carter():
    return SEED_CARTER


@pytest.fixture
def seed_reagan():
    return SEED_REAGAN


@pytest.fixture
def import_seeds(db):
    """Both seed letters imported and published: d193 in frus1969-76v33, d328 in frus1981-88v04."""
    from catalog.ingest.pipeline import import_paths

    first = import_paths([SEED_CARTER], identifier="frus1969-76v33", publish=True)
    second = import_paths([SEED_REAGAN], identifier="frus1981-88v04", publish=True)
    assert not first.failures and not second.failures
    return first.reports + second.reports


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw-for-tests", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def import_catalog(import_seeds):
    """The seeds, then the TEI excerpts of frus1969-76v33 (d188–d198, dated, classified, with a
    persons list) and frus1944Quebec (d1–d8, 1944): 20 published letters in three volumes."""
    from catalog.ingest.pipeline import import_paths

    result = import_paths([TEI_V33, TEI_QUEBEC], publish=True)
    assert not result.failures, result.failures
    return result.reports


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache (the page cache, rate limits): the local-memory cache
    outlives a test's database."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page_cache(settings):
    """The public page cache on (test settings leave it off; see archive/settings_test.py)."""
    settings.PUBLIC_PAGE_CACHE = True
    return settings
