"""Edits in the admin reach the stored search index at once (issue 12; PostgreSQL's index)."""

import pytest
from django.db import connection
from django.urls import reverse

from catalog.models import Letter
from catalog.search import search

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored index")


def found(q, scope="all"):
    return sorted(search(Letter.objects.all(), q, scope).values_list("number", flat=True))


def test_a_heading_edited_in_the_admin_is_found(staff_client, d193, form_data):
    url = reverse("admin:catalog_letter_change", args=[d193.pk])
    data = form_data(staff_client.get(url), "letter_form")
    data.update({"title": ["Letter about the Zeppelin question"], "_save": ["Save"]})
    assert staff_client.post(url, data).status_code == 302
    assert found("zeppelin") == [193]
    assert found("zeppelin", "body") == [193]  # the heading is in the "body" scope
    assert found("zeppelin", "footnotes") == []


def test_a_reverted_edit_leaves_the_index(staff_client, d193, form_data):
    from catalog import revisions
    from catalog.models import Revision

    url = reverse("admin:catalog_letter_change", args=[d193.pk])
    data = form_data(staff_client.get(url), "letter_form")
    data.update({"title": ["Letter about the Zeppelin question"], "_save": ["Save"]})
    staff_client.post(url, data)
    revision = Revision.objects.filter(letter=d193).latest("pk")
    revisions.revert(revision, None)
    assert found("zeppelin") == []
