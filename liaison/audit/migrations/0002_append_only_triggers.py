from django.db import migrations

from liaison.audit import triggers


def create_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    triggers.create(schema_editor.connection)


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
