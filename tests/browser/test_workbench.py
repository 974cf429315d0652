"""A reviewer's path through the workbench in a real browser: admin index → review queue → letter → publish."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def site(transactional_db, import_seeds, live_server, django_user_model):
    from catalog.models import Letter
    from tests.admin.conftest import role_group

    reviewer = django_user_model.objects.create_user("rita", password="pw-for-rita", is_staff=True)
    reviewer.groups.add(role_group("Reviewers"))
    Letter.objects.filter(number=193).update(status=Letter.Status.APPROVED, assigned_to=reviewer)
    Letter.objects.filter(number=328).update(status=Letter.Status.IN_REVIEW)
    return live_server.url


def test_reviewer_queue_letter_publish(site, page, screenshot_dir):
    from playwright.sync_api import expect

    from catalog.models import Letter

    page.goto(site + "/admin/login/?next=/admin/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", "pw-for-rita")
    page.click("input[type=submit]")
    expect(page.locator("#review-queue-summary")).to_contain_text("Assigned to me: 1")
    page.get_by_role("link", name="Assigned to me: 1").click()
    page.wait_for_url(re.compile(r"/admin/catalog/reviewqueueitem/\?assigned=me$"))
    page.screenshot(path=str(screenshot_dir / "queue.png"), full_page=True)
    page.get_by_role("link", name=re.compile(r"^d193: Letter From President Carter")).click()
    page.wait_for_url(re.compile(r"/admin/catalog/letter/\d+/change/$"))
    expect(page.locator(".letterbook-problems")).to_contain_text("The letter has no date.")
    page.fill("#id_transition_comment", "Checked against the printed volume.")
    page.get_by_role("button", name="Publish", exact=True).click()
    # The letter has a problem: the workbench asks first, the comment carried over.
    expect(page.locator(".problems-warning")).to_contain_text("The letter has no date.")
    expect(page.locator("#id_transition_comment")).to_have_value("Checked against the printed volume.")
    page.get_by_role("button", name="Publish anyway").click()
    page.wait_for_url(re.compile(r"/admin/catalog/letter/\d+/change/$"))
    expect(page.locator(".messagelist")).to_contain_text("1 letter published.")
    expect(page.locator(".letterbook-transitions")).to_contain_text("Checked against the printed volume.")
    page.screenshot(path=str(screenshot_dir / "published.png"), full_page=True)
    assert page.js_errors == []
    letter = Letter.objects.get(number=193)
    assert (letter.status, letter.provisional) == (Letter.Status.PUBLISHED, False)
    transition = letter.transitions.get()
    assert (transition.user.username, transition.from_status, transition.to_status) == ("rita", "approved", "published")
