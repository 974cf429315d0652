"""The editorial workflow through the admin: roles × moves, forged requests, comments, confirmations."""

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Group
from django.urls import reverse

from catalog.models import Chapter, Letter, Transition, Volume

CHANGELIST = "/admin/catalog/letter/"
S = Letter.Status


def change_url(letter):
    return reverse("admin:catalog_letter_change", args=[letter.pk])


def move_url(letter):
    return reverse("admin:catalog_letter_move", args=[letter.pk])


def run_action(client, action, *letters, url=CHANGELIST, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(x.pk) for x in letters], "index": "0", **extra}
    return client.post(url, data, follow=True)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def action_names(client, url=CHANGELIST):
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def status(letter):
    letter.refresh_from_db()
    return letter.status


@pytest.fixture
def drafts(d193, d328):
    Letter.objects.filter(pk__in=[d193.pk, d328.pk]).update(status=S.DRAFT, published_at=None)
    d193.refresh_from_db()
    d328.refresh_from_db()
    return d193, d328


def test_the_roles_and_their_permissions(db):
    """The data migration's groups (get_or_create, so other migrations may add to them)."""
    assert Group.objects.filter(name__in=["Editors", "Reviewers", "Importers"]).count() == 3
    perms = {
        group.name: {p.codename for p in group.permissions.all()}
        for group in Group.objects.filter(name__in=["Editors", "Reviewers", "Importers"])
    }
    assert {"change_letter", "change_footnote", "change_person", "change_archivalsource", "change_volume"} <= perms[
        "Editors"
    ]
    assert not {"publish_letter", "review_letter"} & perms["Editors"]
    assert perms["Reviewers"] - perms["Editors"] == {"publish_letter", "review_letter", "add_erratum"}
    # Importers read everything and may run imports (catalog/models/imports.py); they edit nothing.
    assert {code for code in perms["Importers"] if not code.startswith("view_")} == {"run_import"}
    assert {"view_letter", "view_person", "view_revision", "view_volume"} <= perms["Importers"]


def test_actions_offered_per_role(editors, reviewers, importers, staff_client, drafts):
    assert action_names(editors) == {"submit_letters"}
    every = {
        "submit_letters",
        "approve_letters",
        "send_back_letters",
        "publish_letters",
        "publish_letters_provisionally",
        "withdraw_letters",
        "assign_letters_to_me",
    }
    assert action_names(reviewers) == every
    assert action_names(staff_client) == every | {"delete_selected"}  # a superuser does everything
    assert action_names(importers) == set()
    assert "publish_volume_letters" in action_names(reviewers, "/admin/catalog/volume/")
    assert "approve_chapter_letters" in action_names(reviewers, "/admin/catalog/chapter/")
    assert "publish_volume_letters" not in action_names(editors, "/admin/catalog/volume/")


def test_the_whole_road_draft_review_approved_published_withdrawn(editors, reviewers, drafts):
    d193, d328 = drafts
    response = run_action(editors, "submit_letters", d193)
    assert "1 letter submitted for review." in messages_of(response)
    assert status(d193) == S.IN_REVIEW
    response = run_action(reviewers, "approve_letters", d193)
    assert "1 letter approved." in messages_of(response)
    assert status(d193) == S.APPROVED
    response = run_action(reviewers, "publish_letters", d193, confirm_transition="1")  # undated: confirmed
    assert "1 letter published." in messages_of(response)
    assert status(d193) == S.PUBLISHED
    assert d193.published_at is not None and d193.provisional is False
    response = run_action(reviewers, "withdraw_letters", d193)
    assert "1 letter withdrawn." in messages_of(response)
    assert status(d193) == S.WITHDRAWN
    moves = [(t.from_status, t.to_status, t.user.username) for t in d193.transitions.order_by("created", "id")]
    assert moves == [
        ("draft", "review", "edith"),
        ("review", "approved", "rita"),
        ("approved", "published", "rita"),
        ("published", "withdrawn", "rita"),
    ]
    assert status(d328) == S.DRAFT  # not selected, not touched
    # The public no longer sees a withdrawn letter.
    assert Letter.objects.published().filter(pk=d193.pk).count() == 0


