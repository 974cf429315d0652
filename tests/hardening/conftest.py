"""A catalog with something to hide, and the five kinds of visitor.

``world``: the two seed letters published (d193 in frus1969-76v33, d328 in frus1981-88v04); the
Quebec TEI excerpt imported but not published (a volume with nothing published, people who appear
only there); and in frus1969-76v33 one draft letter, d9001, whose title, text, footnote, person and
archival source each carry a word that appears nowhere else (``SECRETS``); and on the published
d193 an internal annotation (editors only) whose note carries ``INTERNAL_NOTE``, a word that must
never reach the public either.

The visitors: anonymous, a logged-in reader (not staff), an editor (staff in the "Editors" group),
a reviewer (staff in the "Reviewers" group) and a superuser. The groups come from the migrations
(0006_workbench_roles, 0007_merge_roles).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from catalog.ingest.pipeline import import_paths
from catalog.models import (
    Annotation,
    ArchivalSource,
    Footnote,
    ImportRun,
    Letter,
    LetterPerson,
    Person,
    SourceCitation,
    Volume,
)
from tests.conftest import TEI_QUEBEC

V33, V04, QUEBEC = "frus1969-76v33", "frus1981-88v04", "frus1944Quebec"
SECRET_TITLE = "Memorandum on Operation Zanzibarquux"
SECRET_TEXT = "the glorptastic proposal"
SECRET_FOOTNOTE = "Drafted by Quimbleworth"
SECRET_PERSON = "Hortensia Vexlemire"
SECRET_REPOSITORY = "Florbington Presidential Library"
INTERNAL_NOTE = "Snorkelwhiffle"  # only in an internal annotation of the published letter
SECRETS = ("Zanzibarquux", "glorptastic", "Quimbleworth", "Vexlemire", "Florbington", INTERNAL_NOTE)

ROLES = ("anonymous", "user", "editor", "reviewer", "superuser")


def _secret_letter(volume: Volume) -> Letter:
    letter = Letter.objects.create(
        volume=volume,
        number=9001,
        xml_id="memo-9001",  # an old-style id: reached through the letter-by-id address
        title=SECRET_TITLE,
        doc_type="memorandum",
        body=[{"tag": "p", "children": [f"On {SECRET_TEXT}.", {"tag": "fn", "n": 1}]}],
        status=Letter.Status.DRAFT,
    )
    note = Footnote.objects.create(letter=letter, number=1, text=SECRET_FOOTNOTE, anchor=len(f"On {SECRET_TEXT}."))
    person = Person.objects.create(display_name=SECRET_PERSON, description="An adviser known only to the draft.")
    LetterPerson.objects.create(letter=letter, person=person, role=LetterPerson.Role.SENDER)
    source = ArchivalSource.objects.create(repository=SECRET_REPOSITORY, raw=f"{SECRET_REPOSITORY}, Box 1.")
    SourceCitation.objects.create(letter=letter, footnote=note, source=source, raw=source.raw, is_source_note=True)
    return letter


def _users(django_user_model) -> dict[str, object]:
    user = django_user_model.objects.create_user("reader", password="pw-for-tests")
    staff = {}
    for role, group in (("editor", "Editors"), ("reviewer", "Reviewers")):
        staff[role] = django_user_model.objects.create_user(f"walk-{role}", password="pw-for-tests", is_staff=True)
        staff[role].groups.add(Group.objects.get(name=group))  # created by the migrations
    superuser = django_user_model.objects.create_superuser("walk-admin", "admin@example.org", "pw-for-tests")
    return {"anonymous": None, "user": user, **staff, "superuser": superuser}


def _internal_annotation(letter: Letter) -> Annotation:
    text = letter.body_text
    return Annotation.objects.create(
        letter=letter,
        body=f"Ask {INTERNAL_NOTE} before publishing this note.",
        visibility=Annotation.Visibility.INTERNAL,
        exact=text[:20],
        start=0,
        end=20,
        suffix=text[20:40],
    )


@pytest.fixture
def world(import_seeds, django_user_model):
    result = import_paths([TEI_QUEBEC], publish=False)
    assert not result.failures
    v33 = Volume.objects.get(identifier=V33)
    secret = _secret_letter(v33)
    published = Letter.objects.select_related("volume").get(volume=v33, number=193)
    internal_note = _internal_annotation(published)
    run = ImportRun.objects.create(status=ImportRun.Status.QUEUED, files=[{"name": "quebec.xml", "size": 1}])
    quebec = Volume.objects.get(identifier=QUEBEC)
    quebec_letter = quebec.letters.order_by("number").first()
    only_quebec = Person.objects.filter(letter_links__letter__volume=quebec).exclude(
        letter_links__letter__status=Letter.Status.PUBLISHED
    )
    Group.objects.get_or_create(name="Walk group")
    users = _users(django_user_model)
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        if user is not None:
            clients[role].force_login(user)
    return SimpleNamespace(
        published=published,
        published_person=Person.objects.get(display_name="Gromyko"),
        internal_note=internal_note,
        run=run,
        secret=secret,
        secret_person=secret.letter_people.get().person,
        quebec=quebec,
        quebec_letter=quebec_letter,
        quebec_person=only_quebec.order_by("slug").first(),
        v33=v33,
        users=users,
        clients=clients,
    )
