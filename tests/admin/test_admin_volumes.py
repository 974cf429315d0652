"""Volumes in the admin: identifiers are slugs (issue 10, item 5), and whole-volume moves."""

import pytest
from django.urls import reverse

from catalog.models import Revision, Volume


@pytest.mark.parametrize("identifier", ["evil id/../x", "<b>bad id", "frus 1969", "a/b", "ü-volume"])
def test_a_volume_identifier_must_be_a_slug(staff_client, import_seeds, form_data, identifier):
    volume = Volume.objects.get(identifier="frus1969-76v33")
    url = reverse("admin:catalog_volume_change", args=[volume.pk])
    data = form_data(staff_client.get(url))
    data.update({"identifier": [identifier], "_save": ["Save"]})
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["identifier"] == [
        "A volume identifier is part of the public addresses: use only letters, digits, hyphens and "
        "underscores (e.g. frus1969-76v33), no spaces, slashes or markup."
    ]
    volume.refresh_from_db()
    assert volume.identifier == "frus1969-76v33"
    assert not Revision.objects.filter(target_model="volume").exists()
    assert staff_client.get("/").status_code == 200
