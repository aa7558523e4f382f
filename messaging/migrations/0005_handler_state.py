"""Subscription becomes HandlerState: the row is a handler's paused state, not a subscription.

The permissions keep their holders: Django would create new codenames for the
renamed model and leave the groups holding the old ones, so they are renamed.
"""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def rename_permissions(apps, schema_editor, *, old: str, new: str, label: str):
    Permission = apps.get_model("auth", "Permission")
    for action in ACTIONS:
        if Permission.objects.filter(content_type__app_label="messaging", codename=f"{action}_{new}").exists():
            continue  # created already (a database migrated before): nothing to carry
        Permission.objects.filter(content_type__app_label="messaging", codename=f"{action}_{old}").update(
            codename=f"{action}_{new}", name=f"Can {action} {label}"
        )


def forwards(apps, schema_editor):
    rename_permissions(apps, schema_editor, old="subscription", new="handlerstate", label="handler state")


def backwards(apps, schema_editor):
    rename_permissions(apps, schema_editor, old="handlerstate", new="subscription", label="subscription")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("messaging", "0004_watchdog_and_permissions"),
    ]

    operations = [
        migrations.RenameModel("Subscription", "HandlerState"),
        migrations.AlterModelOptions(name="handlerstate", options={"verbose_name": "handler state"}),
        migrations.RunPython(forwards, backwards),
    ]
