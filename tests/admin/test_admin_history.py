"""Corrections with full history: every editor change is a Revision, and an import never loses one."""

import pytest
from django.urls import reverse

from catalog.ingest.pipeline import import_paths
from catalog.models import Letter, Person, Revision

CARTER_TITLE = "Letter From President Carter to Soviet General Secretary Brezhnev"
EDITOR_TITLE = "Letter From President Carter to General Secretary Leonid Brezhnev"
RELEASE_TITLE = "Letter From President Carter to Soviet General Secretary Brezhnev (revised release)"


def change_url(letter):
    return reverse("admin:catalog_letter_change", args=[letter.pk])


def edit(client, letter, form_data, **changes):
    """Open the letter's change page, change what is given, save: what an editor does in a browser."""
    data = form_data(client.get(change_url(letter)), "letter_form")
    for name, value in changes.items():
        data[name] = [value]
    data["_save"] = ["Save"]
    response = client.post(change_url(letter), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


@pytest.fixture
def corrected_release(tmp_path, seed_carter):
    """A corrected release of d193 whose heading differs from the first one."""
    folder = tmp_path / "frus1969-76v33"
    folder.mkdir()
    text = seed_carter.read_text(encoding="utf-8")
    assert CARTER_TITLE in text
    path = folder / seed_carter.name
    path.write_text(text.replace(CARTER_TITLE, RELEASE_TITLE, 1), encoding="utf-8")
    return path


def test_editor_change_writes_a_revision(staff_client, d193, form_data):
    edit(
        staff_client,
        d193,
        form_data,
        title=EDITOR_TITLE,
        revision_comment="Brezhnev's forename, as in the Persons list",
    )
    d193.refresh_from_db()
    assert d193.title == EDITOR_TITLE
    revision = Revision.objects.get(letter=d193, origin="editor")
    assert revision.user == staff_client.user
    assert revision.changes == {"title": [CARTER_TITLE, EDITOR_TITLE]}
    assert revision.comment == "Brezhnev's forename, as in the Persons list"


def test_saving_without_a_change_writes_no_revision(staff_client, d193, d328, form_data, seed_carter):
    before = d193.import_snapshot
    for letter in (d193, d328):
        edit(staff_client, letter, form_data)
    assert not Revision.objects.filter(origin="editor").exists()
    d193.refresh_from_db()
    assert d193.import_snapshot == before
    # And the importer sees no correction either: the same file is unchanged.
    result = import_paths([seed_carter], identifier="frus1969-76v33")
    assert result.reports[0].unchanged == [193] and not result.reports[0].conflicts


def test_reimport_keeps_the_editors_title_and_reports_a_conflict(staff_client, d193, form_data, corrected_release):
    edit(staff_client, d193, form_data, title=EDITOR_TITLE)
    result = import_paths([corrected_release], identifier="frus1969-76v33")
    assert not result.failures
    report = result.reports[0]
    conflicts = [(c.number, c.field, c.editor_value, c.import_value, c.forced) for c in report.conflicts]
    assert conflicts == [(193, "title", EDITOR_TITLE, RELEASE_TITLE, False)]
    d193.refresh_from_db()
    assert d193.title == EDITOR_TITLE
    editor = Revision.objects.get(letter=d193, origin="editor")
    assert editor.changes == {"title": [CARTER_TITLE, EDITOR_TITLE]}
    conflict = Revision.objects.get(letter=d193, origin="conflict")
    assert conflict.changes == {"title": [EDITOR_TITLE, RELEASE_TITLE]}
    # The letter's page shows the whole story.
    html = staff_client.get(change_url(d193)).content.decode()
    assert "Import conflict (editor&#x27;s value kept)" in html
    assert "corrected since the last import" in html.lower()


def test_reimporting_the_same_release_keeps_the_editors_title_silently(staff_client, d193, form_data, seed_carter):
    edit(staff_client, d193, form_data, title=EDITOR_TITLE)
    result = import_paths([seed_carter], identifier="frus1969-76v33")
    assert result.reports[0].unchanged == [193]
    assert result.reports[0].conflicts == []
    d193.refresh_from_db()
    assert d193.title == EDITOR_TITLE


def test_forced_import_overrides_and_is_recorded(staff_client, d193, form_data, corrected_release):
    edit(staff_client, d193, form_data, title=EDITOR_TITLE)
    result = import_paths([corrected_release], identifier="frus1969-76v33", force=True)
    conflicts = [(c.field, c.forced) for c in result.reports[0].conflicts]
    assert conflicts == [("title", True)]
    d193.refresh_from_db()
    assert d193.title == RELEASE_TITLE
    forced = Revision.objects.get(letter=d193, origin="forced")
    assert forced.changes == {"title": [EDITOR_TITLE, RELEASE_TITLE]}
    # The editor's value is not lost: it is in the history.
    assert Revision.objects.get(letter=d193, origin="editor").changes["title"][1] == EDITOR_TITLE


def test_footnote_correction_is_recorded_and_kept(staff_client, d193, form_data, seed_carter):
    old = d193.footnotes.get(number=2).text
    new = old.replace("Brezhnev’s January 12 letter", "Brezhnev’s letter of January 12", 1)
    edit(staff_client, d193, form_data, **{"footnotes-1-text": new.replace("\n", "\r\n")})
    note = d193.footnotes.get(number=2)
    assert note.text == new
    assert note.content == [new]
    revision = Revision.objects.get(letter=d193, origin="editor")
    assert revision.changes == {"footnote 2": [old, new]}
    result = import_paths([seed_carter], identifier="frus1969-76v33")
    assert result.reports[0].unchanged == [193]
    assert d193.footnotes.get(number=2).text == new


def test_field_and_inline_changes_in_one_revision(staff_client, d193, form_data):
    gromyko = Person.objects.get(display_name="Gromyko")
    data_changes = {
        "date_min_0": "1978-01-25",
        "date_min_1": "00:00:00",
        "date_precision": "day",
        "classification": "Secret",
        "letter_people-1-name_as_written": "Foreign Minister A. A. Gromyko",
    }
    edit(staff_client, d193, form_data, **data_changes)
    revision = Revision.objects.get(letter=d193, origin="editor")
    assert set(revision.changes) == {"date_min", "date_precision", "classification", "people"}
    assert revision.changes["date_min"] == [None, "1978-01-25T05:00:00+00:00"]  # midnight in Washington
    assert revision.changes["classification"] == ["No classification marking", "Secret"]
    old_people, new_people = revision.changes["people"]
    assert ["Gromyko", "mentioned", "Foreign Minister Gromyko"] in old_people
    assert ["Gromyko", "mentioned", "Foreign Minister A. A. Gromyko"] in new_people
    assert d193.letter_people.get(person=gromyko).name_as_written == "Foreign Minister A. A. Gromyko"


def test_history_section_lists_revisions(staff_client, d193, form_data):
    edit(staff_client, d193, form_data, title=EDITOR_TITLE)
    response = staff_client.get(change_url(d193))
    html = response.content.decode()
    assert "letterbook-history" in html
    assert "<td>Editor</td>" in html and "<td>Import</td>" in html
    assert f"<td>{staff_client.user.username}</td>" in html
    assert "<strong>title</strong>" in html


def test_revision_admin_is_read_only(staff_client, d193, form_data):
    edit(staff_client, d193, form_data, title=EDITOR_TITLE)
    revision = Revision.objects.get(origin="editor")
    page = staff_client.get(reverse("admin:catalog_revision_change", args=[revision.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and EDITOR_TITLE in html and 'name="_save"' not in html
    assert staff_client.get(reverse("admin:catalog_revision_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:catalog_revision_delete", args=[revision.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert (
        staff_client.post(
            reverse("admin:catalog_revision_change", args=[revision.pk]), {"comment": "rewritten"}
        ).status_code
        == 403
    )
    revision.refresh_from_db()
    assert revision.comment == ""
    assert Letter.objects.filter(pk=d193.pk).exists()


def test_corrections_since_the_last_import(staff_client, d193, d328, form_data):
    from django.contrib import admin

    letter_admin = admin.site.get_model_admin(Letter)

    def corrections(letter):
        return letter_admin.corrections(Letter.objects.get(pk=letter.pk))

    assert corrections(d193) == "none"
    assert corrections(d328) == "none"
    edit(staff_client, d193, form_data, title=EDITOR_TITLE, page_end="809")
    assert corrections(d193) == "title, page_end"
    html = staff_client.get(change_url(d193)).content.decode()
    assert "title, page_end" in html


def test_a_stale_form_cannot_overwrite_a_newer_change(staff_client, publisher_client, d193, form_data):
    """Two editors open the letter; the second to save is stopped instead of putting back the old title."""
    stale = form_data(staff_client.get(change_url(d193)), "letter_form")
    edit(publisher_client, d193, form_data, title=EDITOR_TITLE)
    stale.update({"classification": ["Secret"], "_save": ["Save"]})
    response = staff_client.post(change_url(d193), stale)
    assert response.status_code == 200
    html = response.content.decode()
    assert "was changed by someone else after you opened it" in html
    assert f"title: Letter From President Carter to Soviet General Secretary Brezhnev → {EDITOR_TITLE}" in html
    d193.refresh_from_db()
    assert (d193.title, d193.classification) == (EDITOR_TITLE, "No classification marking")
    assert Revision.objects.filter(origin="editor").count() == 1


def test_a_stale_form_after_an_import(staff_client, d193, form_data, corrected_release):
    stale = form_data(staff_client.get(change_url(d193)), "letter_form")
    import_paths([corrected_release], identifier="frus1969-76v33")
    stale.update({"classification": ["Secret"], "_save": ["Save"]})
    assert staff_client.post(change_url(d193), stale).status_code == 200
    d193.refresh_from_db()
    assert d193.title == RELEASE_TITLE