@pytest.mark.parametrize(
    ("action", "start"),
    [
        ("approve_letters", S.IN_REVIEW),
        ("publish_letters", S.APPROVED),
        ("publish_letters_provisionally", S.DRAFT),
        ("withdraw_letters", S.PUBLISHED),
        ("send_back_letters", S.IN_REVIEW),
        ("assign_letters_to_me", S.IN_REVIEW),
    ],
)
def test_forged_reviewer_actions_are_refused_to_editors_and_importers(editors, importers, d193, action, start):
    Letter.objects.filter(pk=d193.pk).update(status=start)
    for client in (editors, importers):
        response = run_action(client, action, d193, transition_comment="forged")
        assert response.status_code in (200, 403)
        d193.refresh_from_db()
        assert (d193.status, d193.assigned_to_id) == (start, None)
    assert not Transition.objects.exists()


def test_forged_buttons_are_refused(editors, importers, d193):
    Letter.objects.filter(pk=d193.pk).update(status=S.APPROVED)
    for client in (editors, importers):
        response = client.post(move_url(d193), {"move": "publish"}, follow=True)
        assert "You may not publish." in messages_of(response)
        assert status(d193) == S.APPROVED
    assert not Transition.objects.exists()


def test_importers_view_but_do_not_edit(importers, d193, form_data):
    page = importers.get(change_url(d193))
    assert page.status_code == 200
    assert "letter_form" not in page.content.decode() or "_save" not in page.content.decode()
    response = importers.post(change_url(d193), {"title": "Forged", "version_token": "x", "_save": "Save"})
    assert response.status_code == 403
    d193.refresh_from_db()
    assert d193.title.startswith("Letter From President Carter")


def test_editors_cannot_set_the_status_in_the_form(editors, drafts, form_data):
    d193, _ = drafts
    page = editors.get(change_url(d193))
    data = form_data(page, "letter_form")
    assert "status" not in data and "assigned_to" not in data
    data.update({"status": ["published"], "provisional": ["on"], "assigned_to": [str(editors.user.pk)]})
    data["_save"] = ["Save"]
    assert editors.post(change_url(d193), data).status_code == 302
    d193.refresh_from_db()
    assert (d193.status, d193.provisional, d193.assigned_to_id, d193.published_at) == (S.DRAFT, False, None, None)


def test_send_back_needs_a_comment_that_the_editor_sees(editors, reviewers, drafts):
    d193, _ = drafts
    run_action(editors, "submit_letters", d193)
    # Without a comment: the comment page, nothing moved.
    response = run_action(reviewers, "send_back_letters", d193)
    assert response.templates[0].name == "admin/catalog/transition_confirm.html"
    assert "required: the editor sees it" in response.content.decode()
    assert status(d193) == S.IN_REVIEW
    # The page re-posts the selection with the comment.
    response = run_action(
        reviewers, "send_back_letters", d193, transition_comment="The date is wrong.", confirm_transition="1"
    )
    assert "1 letter sent back." in messages_of(response)
    assert status(d193) == S.DRAFT
    html = editors.get(change_url(d193)).content.decode()
    assert "Sent back by rita" in html
    assert "The date is wrong." in html
    assert d193.transitions.first().comment == "The date is wrong."


def test_buttons_on_the_change_page(reviewers, drafts):
    d193, _ = drafts
    Letter.objects.filter(pk=d193.pk).update(status=S.IN_REVIEW, problem_count=0)
    html = reviewers.get(change_url(d193)).content.decode()
    assert 'id="workflow-form"' in html
    assert 'value="approve"' in html and 'value="send_back"' in html and 'value="withdraw"' not in html
    response = reviewers.post(move_url(d193), {"move": "approve", "transition_comment": "Checked."}, follow=True)
    assert "1 letter approved." in messages_of(response)
    assert status(d193) == S.APPROVED
    assert "Checked." in response.content.decode()  # listed on the letter: who, when, from, to, comment
    transition = d193.transitions.get()
    assert (transition.user, transition.from_status, transition.to_status) == (reviewers.user, "review", "approved")


def test_publishing_a_letter_with_problems_asks_first(reviewers, d328):
    Letter.objects.filter(pk=d328.pk).update(status=S.APPROVED)
    assert d328.problems.count() == 7
    response = reviewers.post(move_url(d328), {"move": "publish"})
    html = response.content.decode()
    assert "1 of them has problems found by the automatic checks." in html
    assert "Reference to frus1981-88v04 d315 does not resolve." in html
    assert status(d328) == S.APPROVED
    response = reviewers.post(move_url(d328), {"move": "publish", "confirm_transition": "1"}, follow=True)
    assert "1 letter published." in messages_of(response)
    assert status(d328) == S.PUBLISHED


