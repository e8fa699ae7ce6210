"""Statistics on how owner, status and site go together, so the planner sees how many open cases an officer has
(PostgreSQL only).

An officer's cases are mostly their open ones, but the planner assumes owner and status are independent and,
for the busiest officer at a million cases, expected 132 open cases where there were 17,000: it then sorted them
all for the worklist's first page instead of reading the page from the owner's order index. Extended statistics
(most common combinations and functional dependencies) give it the real figure; ANALYZE keeps them current.
"""

from django.db import migrations

_NAME = "cases_owner_status_site_stats"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE STATISTICS IF NOT EXISTS "{_NAME}" (mcv, dependencies) ON owner_id, status, site_id FROM "cases_case"'
    )
    schema_editor.execute('ANALYZE "cases_case"')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP STATISTICS IF EXISTS "{_NAME}"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_worklist_and_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
