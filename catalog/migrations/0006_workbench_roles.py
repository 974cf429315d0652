"""The editorial roles: Editors, Reviewers and Importers groups with their permissions.

Written with get_or_create and ``add`` so that other migrations can add to the same groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITED = [
    "letter",
    "footnote",
    "crossreference",
    "letterperson",
    "sourcecitation",
    "person",
    "personidentifier",
    "archivalsource",
    "volume",
    "chapter",
    "term",
]
VIEWED = ["revision", "transition", "letterproblem", "erratum"]


def codenames_for_editors():
    return [f"{action}_{model}" for model in EDITED for action in ("view", "add", "change")] + [
        f"view_{model}" for model in VIEWED
    ]


ROLES = {
    "Editors": codenames_for_editors(),
    "Reviewers": [*codenames_for_editors(), "publish_letter", "review_letter", "add_erratum"],
    "Importers": [f"view_{model}" for model in [*EDITED, *VIEWED]],
}


def create_roles(apps, schema_editor):
    app_config = apps.get_app_config("catalog")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0006_workbench_workflow"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