def test_publish_provisionally_is_labelled_publicly_and_in_the_api(reviewers, client, drafts):
    d193, _ = drafts
    run_action(reviewers, "publish_letters_provisionally", d193, confirm_transition="1")
    d193.refresh_from_db()
    assert (d193.status, d193.provisional) == (S.PUBLISHED, True)
    html = client.get(d193.get_absolute_url()).content.decode()
    assert "Provisional: published before full editorial review" in html
    data = client.get(f"/api/letters/{d193.volume.identifier}/{d193.number}/").json()
    assert data["provisional"] is True
    # Publishing it after review confirms it: no longer provisional.
    run_action(reviewers, "publish_letters", d193, confirm_transition="1")
    d193.refresh_from_db()
    assert (d193.status, d193.provisional) == (S.PUBLISHED, False)
    assert "Provisional" not in client.get(d193.get_absolute_url()).content.decode()


def test_actions_skip_letters_in_the_wrong_state(reviewers, d193):
    response = run_action(reviewers, "approve_letters", d193)  # published, not in review
    assert "1 letter skipped: only letters in review can be approved." in messages_of(response)
    assert status(d193) == S.PUBLISHED
    assert not Transition.objects.exists()


def test_republishing_keeps_the_first_publication_date(reviewers, d193):
    first = d193.published_at
    run_action(reviewers, "withdraw_letters", d193)
    Letter.objects.filter(pk=d193.pk).update(status=S.APPROVED)
    run_action(reviewers, "publish_letters", d193, confirm_transition="1")
    d193.refresh_from_db()
    assert d193.status == S.PUBLISHED
    assert d193.published_at == first


def test_a_whole_volume_and_a_chapter_in_one_action(reviewers, import_seeds):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_V33

    import_paths([TEI_V33])
    volume = Volume.objects.get(identifier="frus1969-76v33")
    Letter.objects.filter(volume=volume).update(status=S.IN_REVIEW)
    chapter = Chapter.objects.filter(volume=volume, letters__isnull=False).distinct().first()
    in_chapter = set(chapter.letters.values_list("number", flat=True))
    response = run_action(reviewers, "approve_chapter_letters", chapter, url="/admin/catalog/chapter/")
    assert f"{len(in_chapter)} letters approved." in messages_of(response)
    assert set(Letter.objects.filter(status=S.APPROVED).values_list("number", flat=True)) == in_chapter
    Letter.objects.filter(volume=volume, chapter=chapter).update(status=S.IN_REVIEW)  # not all chapters'
    response = run_action(reviewers, "approve_volume_letters", volume, url="/admin/catalog/volume/")
    assert "11 letters approved." in messages_of(response)
    assert set(Letter.objects.filter(volume=volume).values_list("status", flat=True)) == {S.APPROVED}
    # Two of them are undated: publishing the volume asks first, then publishes all eleven.
    response = run_action(reviewers, "publish_volume_letters", volume, url="/admin/catalog/volume/")
    assert "2 of them have problems" in response.content.decode()
    response = run_action(
        reviewers, "publish_volume_letters", volume, url="/admin/catalog/volume/", confirm_transition="1"
    )
    assert "11 letters published." in messages_of(response)
    assert Transition.objects.filter(to_status=S.PUBLISHED).count() == 11


def test_assignment_to_a_reviewer(reviewers, editors, drafts, form_data):
    d193, _ = drafts
    page = reviewers.get(change_url(d193))
    field = page.context["adminform"].form.fields["assigned_to"]
    assert [user.username for user in field.queryset] == ["rita"]  # reviewers only, not edith
    data = form_data(page, "letter_form")
    data.update({"assigned_to": [str(reviewers.user.pk)], "_save": ["Save"]})
    assert reviewers.post(change_url(d193), data).status_code == 302
    d193.refresh_from_db()
    assert d193.assigned_to == reviewers.user
    assert d193.revisions.get(origin="editor").changes == {"assigned_to": [None, "rita"]}


@pytest.mark.parametrize("model", ["person", "archivalsource", "volume"])
def test_roles_editing_records(editors, importers, import_seeds, form_data, model):
    from django.apps import apps

    obj = apps.get_model("catalog", model).objects.order_by("pk").first()
    url = reverse(f"admin:catalog_{model}_change", args=[obj.pk])
    assert importers.get(url).status_code == 200  # they view
    forged = form_data(editors.get(url))
    forged["_save"] = ["Save"]
    assert importers.post(url, forged).status_code == 403  # they do not edit
    assert editors.post(url, forged).status_code == 302  # editors do
