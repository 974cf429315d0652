"""Fixtures for the admin tests: the seed letters, editors with and without the publish permission,
and a browser-like reader of the admin's forms."""

import lxml.html
import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from catalog.models import Letter, Person

CATALOG_MODELS = [
    "volume",
    "chapter",
    "term",
    "letter",
    "footnote",
    "crossreference",
    "person",
    "personidentifier",
    "letterperson",
    "archivalsource",
    "sourcecitation",
    "revision",
]


@pytest.fixture
def d193(import_seeds):
    return Letter.objects.select_related("volume").get(volume__identifier="frus1969-76v33", number=193)


@pytest.fixture
def d328(import_seeds):
    return Letter.objects.select_related("volume").get(volume__identifier="frus1981-88v04", number=328)


@pytest.fixture
def gromyko(import_seeds):
    return Person.objects.get(display_name="Gromyko")


def _staff(django_user_model, username, *, publish):
    user = django_user_model.objects.create_user(username, password="pw-for-tests", is_staff=True)
    codenames = [f"{action}_{model}" for model in CATALOG_MODELS for action in ("view", "change", "add", "delete")]
    if publish:
        codenames.append("publish_letter")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames))
    return user


@pytest.fixture
def editor_client(db, django_user_model):
    """A staff editor with every catalog permission except ``publish_letter``."""
    client = Client()
    client.user = _staff(django_user_model, "editor-without-publish", publish=False)
    client.force_login(client.user)
    return client


@pytest.fixture
def publisher_client(db, django_user_model):
    """A staff editor (not a superuser) who may publish."""
    client = Client()
    client.user = _staff(django_user_model, "publisher", publish=True)
    client.force_login(client.user)
    return client


def read_form(response, form_id=None):
    """What a browser would submit from the page's form: every successful control, as lists.

    ``form_id`` picks the form by its id; without one, the page's main form (not the logout form).
    """
    document = lxml.html.fromstring(response.content.decode())
    if form_id:
        forms = [f for f in document.forms if f.get("id") == form_id]
    else:
        forms = [f for f in document.forms if f.get("id") != "logout-form"]
    assert forms, f"no form {form_id!r} on the page"
    textareas = {area.name for area in forms[0].iter("textarea")}
    data: dict[str, list[str]] = {}
    for name, value in forms[0].form_values():
        if name in textareas and value.startswith("\n"):
            value = value[1:]  # a browser drops the newline that opens a textarea
        data.setdefault(name, []).append(value)
    return data


@pytest.fixture
def form_data():
    return read_form


def role_group(name):
    """A role group as the data migration makes it. A transactional test empties the tables after
    it, the migration's rows included, so later tests make the groups again with its own list."""
    import importlib

    from django.contrib.auth.models import Group

    roles = importlib.import_module("catalog.migrations.0006_workbench_roles").ROLES
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.set(Permission.objects.filter(content_type__app_label="catalog", codename__in=roles[name]))
    return group


def _member(django_user_model, username, group):
    """A staff user whose only permissions are those of a role group (created by the migration)."""
    user = django_user_model.objects.create_user(username, password="pw-for-tests", is_staff=True)
    user.groups.add(role_group(group))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def editors(db, django_user_model):
    return _member(django_user_model, "edith", "Editors")


@pytest.fixture
def reviewers(db, django_user_model):
    return _member(django_user_model, "rita", "Reviewers")


@pytest.fixture
def importers(db, django_user_model):
    return _member(django_user_model, "imre", "Importers")
