"""Optimistic locking (catalog/locking.py): stale forms, missing tokens, and simultaneous saves."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from catalog import locking
from catalog.models import ArchivalSource, Chapter, Footnote, Letter, Person, Revision, Term, Volume

NEW_TITLE = "Letter From President Carter to General Secretary Brezhnev (corrected)"
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")


def change_url(obj):
    return reverse(f"admin:catalog_{obj._meta.model_name}_change", args=[obj.pk])


def footnote_row(data, note):
    """The inline prefix of a footnote's row in the letter form."""
    for key, values in data.items():
        if key.startswith("footnotes-") and key.endswith("-id") and values == [str(note.pk)]:
            return key[: -len("id")]
    raise AssertionError(f"no row for footnote {note.number}")


def test_a_form_without_its_token_is_refused(staff_client, d193, form_data):
    page = staff_client.get(change_url(d193))
    data = form_data(page, "letter_form")
    del data["version_token"]
    data.update({"title": [NEW_TITLE], "_save": ["Save"]})
    response = staff_client.post(change_url(d193), data)
    assert response.status_code == 200
    assert "This form has no version token" in response.content.decode()
    d193.refresh_from_db()
    assert d193.title != NEW_TITLE
    data["version_token"] = [""]
    assert staff_client.post(change_url(d193), data).status_code == 200
    d193.refresh_from_db()
    assert d193.title != NEW_TITLE


@pytest.mark.parametrize("model", [Person, ArchivalSource, Volume, Chapter, Term])
def test_every_edited_record_needs_its_token(staff_client, import_seeds, form_data, model):
    from catalog.ingest.pipeline import import_paths
    from tests.conftest import TEI_V33

    import_paths([TEI_V33])  # chapters and terms
    obj = model.objects.order_by("pk").first()
    page = staff_client.get(change_url(obj))
    data = form_data(page)
    assert data["version_token"] == [locking.token(obj)]
    stale = {**data}
    del data["version_token"]
    data["_save"] = ["Save"]
    response = staff_client.post(change_url(obj), data)
    assert response.status_code == 200
    assert "This form has no version token" in response.content.decode()
    # A stale form for it is refused too.
    model.objects.filter(pk=obj.pk).update(modified=obj.modified.replace(year=2030))
    stale["_save"] = ["Save"]
    response = staff_client.post(change_url(obj), stale)
    assert response.status_code == 200
    assert "was changed by someone else after you opened it" in response.content.decode()


def test_the_refused_editor_sees_the_other_change_and_keeps_their_input(
    staff_client, publisher_client, d193, form_data
):
    mine = form_data(staff_client.get(change_url(d193)), "letter_form")
    theirs = form_data(publisher_client.get(change_url(d193)), "letter_form")
    theirs.update({"title": [NEW_TITLE], "revision_comment": ["title as printed"], "_save": ["Save"]})
    assert publisher_client.post(change_url(d193), theirs).status_code == 302

    mine.update({"classification": ["Secret; Eyes Only"], "_save": ["Save"]})
    response = staff_client.post(change_url(d193), mine)
    assert response.status_code == 200
    html = response.content.decode()
    assert "publisher: title: Letter From President Carter to Soviet General Secretary Brezhnev → " in html
    assert NEW_TITLE in html
    form = response.context["adminform"].form
    assert form["classification"].value() == "Secret; Eyes Only"  # their input is kept
    d193.refresh_from_db()
    assert (d193.title, d193.classification) == (NEW_TITLE, "No classification marking")
    # Saving again is a knowing save over the other change: the page now carries the new version.
    again = {key: [value] if not isinstance(value, list) else value for key, value in mine.items()}
    again["version_token"] = [locking.token(d193)]
    again["title"] = [NEW_TITLE]
    assert staff_client.post(change_url(d193), again).status_code == 302
    d193.refresh_from_db()
    assert (d193.title, d193.classification) == (NEW_TITLE, "Secret; Eyes Only")


def test_two_stale_footnote_rows(staff_client, publisher_client, d193, form_data):
    note = d193.footnotes.get(number=2)
    first = form_data(staff_client.get(change_url(d193)), "letter_form")
    second = form_data(publisher_client.get(change_url(d193)), "letter_form")
    row = footnote_row(first, note)
    first[row + "text"] = [note.text + " First."]
    first["_save"] = ["Save"]
    assert staff_client.post(change_url(d193), first).status_code == 302
    second[row + "text"] = [note.text + " Second."]
    second["_save"] = ["Save"]
    response = publisher_client.post(change_url(d193), second)
    assert response.status_code == 200
    note.refresh_from_db()
    assert note.text.endswith(" First.")


