"""Exports (django-import-export): letters and people as CSV from the admin."""

import csv
import io

from django.urls import reverse

from catalog import locking
from catalog.models import Letter


def export_csv(client, form_data, model_name, query=""):
    url = reverse(f"admin:catalog_{model_name}_export") + query
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    csv_index = next(value for value, label in form.fields["format"].choices if label.lower() == "csv")
    data = form_data(page)
    assert "letterresource_title" in data or "personresource_display_name" in data
    data["format"] = [str(csv_index)]
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_export_letters_csv(staff_client, import_seeds, form_data):
    rows = export_csv(staff_client, form_data, "letter")
    assert list(rows[0]) == [
        "volume",
        "number",
        "title",
        "doc_type",
        "date_min",
        "date_max",
        "date_precision",
        "place",
        "dateline",
        "classification",
        "page_start",
        "page_end",
        "status",
        "version",
    ]
    letters = Letter.objects.order_by("volume__identifier")
    assert [row["version"] for row in rows] == [locking.token(letter) for letter in letters]
    shown = ["volume", "number", "title", "doc_type", "date_min", "date_max", "classification"]
    shown += ["page_start", "page_end", "status"]
    assert [{name: row[name] for name in shown} for row in rows] == [
        {
            "volume": "frus1969-76v33",
            "number": "193",
            "title": "Letter From President Carter to Soviet General Secretary Brezhnev",
            "doc_type": "letter",
            "date_min": "",
            "date_max": "",
            "classification": "No classification marking",
            "page_start": "807",
            "page_end": "808",
            "status": "published",
        },
        {
            "volume": "frus1981-88v04",
            "number": "328",
            "title": "Letter From President Reagan to Soviet General Secretary Chernenko",
            "doc_type": "letter",
            "date_min": "",
            "date_max": "",
            "classification": "Secret",
            "page_start": "1170",
            "page_end": "1172",
            "status": "published",
        },
    ]


def test_export_respects_the_changelist_filters(staff_client, d193, d328, form_data):
    Letter.objects.filter(pk=d328.pk).update(status=Letter.Status.DRAFT)
    rows = export_csv(staff_client, form_data, "letter", "?status__exact=draft")
    assert [(row["volume"], row["number"], row["status"]) for row in rows] == [("frus1981-88v04", "328", "draft")]


def test_export_people_csv(staff_client, import_seeds, form_data):
    rows = export_csv(staff_client, form_data, "person")
    by_name = {row["display_name"]: row for row in rows}
    assert sorted(by_name) == [
        "Brezhnev",
        "Chernenko",
        "Dobrynin",
        "George Shultz",
        "Gromyko",
        "Jimmy Carter",
        "Paul Nitze",
        "Ronald Reagan",
    ]
    gromyko = by_name["Gromyko"]
    assert gromyko["letters"] == "2"
    assert gromyko["slug"] == "gromyko"
    assert "Foreign Minister" in gromyko["titles"]
    assert by_name["Jimmy Carter"]["sort_name"] == "Carter, Jimmy"


def test_export_button_on_the_changelist(staff_client, import_seeds):
    html = staff_client.get(reverse("admin:catalog_letter_changelist")).content.decode()
    assert reverse("admin:catalog_letter_export") in html
