"""Changing a case locks the case, not its site: every write at a site checks its foreign key to the site row
(FOR KEY SHARE), so a case change that also held the site row FOR UPDATE, while it waited for the audit
chain, deadlocked with the next writer (seen under load by bench/soak.py)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection, transaction

from conftest import Cast
from liaison.cases import services

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")


def _other_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_locked_case_leaves_its_site_row_free_for_other_writers(cast: Cast, open_case) -> None:  # type: ignore[no-untyped-def]
    case = open_case()
    results: dict[str, object] = {}
    with transaction.atomic():
        locked = services._lock(case)
        assert locked.site_id == cast.rgh.pk

        def other() -> None:
            with _other_connection() as other_connection:
                row = other_connection.execute(
                    "SELECT id FROM org_site WHERE id = %s FOR KEY SHARE NOWAIT", [cast.rgh.pk]
                ).fetchone()
                results["site"] = row
                try:
                    other_connection.execute("SELECT id FROM cases_case WHERE id = %s FOR UPDATE NOWAIT", [case.pk])
                    results["case"] = "free"
                except psycopg.errors.LockNotAvailable:
                    results["case"] = "locked"

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=30)
    assert results == {"site": (cast.rgh.pk,), "case": "locked"}
