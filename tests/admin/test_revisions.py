"""Readable history and revert (catalog/revisions.py), person/source/volume history, footnote markup."""

import pytest
from django.urls import reverse

from catalog import locking, revisions
from catalog.body import inline_text
from catalog.ingest.pipeline import import_paths
from catalog.models import ArchivalSource, Letter, Person, Revision, Volume
from tests.conftest import TEI_V33


def change_url(obj):
    return reverse(f"admin:catalog_{obj._meta.model_name}_change", args=[obj.pk])


def save(client, obj, form_data, form_id=None, **changes):
    data = form_data(client.get(change_url(obj)), form_id)
    data.update({name: [value] for name, value in changes.items()})
    data["_save"] = ["Save"]
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def test_word_diff():
    html = str(revisions.word_diff("the cat sat on the mat", "the dog sat on a mat"))
    assert html == "the <del>cat</del><ins>dog</ins> sat on <del>the</del><ins>a</ins> mat"
    assert str(revisions.word_diff("<b>", "<i>")) == "<del>&lt;b&gt;</del><ins>&lt;i&gt;</ins>"


def test_the_body_is_compared_as_text_not_json(staff_client, d193, form_data):
    import json

    body = json.loads(json.dumps(d193.body))
    body[0]["children"][0] = body[0]["children"][0].replace("Dear", "My dear")
    save(staff_client, d193, form_data, "letter_form", body=json.dumps(body))
    revision = d193.revisions.get(origin="editor")
    page = staff_client.get(change_url(revision)).content.decode()
    assert "<del>Dear</del><ins>My dear</ins>" in page
    assert "&#x27;tag&#x27;" not in page and "'tag'" not in page and "&quot;tag&quot;" not in page
    letter_page = staff_client.get(change_url(d193)).content.decode()  # its history table too
    assert "<strong>body</strong>: Dear" in letter_page and "→ My dear" in letter_page
    assert "&#x27;tag&#x27;" not in letter_page


def test_old_and_new_for_other_values(staff_client, d193, form_data):
    save(staff_client, d193, form_data, "letter_form", page_end="809", revision_comment="as printed")
    revision = d193.revisions.get(origin="editor")
    assert revision.comment == "as printed"
    page = staff_client.get(change_url(revision)).content.decode()
    assert "808 → 809" in page


def test_revert_restores_and_is_recorded(staff_client, d193, form_data):
    original = d193.title
    save(staff_client, d193, form_data, "letter_form", title="A wrong title", page_end="900")
    revision = d193.revisions.get(origin="editor")
    d193.refresh_from_db()
    url = reverse("admin:catalog_revision_revert", args=[revision.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    data = {"version_token": page.context["version"], "comment": "typo"}
    response = staff_client.post(url, data)
    assert response.status_code == 302
    d193.refresh_from_db()
    assert (d193.title, d193.page_end) == (original, 808)
    revert = d193.revisions.get(origin="revert")
    assert revert.changes == {"title": ["A wrong title", original], "page_end": [900, 808]}
    assert revert.user == staff_client.user
    assert revert.comment.endswith(": typo")
    # The old page's version is stale now: a second revert from it is refused.
    assert staff_client.post(url, data).status_code == 302
    assert d193.revisions.filter(origin="revert").count() == 1


def test_revert_needs_the_change_permission(importers, d193, staff_client, form_data):
    save(staff_client, d193, form_data, "letter_form", page_end="900")
    revision = d193.revisions.get(origin="editor")
    url = reverse("admin:catalog_revision_revert", args=[revision.pk])
    response = importers.post(url, {"version_token": locking.token(Letter.objects.get(pk=d193.pk))})
    assert response.status_code == 403
    d193.refresh_from_db()
    assert d193.page_end == 900


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [(Person, "description", "Soviet Foreign Minister, 1957–1985"), (ArchivalSource, "folder", "Folder 7")],
)
def test_people_and_sources_edits_are_recorded_and_revertible(
    staff_client, import_seeds, form_data, model, field, value
):
    obj = model.objects.order_by("pk").first()
    old = getattr(obj, field)
    save(staff_client, obj, form_data, None, **{field: value, "revision_comment": "from the finding aid"})
    revision = Revision.objects.get(target_model=model._meta.model_name, target_id=obj.pk)
    assert revision.changes == {field: [old, value]}
    assert (revision.user, revision.comment, revision.origin) == (staff_client.user, "from the finding aid", "editor")
    assert (
        reverse("admin:catalog_revision_change", args=[revision.pk])
        in staff_client.get(change_url(obj)).content.decode()
    )
    obj.refresh_from_db()
    url = reverse("admin:catalog_revision_revert", args=[revision.pk])
    assert staff_client.post(url, {"version_token": locking.token(obj)}).status_code == 302
    obj.refresh_from_db()
    assert getattr(obj, field) == old
    assert Revision.objects.filter(target_model=model._meta.model_name, target_id=obj.pk, origin="revert").exists()


def test_volume_edits_are_recorded(staff_client, import_seeds, form_data):
    volume = Volume.objects.get(identifier="frus1969-76v33")
    save(staff_client, volume, form_data, None, title="Foreign Relations, 1969–1976, Volume XXXIII")
    revision = Revision.objects.get(target_model="volume", target_id=volume.pk)
    assert revision.changes["title"][1] == "Foreign Relations, 1969–1976, Volume XXXIII"


def test_editing_a_footnote_keeps_its_markup(staff_client, d193, form_data):
    import_paths([TEI_V33])
    letter = Letter.objects.get(volume__identifier="frus1969-76v33", number=189)
    note = letter.footnotes.get(number=4)
    assert note.content == [
        {"tag": "person", "ref": "p_CJ_2", "children": ["Carter"]},
        " underlined the end of this sentence.",
    ]
    data = form_data(staff_client.get(change_url(letter)), "letter_form")
    row = next(
        k[: -len("id")]
        for k, v in data.items()
        if k.startswith("footnotes-") and k.endswith("-id") and v == [str(note.pk)]
    )
    data[row + "text"] = ["Carter underlined the last words of this sentence."]
    data["_save"] = ["Save"]
    assert staff_client.post(change_url(letter), data).status_code == 302
    note.refresh_from_db()
    assert note.content == [
        {"tag": "person", "ref": "p_CJ_2", "children": ["Carter"]},
        " underlined the last words of this sentence.",
    ]
    assert letter.revisions.get(origin="editor").changes == {
        "footnote 4": [
            "Carter underlined the end of this sentence.",
            "Carter underlined the last words of this sentence.",
        ]
    }


def test_edit_content_inside_and_around_marks():
    content = ["Source: ", {"tag": "hi", "rend": "italic", "children": ["Foreign Relations"]}, ", vol. VI."]
    text = inline_text(content)
    assert revisions.edit_content(content, text, "Source: Foreign Relations, 1977–1980, vol. VI.") == [
        "Source: ",
        {"tag": "hi", "rend": "italic", "children": ["Foreign Relations"]},
        ", 1977–1980, vol. VI.",
    ]
    assert revisions.edit_content(content, text, "Source: Foreign Affairs Relations, vol. VI.") == [
        "Source: ",
        {"tag": "hi", "rend": "italic", "children": ["Foreign Affairs Relations"]},
        ", vol. VI.",
    ]
    # Stored markup that does not spell the old text: plain text, never a wrong mark.
    assert revisions.edit_content(content, "something else", "new") == ["new"]
