"""The editorial workflow: draft → review → published, and who may publish."""

import re

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from catalog.models import Letter, Revision

CHANGELIST = "/admin/catalog/letter/"


def change_url(letter):
    return reverse("admin:catalog_letter_change", args=[letter.pk])


def run_action(client, action, *letters):
    return client.post(
        CHANGELIST,
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(letter.pk) for letter in letters], "index": "0"},
        follow=True,
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def drafts(d193, d328):
    Letter.objects.filter(pk__in=[d193.pk, d328.pk]).update(status=Letter.Status.DRAFT, published_at=None)
    d193.refresh_from_db()
    d328.refresh_from_db()
    return d193, d328


def action_names(client):
    response = client.get(CHANGELIST)
    return [name for name, _ in response.context["action_form"].fields["action"].choices if name]


def test_only_publishers_see_the_publish_action(editor_client, publisher_client, drafts):
    assert "publish" not in action_names(editor_client)
    assert {"submit_for_review", "return_to_draft"} <= set(action_names(editor_client))
    assert {"submit_for_review", "publish", "return_to_draft"} <= set(action_names(publisher_client))


def test_submit_for_review_then_publish(editor_client, publisher_client, drafts):
    d193, d328 = drafts
    response = run_action(editor_client, "submit_for_review", d193)
    assert "1 letter submitted for review." in messages_of(response)
    d193.refresh_from_db()
    assert d193.status == Letter.Status.IN_REVIEW
    review = d193.revisions.get(origin="editor")
    assert review.changes == {"status": ["draft", "review"]}
    assert review.user == editor_client.user

    response = run_action(publisher_client, "publish", d193)
    assert "1 letter published." in messages_of(response)
    d193.refresh_from_db()
    assert d193.status == Letter.Status.PUBLISHED
    assert d193.published_at is not None
    published = d193.revisions.filter(origin="editor").first()
    assert published.changes["status"] == ["review", "published"]
    assert published.changes["published_at"][1] == d193.published_at.isoformat()
    assert published.user == publisher_client.user
    d328.refresh_from_db()
    assert d328.status == Letter.Status.DRAFT  # not selected, not touched


def test_editor_cannot_publish_through_the_action(editor_client, drafts):
    d193, _ = drafts
    run_action(editor_client, "submit_for_review", d193)
    response = run_action(editor_client, "publish", d193)
    assert response.status_code == 200
    d193.refresh_from_db()
    assert d193.status == Letter.Status.IN_REVIEW
    assert d193.published_at is None
    assert not d193.revisions.filter(changes__status=["review", "published"]).exists()


def test_editor_cannot_publish_through_the_change_form(editor_client, drafts, form_data):
    d193, _ = drafts
    page = editor_client.get(change_url(d193))
    html = page.content.decode()
    assert not re.search(r'<select name="status"', html)  # status is read-only for them
    assert "status" not in page.context["adminform"].form.fields
    data = form_data(page, "letter_form")
    assert "status" not in data
    data.update({"status": ["published"], "published_at": ["2024-01-01 00:00:00"], "_save": ["Save"]})
    response = editor_client.post(change_url(d193), data)
    assert response.status_code == 302
    d193.refresh_from_db()
    assert d193.status == Letter.Status.DRAFT
    assert d193.published_at is None


def test_publisher_can_publish_through_the_change_form(publisher_client, drafts, form_data):
    d193, _ = drafts
    page = publisher_client.get(change_url(d193))
    assert re.search(r'<select name="status"', page.content.decode())
    data = form_data(page, "letter_form")
    data.update({"status": ["published"], "_save": ["Save"]})
    response = publisher_client.post(change_url(d193), data)
    assert response.status_code == 302
    d193.refresh_from_db()
    assert d193.status == Letter.Status.PUBLISHED
    assert d193.published_at is not None
    revision = d193.revisions.get(origin="editor")
    assert revision.changes["status"] == ["draft", "published"]
    assert revision.changes["published_at"][0] is None


def test_return_to_draft(editor_client, publisher_client, d193, d328):
    """An editor returns a letter in review; only a publisher takes a published letter back."""
    Letter.objects.filter(pk=d328.pk).update(status=Letter.Status.IN_REVIEW)
    response = run_action(editor_client, "return_to_draft", d193, d328)
    assert "1 letter returned to draft." in messages_of(response)
    assert any("1 letter skipped" in message for message in messages_of(response))
    d193.refresh_from_db()
    d328.refresh_from_db()
    assert (d193.status, d328.status) == (Letter.Status.PUBLISHED, Letter.Status.DRAFT)

    run_action(publisher_client, "return_to_draft", d193)
    d193.refresh_from_db()
    assert d193.status == Letter.Status.DRAFT
    assert d193.revisions.filter(origin="editor", changes__status=["published", "draft"]).exists()


def test_actions_skip_letters_in_the_wrong_state(publisher_client, d193):
    response = run_action(publisher_client, "submit_for_review", d193)  # already published
    assert any("skipped" in message for message in messages_of(response))
    d193.refresh_from_db()
    assert d193.status == Letter.Status.PUBLISHED
    assert not Revision.objects.filter(origin="editor").exists()


def test_republishing_keeps_the_first_publication_date(publisher_client, d193):
    first = d193.published_at
    run_action(publisher_client, "return_to_draft", d193)
    run_action(publisher_client, "publish", d193)
    d193.refresh_from_db()
    assert d193.status == Letter.Status.PUBLISHED
    assert d193.published_at == first
