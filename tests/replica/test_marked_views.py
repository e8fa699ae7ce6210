"""The view decorator and the settings, each in a Django process of its own configured with a replica.

The test process itself has no replica configured (its settings are fixed when it starts), so each case
starts ``python -c`` with ``LIAISON_REPLICA_DATABASE_URL`` set. Where the replica must answer, it is the
PostgreSQL server the suite runs on (its ``postgres`` database, opened read-only): these cases check which
connection each read is given, and the streaming replica itself is in ``test_streaming_replica.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="a replica is a PostgreSQL standby; run with DATABASE_URL on PostgreSQL"
)
NOWHERE = "postgres://postgres@127.0.0.1:1/liaison"  # nothing listens on port 1: refused at once


def _server_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def _run(script: str, *, primary: str, replica: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DATABASE_URL", "DJANGO_"))}
    env |= {"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": primary}
    if replica is not None:
        env["LIAISON_REPLICA_DATABASE_URL"] = replica
    return subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def _result(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# What a view would do, and where each of its reads is sent, reported as JSON.
VIEWS = """
import json
import django
django.setup()
from django.db import connections, router, transaction
from django.http import JsonResponse, StreamingHttpResponse
from django.test import RequestFactory
from liaison.accounts.models import User
from liaison.cases.models import Case
from liaison.lib.dbrouter import in_replica_scope, reads_from_replica

@reads_from_replica
def dashboard(request):
    with transaction.atomic():
        in_transaction = router.db_for_read(Case)
    return JsonResponse({
        "case": router.db_for_read(Case),
        "user": router.db_for_read(User),
        "in_transaction": in_transaction,
        "write": router.db_for_write(Case),
    })

seen_by_server = []

@reads_from_replica
def download(request):
    def rows():
        for n in range(3):
            yield router.db_for_read(Case) + "\\n"
    return StreamingHttpResponse(rows())

request = RequestFactory().get("/")
out = {"dashboard": json.loads(dashboard(request).content), "outside": router.db_for_read(Case)}
streamed = []
for chunk in download(request):
    streamed.append(chunk.decode().strip())
    seen_by_server.append(in_replica_scope())  # the server's own code between chunks
out["streamed"] = streamed
out["server_in_scope"] = seen_by_server
print(json.dumps(out))
"""


@needs_postgres
def test_a_marked_view_reads_case_data_from_the_replica_and_streams_its_download_from_it() -> None:
    out = _result(_run(VIEWS, primary=_server_url(), replica=_server_url()))
    assert out["dashboard"] == {"case": "replica", "user": "default", "in_transaction": "default", "write": "default"}
    assert out["outside"] == "default"
    # Each row of the download is fetched in the scope, and the server's code between them is outside it.
    assert out["streamed"] == ["replica", "replica", "replica"]
    assert out["server_in_scope"] == [False, False, False]


@needs_postgres
def test_an_unreachable_replica_is_skipped_for_a_while_with_one_warning_and_no_query_or_value() -> None:
    done = _run(VIEWS, primary=_server_url(), replica=NOWHERE)
    out = _result(done)
    assert out["dashboard"]["case"] == "default"
    assert out["streamed"] == ["default", "default", "default"]
    warnings = [line for line in done.stderr.splitlines() if "read replica" in line]
    # Two marked views, one attempt: the second view did not try the dead replica again.
    assert len(warnings) == 1, done.stderr
    assert "WARNING liaison.lib.dbrouter" in warnings[0] and "cannot be reached (OperationalError)" in warnings[0]
    assert "127.0.0.1" not in warnings[0] and "SELECT" not in done.stderr


FAILING_REPLICA = """
import json
import django
django.setup()
from django.db import OperationalError, close_old_connections, connections, router
from django.http import JsonResponse
from django.test import RequestFactory
from liaison.cases.models import Case
from liaison.lib.dbrouter import reads_from_replica

runs = []

@reads_from_replica
def report(request, *, kill):
    alias = router.db_for_read(Case)
    runs.append(alias)
    if kill == alias or kill == "default":
        # The server ends this very connection, as a standby does when it restarts or cancels a query.
        with connections[kill].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    return JsonResponse({"served_from": alias})

request = RequestFactory().get("/")
out = {"replica_fails": json.loads(report(request, kill="replica").content), "runs": list(runs)}
close_old_connections()  # what Django does between two requests
runs.clear()
try:
    report(request, kill="default")
except OperationalError:
    out["primary_fails"] = "raised"
out["runs_when_primary_fails"] = runs
print(json.dumps(out))
"""


@needs_postgres
def test_a_replica_failing_during_a_view_serves_it_from_the_primary_but_a_primary_failure_is_raised() -> None:
    done = _run(FAILING_REPLICA, primary=_server_url(), replica=_server_url())
    out = _result(done)
    assert out["replica_fails"] == {"served_from": "default"}
    assert out["runs"] == ["replica", "default"]
    assert "served from the primary instead" in done.stderr
    # The primary's own error is not the replica's to paper over: raised, after one run only.
    assert out["primary_fails"] == "raised" and out["runs_when_primary_fails"] == ["replica"]


SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
replica = settings.DATABASES.get("replica")
print(json.dumps(replica and {k: replica[k] for k in ("HOST", "PORT", "NAME", "OPTIONS", "TEST", "CONN_MAX_AGE")}))
"""


def test_the_replica_is_configured_read_only_from_its_variable_and_absent_without_it() -> None:
    replica = "postgres://reader@standby.example:5433/liaison?connect_timeout=7"
    out = _result(_run(SETTINGS, primary="postgres://app@primary.example:5432/liaison", replica=replica))
    assert out["HOST"] == "standby.example" and out["PORT"] == 5433 and out["NAME"] == "liaison"
    assert "default_transaction_read_only=on" in out["OPTIONS"]["options"]
    assert out["OPTIONS"]["connect_timeout"] == 7  # the address's own choice wins over the default 3
    assert out["TEST"]["MIRROR"] == "default"  # a test run reads what it wrote
    assert out["CONN_MAX_AGE"] == 60
    assert _result(_run(SETTINGS, primary="postgres://app@primary.example:5432/liaison", replica=None)) is None


def test_a_replica_beside_an_sqlite_database_is_refused_at_start_up() -> None:
    done = _run(SETTINGS, primary="sqlite:///:memory:", replica="postgres://reader@standby.example/liaison")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "LIAISON_REPLICA_DATABASE_URL needs PostgreSQL" in done.stderr


def test_without_a_replica_the_marked_pages_are_served_as_before(cast: Any, as_user: Any) -> None:
    """The test settings configure no replica: the marker must then change nothing a user could notice."""
    from liaison.audit.models import AuditEvent

    manager = as_user(cast.manager)
    assert manager.get("/insights/?site=RGH").status_code == 200
    assert AuditEvent.objects.filter(action="insights.dashboard_view", actor=cast.manager).count() == 1
    assert manager.get("/feedback/").status_code == 200
    download = manager.get("/insights/exports/cases.csv?view=site&status=")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).decode("utf-8-sig").splitlines()[0].startswith("Reference,Site")
    report = manager.get("/insights/reports/download/?kind=board&site=RGH&format=csv")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
