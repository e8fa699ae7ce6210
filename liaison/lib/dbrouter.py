"""Dashboards, reports and exports read from a read replica; everything else uses the primary.

A hospital's office reads its own writes all day: log a case, open it, change it, open it again. Those pages
must see what was just written, so they stay on the primary (``default``). The pages that only count and list
(the dashboards, the reports, the downloads) can be minutes heavy on a large trust and do not mind being a
fraction of a second behind; they are the ones worth moving off the primary. So the rule is opt-in:

- a view marked :func:`reads_from_replica` runs its reads (and a streamed download its rows) in a *replica
  scope*, a context variable the router reads; nothing else ever does;
- inside the scope, a read still goes to the primary when a transaction is open on it (the read is then part
  of a write, such as the audit row every view appends), and when its model is one of :data:`PRIMARY_APPS`
  (who the user is, their roles and sites, their session, the audit trail): a right withdrawn a moment ago
  is withdrawn on the dashboard too, whatever the replica's lag;
- every write goes to the primary; migrations run on the primary only (the replica copies them).

With no ``replica`` database configured (``LIAISON_REPLICA_DATABASE_URL`` unset), all of this is a no-op.
If the replica cannot be reached, a marked view is served from the primary and a warning is logged (naming
the database alias and the error's type, never a query or a value); see docs/operations.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.models import Model
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"

# Read from the primary even in a replica scope: identity, rights, sessions and sign-in state must never lag
# (a revoked role or site is revoked everywhere at once), and the audit trail is read only to be appended to.
PRIMARY_APPS = frozenset(
    {
        "accounts",
        "auth",
        "sessions",
        "contenttypes",
        "otp_totp",
        "otp_static",
        "django_otp",
        "axes",
        "audit",
        "django_tasks_db",
    }
)

# After a failed connection, the replica is not tried again for this long (per process), so that a dead
# replica costs one connection attempt per half minute, not one per page.
RETRY_AFTER_SECONDS = 30.0

_in_scope: ContextVar[bool] = ContextVar("liaison_reads_from_replica", default=False)
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def replica_alias() -> str | None:
    """The replica's database alias when one is configured, else None."""
    return REPLICA if REPLICA in settings.DATABASES else None


def in_replica_scope() -> bool:
    return _in_scope.get()


@contextmanager
def replica_reads() -> Iterator[None]:
    """Run the enclosed reads on the replica (when configured): for code that only reads and may lag."""
    token = _in_scope.set(True)
    try:
        yield
    finally:
        _in_scope.reset(token)


def _in_replica_scope_each_step(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A streamed body whose rows are fetched in the replica scope.

    The scope is entered for each step and left before the chunk is handed on: a generator shares its
    caller's context, so holding the scope across ``yield`` would leak it into the server's own code.
    """
    iterator = iter(chunks)
    while True:
        token = _in_scope.set(True)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _in_scope.reset(token)
        yield chunk


def _reachable(alias: str) -> bool:
    """Whether the replica answers now; a failure is logged once and remembered for a while."""
    if time.monotonic() < _down_until.get(alias, 0.0):
        return False
    connection = connections[alias]
    try:
        # What Django does before a query: drop a persistent connection that no longer answers, then connect.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except (OperationalError, InterfaceError) as exc:
        with _down_lock:
            _down_until[alias] = time.monotonic() + RETRY_AFTER_SECONDS
        # The error's type only: its text names hosts and users, which PostgreSQL's own log has, and a line
        # that carries no text from elsewhere can never carry patient data.
        logger.warning(
            "The read replica (database %r) cannot be reached (%s); dashboards, reports and exports are read "
            "from the primary for the next %d seconds.",
            alias,
            type(exc).__name__,
            RETRY_AFTER_SECONDS,
        )
        return False
    return True


def reads_from_replica(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a view that only reads (apart from its audit row) and may lag the primary by a moment.

    Its reads go to the replica when one is configured and reachable, otherwise to the primary. Should the
    replica fail during the view (a dropped connection, or a query cancelled by the standby's replay), the
    view is run once more on the primary: it may then write its audit row twice, which over-records a view
    but never hides one. A streamed download fetches its rows from the replica as it is sent, so a failure
    then cuts the download off, as any error during a download does (it cannot be restarted once sent in
    part). A file response (XLSX, PDF) is complete before it is returned, so nothing is wrapped.
    """

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        alias = replica_alias()
        if alias is None or not _reachable(alias):
            return view(*args, **kwargs)
        try:
            with replica_reads():
                response = view(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            if not connections[alias].errors_occurred:
                raise  # the primary's error: running the view again would not help
            logger.warning(
                "A read on the replica (database %r) failed (%s); the page is served from the primary instead.",
                alias,
                type(exc).__name__,
            )
            return view(*args, **kwargs)
        if isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse):
            content = response.streaming_content
            if isinstance(content, Iterator):  # an async body (not used by Liaison) would be left as it is
                response.streaming_content = _in_replica_scope_each_step(content)
        return response

    return wrapped


def _app_label(model: type[Model] | None) -> str:
    return model._meta.app_label if model is not None else ""


class PrimaryReplicaRouter:
    """Django's database router for Liaison (``DATABASE_ROUTERS``); see the module's docstring.

    ``replica`` names the replica's alias; by default the ``replica`` alias when settings configure one.
    """

    def __init__(self, replica: str | None = None) -> None:
        self._replica = replica

    @property
    def replica(self) -> str | None:
        return self._replica if self._replica is not None else replica_alias()

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        replica = self.replica
        if replica is None or not _in_scope.get():
            return PRIMARY
        # A read inside a transaction on the primary belongs to that transaction (a read before a write, a
        # row lock, the audit chain's head): the replica would not have what the transaction is based on.
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if _app_label(model) in PRIMARY_APPS:
            return PRIMARY
        # A related manager of a user (their sites, roles, departments) reads with the user as its instance.
        instance = hints.get("instance")
        if isinstance(instance, Model) and _app_label(type(instance)) in PRIMARY_APPS:
            return PRIMARY
        return replica

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica is a copy of the primary: an object read from one may refer to one from the other.
        ours = {PRIMARY, self.replica}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        # The replica is read-only and receives the primary's schema by replication.
        if db == self.replica or db == REPLICA:
            return False
        return None
