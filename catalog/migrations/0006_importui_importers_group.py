"""The "Importers" group: may run imports from the browser and see the import runs (get_or_create, so that
other migrations creating groups compose with this one)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

IMPORTER_PERMISSIONS = ["run_import", "view_importrun"]


def create_importers(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure ImportRun's exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Importers")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="catalog", codename__in=IMPORTER_PERMISSIONS)
    )


def remove_importers(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="Importers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_importui_import_runs"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_importers, remove_importers)]
