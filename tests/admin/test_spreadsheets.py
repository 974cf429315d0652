"""Bulk corrections with spreadsheets (catalog/resources.py): export, previewed update-only import."""

import csv
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import locking
from catalog.models import ArchivalSource, Letter, Person, Revision

FORMATS = {"csv": "0", "xlsx": "1", "json": "2"}


def export(client, model, fmt, query=""):
    url = reverse(f"admin:catalog_{model}_export") + query
    page = client.get(url)
    assert page.status_code == 200
    data = {name: "on" for name in page.context["form"].fields if "resource_" in name}  # every column
    data.update({"format": FORMATS[fmt], "resource": "0"})
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:300]
    return response


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def to_csv(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(client, model, content, fmt="csv", name=None):
    url = reverse(f"admin:catalog_{model}_import")
    upload = SimpleUploadedFile(name or f"corrections.{fmt}", content)
    return client.post(url, {"import_file": upload, "format": FORMATS[fmt], "resource": "0"})


def confirm(client, model, preview):
    form = preview.context["confirm_form"]
    assert form is not None, preview.content.decode()[:2000]
    data = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    return client.post(reverse(f"admin:catalog_{model}_process_import"), data, follow=True)


def test_people_round_trip_changes_only_what_the_sheet_changes(staff_client, import_seeds):
    rows = csv_rows(export(staff_client, "person", "csv"))
    assert len(rows) == 8 and "version" in rows[0] and "slug" in rows[0]
    gromyko = next(row for row in rows if row["slug"] == "gromyko")
    gromyko["description"] = "Soviet Foreign Minister"
    preview = upload(staff_client, "person", to_csv(rows))
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["update"] == 1 and result.totals["skip"] == 7 and result.totals["new"] == 0
    assert Person.objects.get(slug="gromyko").description != "Soviet Foreign Minister"  # a preview writes nothing
    confirm(staff_client, "person", preview)
    person = Person.objects.get(slug="gromyko")
    assert person.description == "Soviet Foreign Minister"
    revision = Revision.objects.get(target_model="person", target_id=person.pk)
    assert (revision.origin, revision.user, list(revision.changes)) == (
        "spreadsheet",
        staff_client.user,
        ["description"],
    )


def test_a_bad_row_names_its_number_and_nothing_is_written(staff_client, import_seeds):
    rows = csv_rows(export(staff_client, "person", "csv"))
    rows[0]["description"] = "Changed"
    rows[3]["slug"] = "nobody-of-that-name"
    preview = upload(staff_client, "person", to_csv(rows))
    html = preview.content.decode()
    assert "Line number: 4" in html
    assert "No person with slug=&#x27;nobody-of-that-name&#x27;: this import only updates existing records." in html
    assert preview.context.get("confirm_form") is None
    assert not Person.objects.filter(description="Changed").exists()


def test_a_record_changed_since_the_export_is_a_conflict(staff_client, import_seeds):
    rows = csv_rows(export(staff_client, "archivalsource", "csv"))
    rows[0]["folder"] = "Folder 9"
    source = ArchivalSource.objects.get(pk=rows[0]["id"])
    source.box = "70"
    source.save()  # someone else's change after the export
    preview = upload(staff_client, "archivalsource", to_csv(rows))
    html = preview.content.decode()
    assert "Line number: 1" in html
    assert "This archival source was changed after the export" in html
    folder = source.folder
    source.refresh_from_db()
    assert (source.box, source.folder) == ("70", folder)


def test_letter_metadata_keyed_on_volume_and_number(staff_client, d193, d328):
    rows = csv_rows(export(staff_client, "letter", "csv"))
    assert [(row["volume"], row["number"]) for row in rows] == [("frus1969-76v33", "193"), ("frus1981-88v04", "328")]
    rows[1]["place"] = "Washington"
    rows[1]["status"] = "draft"  # read-only: the workflow moves status, not a spreadsheet
    preview = upload(staff_client, "letter", to_csv(rows))
    assert preview.context["result"].totals["update"] == 1
    confirm(staff_client, "letter", preview)
    d328.refresh_from_db()
    assert (d328.place, d328.status) == ("Washington", "published")
    assert d328.revisions.get(origin="spreadsheet").changes == {"place": ["", "Washington"]}


def test_xlsx_and_json_exports_import_back_unchanged(staff_client, import_seeds):
    xlsx = export(staff_client, "person", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[1]][:2] == ["slug", "display_name"]
    preview = upload(staff_client, "person", xlsx.content, "xlsx")
    assert preview.context["result"].totals["skip"] == 8
    data = json.loads(export(staff_client, "person", "json").content)
    assert {row["slug"] for row in data} >= {"gromyko", "jimmy-carter"}
    preview = upload(staff_client, "person", json.dumps(data).encode(), "json")
    assert preview.context["result"].totals["skip"] == 8


def test_the_export_follows_the_filtered_list(staff_client, d193, d328):
    Letter.objects.filter(pk=d328.pk).update(status="draft")
    rows = csv_rows(export(staff_client, "letter", "csv", "?status__exact=draft"))
    assert [row["number"] for row in rows] == ["328"]


@pytest.mark.parametrize(
    "value",
    ["=1+1", '==HYPERLINK("http://evil","x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx"],
)
def test_formulae_are_neutralised_in_csv_and_xlsx(staff_client, import_seeds, value):
    """Issue 10, item 4: every cell starting with =, +, -, @, tab or CR is made inert."""
    Person.objects.filter(slug="gromyko").update(description=value)
    row = next(r for r in csv_rows(export(staff_client, "person", "csv")) if r["slug"] == "gromyko")
    assert row["description"] == "'" + value
    sheet = openpyxl.load_workbook(io.BytesIO(export(staff_client, "person", "xlsx").content)).active
    header = [cell.value for cell in sheet[1]]
    cells = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[header.index("slug")] == "gromyko"]
    assert cells[0][header.index("description")] == "'" + value
    # …and the exported file imports back as it was (the apostrophe is the export's, not data);
    # a carriage return is read back as a line break by any CSV reader, so that one row differs.
    preview = upload(staff_client, "person", export(staff_client, "person", "csv").content)
    assert preview.context["result"].totals["skip"] == (7 if "\r" in value else 8)


def test_an_unknown_export_format_is_not_a_server_error(staff_client, import_seeds):
    """Issue 10, item 3: /admin/catalog/letter/export/?format=abc."""
    for query in ("?format=abc", "?format=99", "?format=-1"):
        response = staff_client.get(reverse("admin:catalog_letter_export") + query, follow=True)
        assert response.status_code == 200
        assert "Unknown export format" in response.content.decode()
    response = staff_client.post(reverse("admin:catalog_letter_export"), {"format": "abc"}, follow=True)
    assert response.status_code == 200
    # A valid format or any other parameter in the query string is no filter of the list either.
    for query in ("?format=0", "?nonsense=1", "?volume__id__exact=abc"):
        response = staff_client.get(reverse("admin:catalog_letter_export") + query, follow=True)
        assert response.status_code == 200
        assert "The export&#x27;s filters are not filters of this list" in response.content.decode()


def test_importers_and_editors_permissions(importers, editors, import_seeds):
    assert importers.get(reverse("admin:catalog_person_import")).status_code == 403
    assert editors.get(reverse("admin:catalog_person_import")).status_code == 200
    assert importers.get(reverse("admin:catalog_person_export")).status_code == 200
    assert locking.token(Person.objects.first())
