"""The review queue (linked from the admin index with counts) and public correction notes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Erratum, Letter

S = Letter.Status
QUEUE = "/admin/catalog/reviewqueueitem/"


@pytest.fixture
def in_review(d193, d328, reviewers):
    Letter.objects.filter(pk=d193.pk).update(status=S.IN_REVIEW, assigned_to=reviewers.user)
    Letter.objects.filter(pk=d328.pk).update(status=S.DRAFT)
    return d193, d328


def listed(client, query=""):
    response = client.get(QUEUE + query)
    assert response.status_code == 200
    return [(x.volume.identifier, x.number) for x in response.context["cl"].result_list]


def test_the_index_links_the_queue_with_counts(reviewers, in_review):
    html = reviewers.get("/admin/").content.decode()
    assert f'<a href="{QUEUE}" class="section">Review queue</a>' in html
    assert f'<a href="{QUEUE}?status__exact=review">In review: 1</a>' in html
    assert f'<a href="{QUEUE}?status__exact=draft">Drafts: 1</a>' in html
    assert f'<a href="{QUEUE}?assigned=me">Assigned to me: 1</a>' in html
    assert f'<a href="{QUEUE}?has_problems=yes">With problems: 2</a>' in html


def test_the_queue_and_its_filters(reviewers, editors, in_review):
    assert listed(reviewers) == [("frus1969-76v33", 193), ("frus1981-88v04", 328)]
    assert listed(reviewers, "?assigned=me") == [("frus1969-76v33", 193)]
    assert listed(editors, "?assigned=me") == []
    assert listed(reviewers, "?problem=unresolved_reference") == [("frus1981-88v04", 328)]
    assert listed(reviewers, "?has_problems=yes") == [("frus1969-76v33", 193), ("frus1981-88v04", 328)]
    assert listed(reviewers, "?status__exact=review") == [("frus1969-76v33", 193)]
    html = reviewers.get(QUEUE).content.decode()
    assert "Waiting since" in html and "0 days" in html
    # Published letters (not provisional) need no attention.
    Letter.objects.filter(pk=in_review[0].pk).update(status=S.PUBLISHED)
    assert listed(reviewers) == [("frus1981-88v04", 328)]


def test_the_queue_needs_the_letters_view_permission(client, django_user_model, in_review):
    user = django_user_model.objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(QUEUE).status_code == 403
    assert "Review queue" not in client.get("/admin/").content.decode()


def test_an_erratum_on_a_corrected_published_letter(reviewers, editors, client, d193, form_data):
    url = reverse("admin:catalog_letter_change", args=[d193.pk])
    assert "erratum_note" not in form_data(editors.get(url), "letter_form")  # only those who publish
    data = form_data(reviewers.get(url), "letter_form")
    data.update(
        {
            "date_min_0": ["1978-01-25"],
            "date_min_1": ["00:00:00"],
            "erratum_note": ["The date was missing; it is 25 January 1978."],
            "_save": ["Save"],
        }
    )
    assert reviewers.post(url, data).status_code == 302
    erratum = Erratum.objects.get(letter=d193)
    assert erratum.user == reviewers.user
    day = timezone.localtime(erratum.created).date().isoformat()  # the edition's day (Washington), not UTC's
    html = client.get(d193.get_absolute_url()).content.decode()
    assert f"Corrected on {day}: The date was missing; it is 25 January 1978." in html
    data = client.get("/api/letters/frus1969-76v33/193/").json()
    assert data["errata"] == [{"date": day, "note": "The date was missing; it is 25 January 1978."}]
    # A forged note from an editor is not written.
    data = form_data(editors.get(url), "letter_form")
    data.update({"erratum_note": ["Forged"], "_save": ["Save"]})
    assert editors.post(url, data).status_code == 302
    assert Erratum.objects.count() == 1


def test_queue_and_index_query_counts(reviewers, in_review, django_assert_max_num_queries):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_QUEBEC, TEI_V33

    import_paths([TEI_V33, TEI_QUEBEC])  # 19 letters more in the queue: the count stays flat
    with django_assert_max_num_queries(12):
        assert len(listed(reviewers)) == 20
    with django_assert_max_num_queries(6):
        assert reviewers.get("/admin/").status_code == 200
