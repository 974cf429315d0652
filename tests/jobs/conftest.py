"""Fixtures for the job tests: a scratch MEDIA_ROOT, and stored uploads as the upload view keeps them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.uploads import store_uploads


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stored():
    """``stored(name_and_bytes, ...)`` → (directory, files), checked and kept as an upload is."""

    def store(*files):
        return store_uploads([SimpleUploadedFile(name, content) for name, content in files])

    return store
