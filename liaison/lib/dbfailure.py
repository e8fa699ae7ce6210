"""When the database cannot be reached, is full or is read-only: a calm 503 page instead of a server error.

Every change Liaison makes is one transaction (a service's ``transaction.atomic``), so a database failure half-way
through a save leaves nothing behind; what the user needs then is to be told that, in words, and to try again
later. Django turns an uncaught error into a 500 page wherever it happens: in the view, or in a middleware that
loads the session or the signed-in user before the view runs (the usual place while the database restarts), and
it answers a session it could not save afterwards with a 400. The view's errors reach
:meth:`DatabaseUnavailableMiddleware.process_exception`; the others are noted on the request as they happen (a
query wrapper sees every failed query, ``got_request_exception`` every failed connection), and the error answer
is replaced on its way out, so a page works the same whichever layer met the outage first. Django's own
"Internal Server Error" traceback for an outage is dropped from the log: one line per request says what failed.

Only outages are turned into the 503: a lost or refused connection, a full disk, a read-only database, a lock or
timeout that a retry gets past. A bug (an integrity error from our own code, a bad query, a missing table) stays
a 500, so that it is seen and fixed. Nothing here touches the database, and nothing from the request or the
error's message is logged or shown: only the error's class and code, which never carry patient data.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, InternalError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
_NOTED = "_liaison_database_unavailable"

# PostgreSQL's SQLSTATE classes and codes that describe the server's state, never the query that met them:
# connection exceptions, insufficient resources (disk full, out of memory, too many connections), operator
# intervention (shutting down, starting up, statement timeout) and system errors (I/O).
_PG_OUTAGE_CLASSES = {"08": "connection", "53": "resources", "57": "interrupted", "58": "server error"}
_PG_OUTAGE_CODES = {
    "25006": "read-only",  # read_only_sql_transaction: a standby, or default_transaction_read_only
    "40001": "busy",  # serialization_failure
    "40P01": "busy",  # deadlock_detected
    "55P03": "busy",  # lock_not_available (lock_timeout)
}
# SQLite's result codes (Python 3.11+ names them) for the state of the file or its disk. "no such table" and the
# like share the OperationalError class with these, so the code decides.
_SQLITE_OUTAGES = {
    "SQLITE_FULL": "disk full",
    "SQLITE_READONLY": "read-only",
    "SQLITE_BUSY": "busy",
    "SQLITE_LOCKED": "busy",
    "SQLITE_IOERR": "disk error",
    "SQLITE_CANTOPEN": "cannot open",
}


def database_unavailable(exc: BaseException) -> str | None:
    """Why the database could not serve this request ("disk full", "read-only", ...), or None if it is no outage."""
    if not isinstance(exc, DatabaseError):
        return None
    if isinstance(exc, InterfaceError):
        return "connection"  # the connection is closed or unusable
    if not isinstance(exc, (OperationalError, InternalError)):
        return None  # IntegrityError, ProgrammingError, DataError...: a bug or bad data, never hidden
    cause = exc.__cause__
    sqlite_name = getattr(cause, "sqlite_errorname", None)
    if sqlite_name is not None:
        for prefix, reason in _SQLITE_OUTAGES.items():
            if sqlite_name.startswith(prefix):
                return reason
        return None
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state is None:
        # psycopg gives no SQLSTATE when the server never answered: refused, reset or closed connections.
        return "connection" if isinstance(exc, OperationalError) else None
    if state in _PG_OUTAGE_CODES:
        return _PG_OUTAGE_CODES[state]
    if state == "53100":
        return "disk full"
    return _PG_OUTAGE_CLASSES.get(state[:2])


def _error_code(exc: BaseException) -> str:
    cause = exc.__cause__
    return str(
        getattr(cause, "sqlite_errorname", None)
        or getattr(cause, "sqlstate", None)
        or getattr(cause, "pgcode", None)
        or "-"
    )


def _note(request: HttpRequest, exc: BaseException, reason: str) -> None:
    """Remember the outage on the request and log it once: the error's class and code, never its message."""
    if getattr(request, _NOTED, None) is None:
        logger.error(
            "Database unavailable (%s): %s.%s [%s] during a %s request.",
            reason,
            type(exc).__module__,
            type(exc).__qualname__,
            _error_code(exc),
            request.method,
        )
    setattr(request, _NOTED, reason)


def _on_request_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    exc = sys.exc_info()[1]
    if request is None or exc is None:
        return
    reason = database_unavailable(exc)
    if reason is not None:
        _note(request, exc, reason)


class _QueryWatch:
    """Notes an outage met by any query of the request, wherever the error is then caught or converted.

    Errors raised while connecting never reach a query; they surface as the request's uncaught error instead.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        try:
            return execute(sql, params, many, context)
        except DatabaseError as exc:
            reason = database_unavailable(exc)
            if reason is not None:
                _note(self.request, exc, reason)
            raise


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer. It is rendered without the request, so no context processor can reach the database."""
    saving = request.method not in {"GET", "HEAD", "OPTIONS"}
    response: HttpResponse
    if request.path.startswith("/api/"):
        message = (
            "Liaison could not save this just now; nothing was changed. Please try again in a minute."
            if saving
            else "Liaison cannot reach its database just now. Please try again in a minute."
        )
        response = JsonResponse({"message": message, "extra": {"retry_after_seconds": RETRY_AFTER_SECONDS}})
    else:
        response = HttpResponse(render_to_string("errors/database_unavailable.html", {"saving": saving}))
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _not_an_outage_traceback(record: logging.LogRecord) -> bool:
    """Drops Django's "Internal Server Error" report of an outage: the error is logged once by _note, and a
    traceback for every request while the database restarts would bury everything else in the log."""
    exc = record.exc_info[1] if record.exc_info else None
    return exc is None or database_unavailable(exc) is None


class DatabaseUnavailableMiddleware:
    """Answers 503 with our own page when the database is out, whichever layer of the request met it.

    It belongs just inside the middleware that only set headers (security, static files, CSP), so the page
    still gets their headers, and outside the session and authentication middleware, which read the database.
    In DEBUG the developer's traceback page is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_on_request_exception, dispatch_uid=__name__)
        request_log = logging.getLogger("django.request")
        if _not_an_outage_traceback not in request_log.filters:
            request_log.addFilter(_not_an_outage_traceback)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(_QueryWatch(request)))
            response = self.get_response(request)
        # 400 too: Django answers a session it could not save with "Bad Request" (SessionInterrupted).
        failed = response.status_code >= 500 or response.status_code == 400
        if failed and getattr(request, _NOTED, None) and not settings.DEBUG:
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        reason = database_unavailable(exception)
        if reason is None or settings.DEBUG:
            return None
        _note(request, exception, reason)
        return unavailable_response(request)
