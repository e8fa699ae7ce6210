"""Events are written unsealed and sealed into the chain afterwards (``liaison.audit.sealing``).

The position and the hash may be empty until sealing, the triggers let the one sealing update through, and a
partial index holds the sealer's queue. Existing events are all sealed already; nothing is rewritten.
"""

from django.db import migrations, models

from liaison.audit import triggers


def create_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    triggers.create(schema_editor.connection)


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        # SQLite rebuilds the table to change a column: the triggers go first and come back last.
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["-id"]}),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Position in the hash chain, from 1 without gaps; empty until sealed.",
                null=True,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("seq__isnull", True)), fields=["id"], name="audit_unsealed_idx"),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
