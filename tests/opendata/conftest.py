"""Fixtures for citing and harvesting: seed 004 (d328) in a volume whose front matter an editor
has filled in (title, editors, year, as a TEI header gives them), and stable absolute URLs."""

import pytest

from catalog.models import Letter, Volume

BASE = "https://letterbook.example.org"
V04_TITLE = "Foreign Relations of the United States, 1981–1988, Volume IV, Soviet Union, January 1983–March 1985"


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.OAI_REPOSITORY_IDENTIFIER = "letterbook.example.org"


@pytest.fixture
def v04(import_seeds):
    volume = Volume.objects.get(identifier="frus1981-88v04")
    volume.title = V04_TITLE
    volume.editors = [
        {"name": "Elizabeth C. Charles", "role": "editor"},
        {"name": "Adam M. Howard", "role": "General Editor"},
    ]
    volume.year_published = 2021
    volume.save()
    return volume


@pytest.fixture
def d328(v04):
    return Letter.objects.select_related("volume").get(volume=v04, number=328)


@pytest.fixture
def d193(import_seeds):
    return Letter.objects.select_related("volume").get(volume__identifier="frus1969-76v33", number=193)
