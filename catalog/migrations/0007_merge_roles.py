"""Joins the branches of 0006 and gives the editorial roles the records that came with them:
annotations (Editors and Reviewers edit them), readers' error reports (Editors and Reviewers read
and close them) and import runs (everyone on staff may see who imported what)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Editors": [
        "view_annotation",
        "add_annotation",
        "change_annotation",
        "delete_annotation",
        "view_errorreport",
        "change_errorreport",
        "view_importrun",
    ],
    "Reviewers": [
        "view_annotation",
        "add_annotation",
        "change_annotation",
        "delete_annotation",
        "view_errorreport",
        "change_errorreport",
        "view_importrun",
    ],
    "Importers": ["view_annotation", "view_errorreport", "view_importrun", "run_import"],
}


def extend_roles(apps, schema_editor):
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
        ("catalog", "0006_annotations_annotation"),
        ("catalog", "0006_importui_importers_group"),
        ("catalog", "0006_public_catalog"),
        ("catalog", "0006_workbench_chapter_term_versions"),
        ("catalog", "0006_fidelity_chapter_notes"),
    ]

    operations = [migrations.RunPython(extend_roles, migrations.RunPython.noop)]
