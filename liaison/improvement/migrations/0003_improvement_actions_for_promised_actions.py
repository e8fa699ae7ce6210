"""Every action already promised in a response letter gets its improvement action, owned by the case owner."""

from django.db import migrations

from liaison.improvement.promised import backfill_promised_actions


def forwards(apps, schema_editor):
    result = backfill_promised_actions(
        apps.get_model("cases", "PromisedAction"),
        apps.get_model("improvement", "ImprovementAction"),
        apps.get_model("cases", "Issue"),
    )
    if result.skipped:
        # Case references only: they name no patient. Give these an owner and raise their actions by hand.
        print(
            f"\n  {len(result.skipped)} promised action(s) not followed up, their case has no owner: "
            + ", ".join(sorted(set(result.skipped)))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_issue_uncoded_and_web_consent"),
        ("improvement", "0002_improvementaction_promised_action"),
    ]

    # Going back leaves the created actions in place: by then they may hold owners' work and evidence.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
