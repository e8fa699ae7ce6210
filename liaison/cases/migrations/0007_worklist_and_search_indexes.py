"""Indexes for the worklist's orders and its search, so neither reads every case (PostgreSQL only).

The worklist sorts by priority, then the next deadline (none last), then when received. An index in that
order, led by the site or the owner, lets a page be read straight from the index instead of sorting every
matching case; the open cases, the usual filter, get a partial index of their own.

Each condition of ``cases.selectors.search`` gets an index written for the exact expression Django generates:
trigram GIN indexes for "contains" on the reference and the names, a B-tree for the exact MRN, and a GIN index
on the text's full-text vector. PostgreSQL combines them with a bitmap OR, so a search reads only the matching
rows. SQLite (the demo and small installs) searches by scanning, which is quick at its sizes.
"""

from django.db import migrations

_ORDER = 'priority_rank, next_due_at NULLS LAST, received_at, id'
_OPEN = "status IN ('new', 'acknowledged', 'under_investigation', 'response_drafted', 'responded')"

_INDEXES = {
    "cases_order_idx": f"({_ORDER})",
    "cases_site_order_idx": f"(site_id, {_ORDER})",
    "cases_site_open_order_idx": f"(site_id, {_ORDER}) WHERE {_OPEN}",
    "cases_owner_order_idx": f"(owner_id, {_ORDER})",
    "cases_reference_trgm": 'USING gin ((UPPER("reference"::text)) gin_trgm_ops)',
    "cases_patient_name_trgm": 'USING gin ((UPPER("patient_name"::text)) gin_trgm_ops)',
    "cases_complainant_name_trgm": 'USING gin ((UPPER("complainant_name"::text)) gin_trgm_ops)',
    "cases_patient_mrn_upper": '((UPPER("patient_mrn"::text)))',
    "cases_text_fts": (
        "USING gin (to_tsvector('english'::regconfig, "
        "COALESCE(\"account\", '') || ' ' || COALESCE(\"desired_outcome\", '')))"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in _INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "cases_case" {definition}')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_retention_hold_and_purge")]

    operations = [migrations.RunPython(create, drop)]
