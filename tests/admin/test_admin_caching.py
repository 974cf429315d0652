"""Editors' saves in the admin reach readers at once through the public page cache
(catalog/caching.py): a letter, one of its footnotes, a person."""

from django.test import Client
from django.urls import reverse

D193 = "/volumes/frus1969-76v33/d193/"


def _save(staff_client, url, form_data, form_id, change, capture):
    data = form_data(staff_client.get(url), form_id)
    change(data)
    data["_save"] = ["Save"]
    with capture(execute=True):
        response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_an_admin_edit_of_a_letter_shows_at_once(
    staff_client, d193, form_data, page_cache, django_capture_on_commit_callbacks
):
    reader = Client()
    assert "Carter writes to Brezhnev" not in reader.get(D193).content.decode()
    assert reader.get("/letters/").status_code == 200
    url = reverse("admin:catalog_letter_change", args=[d193.pk])
    _save(staff_client, url, form_data, "letter_form", lambda d: d.update(title=["Carter writes to Brezhnev"]),
          django_capture_on_commit_callbacks)  # fmt: skip
    assert "Carter writes to Brezhnev" in reader.get(D193).content.decode()
    assert "Carter writes to Brezhnev" in reader.get("/letters/").content.decode()
    assert reader.get("/api/letters/frus1969-76v33/193/").json()["title"] == "Carter writes to Brezhnev"


def test_an_admin_edit_of_a_footnote_shows_at_once(
    staff_client, d193, form_data, page_cache, django_capture_on_commit_callbacks
):
    footnote = d193.footnotes.order_by("number").last()
    word = footnote.text.split()[-1].strip(".")
    reader = Client()
    assert word in reader.get(D193).content.decode()

    def change(data):
        [key] = [
            k for k, v in data.items() if k.startswith("footnotes-") and k.endswith("-text") and v == [footnote.text]
        ]
        data[key] = [footnote.text.replace(word, "Zanzibar")]

    url = reverse("admin:catalog_letter_change", args=[d193.pk])
    _save(staff_client, url, form_data, "letter_form", change, django_capture_on_commit_callbacks)
    assert "Zanzibar" in reader.get(D193).content.decode()


def test_an_admin_edit_of_a_person_shows_at_once(
    staff_client, import_seeds, form_data, page_cache, django_capture_on_commit_callbacks
):
    from catalog.models import Person

    carter = Person.objects.get(slug="jimmy-carter")
    reader = Client()
    assert "James Earl Carter" not in reader.get("/people/jimmy-carter/").content.decode()
    assert "James Earl Carter" not in reader.get(D193).content.decode()
    url = reverse("admin:catalog_person_change", args=[carter.pk])
    _save(staff_client, url, form_data, "person_form", lambda d: d.update(display_name=["James Earl Carter"]),
          django_capture_on_commit_callbacks)  # fmt: skip
    assert "James Earl Carter" in reader.get("/people/jimmy-carter/").content.decode()
    assert "James Earl Carter" in reader.get(D193).content.decode()
    assert "James Earl Carter" in reader.get("/people/").content.decode()