def test_an_inline_footnote_row_without_its_token_is_refused(staff_client, d193, form_data):
    note = d193.footnotes.get(number=2)
    data = form_data(staff_client.get(change_url(d193)), "letter_form")
    row = footnote_row(data, note)
    del data[row + "version_token"]
    data[row + "text"] = [note.text + " Forged."]
    data["_save"] = ["Save"]
    response = staff_client.post(change_url(d193), data)
    assert response.status_code == 200
    assert "This form has no version token" in response.content.decode()
    note.refresh_from_db()
    assert not note.text.endswith("Forged.")


def test_claim_is_one_conditional_update(d193):
    version = locking.token(d193)
    with transaction.atomic():
        locking.claim(d193, version)
    with pytest.raises(locking.StaleEdit):
        locking.claim(d193, version)
    with pytest.raises(locking.StaleEdit):
        locking.claim(d193, None)
    with pytest.raises(locking.StaleEdit):
        locking.claim(d193, "not a date")


def _login(user):
    client = Client()
    client.force_login(user)
    return client


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_saves_from_two_threads_exactly_one_wins(transactional_db, import_seeds, django_user_model):
    from tests.admin.conftest import read_form

    letter = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
    users = [
        django_user_model.objects.create_user(name, password="pw", is_staff=True, is_superuser=True)
        for name in ("ann", "bob")
    ]
    clients = [_login(user) for user in users]
    forms = [read_form(client.get(change_url(letter)), "letter_form") for client in clients]
    for form, title in zip(forms, ("Title by Ann", "Title by Bob"), strict=True):
        form.update({"title": [title], "_save": ["Save"]})
    barrier = threading.Barrier(2)
    results = {}

    def save(index):
        try:
            barrier.wait()
            response = clients[index].post(change_url(letter), forms[index])
            results[index] = (response.status_code, response.content.decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(code for code, _ in results.values())
    assert codes == [200, 302]  # exactly one saved (a redirect), the other shown the form again
    loser = next(html for code, html in results.values() if code == 200)
    assert "was changed by someone else after you opened it" in loser
    letter.refresh_from_db()
    winner = next(i for i, (code, _) in results.items() if code == 302)
    assert letter.title == ("Title by Ann", "Title by Bob")[winner]
    assert Revision.objects.filter(letter=letter, origin="editor").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_version_check_and_the_write_are_one_atomic_step(transactional_db, import_seeds):
    """Both check the same version at once: the second waits for the first's row lock, then loses."""
    letter = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
    version = locking.token(letter)
    first_claimed, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                locking.claim(Letter.objects.get(pk=letter.pk), version)
                first_claimed.set()
                release.wait(10)
            outcome["first"] = "saved"
        finally:
            connection.close()

    def second():
        try:
            first_claimed.wait(10)
            try:
                with transaction.atomic():
                    locking.claim(Letter.objects.get(pk=letter.pk), version)  # blocks until the first commits
                outcome["second"] = "saved"
            except locking.StaleEdit:
                outcome["second"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_claimed.wait(10)
    threading.Timer(0.5, release.set).start()
    for thread in threads:
        thread.join(20)
    assert outcome == {"first": "saved", "second": "refused"}


def test_footnote_versions_move_on_save(d193):
    note = d193.footnotes.get(number=2)
    before = locking.token(note)
    note.text += " x"
    note.save()
    assert locking.token(Footnote.objects.get(pk=note.pk)) != before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_editors_save_while_an_import_writes_waits_for_it_then_succeeds(transactional_db, import_seeds):
    """SQLite has one writer at a time: a transaction that reads, then writes (the admin's save) waits
    for the import's transaction (transaction_mode IMMEDIATE) instead of failing at once with
    "database is locked" when it would turn from reader into writer (archive/settings.py). On
    PostgreSQL: row locks only, nothing waits."""
    from django.db import connections

    writing, release = threading.Event(), threading.Event()

    def importer():  # a running import: an open transaction that has written
        try:
            with transaction.atomic():
                Volume.objects.filter(identifier="frus1981-88v04").update(title="Imported")
                writing.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        assert writing.wait(10)
        threading.Timer(1.0, release.set).start()  # the import commits a second from now
        with transaction.atomic():
            letter = Letter.objects.get(volume__identifier="frus1969-76v33", number=193)
            letter.title = "Edited while an import wrote"
            letter.save(update_fields=["title"])
    finally:
        release.set()
        thread.join()
    assert Letter.objects.get(number=193).title == "Edited while an import wrote"
    assert Volume.objects.get(identifier="frus1981-88v04").title == "Imported"
