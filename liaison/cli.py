"""The ``liaison`` command.

liaison demo             migrate an SQLite database, load demo data, print the logins, serve
liaison serve            run the web server (gunicorn) for production
liaison worker           run the background task worker
liaison manage ARGS...   any Django management command
liaison COMMAND ARGS...  shorthand for a Liaison management command (e.g. ``liaison audit verify``)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence

USAGE = __doc__ or ""


def _django(argv: Sequence[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["liaison", *argv])


def bind_address() -> tuple[str, str]:
    """The host and port the web server listens on (``LIAISON_HOST``, ``LIAISON_PORT``)."""
    return os.environ.get("LIAISON_HOST", "127.0.0.1"), os.environ.get("LIAISON_PORT", "8000")


def _bind() -> str:
    host, port = bind_address()
    return f"{host}:{port}"


def local_url() -> str:
    """The address of the server ``liaison demo`` or ``serve`` starts, for links when LIAISON_BASE_URL is unset.

    Listening on every interface (0.0.0.0, ::) names no address to link to; this machine's own is used then.
    """
    host, port = bind_address()
    if host in {"", "0.0.0.0", "::", "[::]"}:  # noqa: S104  (read, not bound to)
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}"


def _serve(extra: Sequence[str]) -> int:
    workers = os.environ.get("LIAISON_WEB_WORKERS", "3")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "liaison.wsgi:application",
        "--bind",
        _bind(),
        "--workers",
        workers,
        # Threads: a long download (a CSV of every case streams for a minute or more) keeps one thread busy,
        # not a whole worker, and a threaded worker keeps telling gunicorn it is alive while it streams.
        "--worker-class",
        "gthread",
        "--threads",
        os.environ.get("LIAISON_WEB_THREADS", "4"),
        *extra,
    ]
    if os.environ.get("LIAISON_DEMO") != "1" and os.environ.get("LIAISON_DEBUG") != "1":
        _django(["collectstatic", "--noinput", "--verbosity", "0"])
    return subprocess.call(command)  # noqa: S603  (our own interpreter and arguments)


def _demo(extra: Sequence[str]) -> int:
    os.environ.setdefault("LIAISON_DEMO", "1")
    os.environ.setdefault("LIAISON_REQUIRE_MFA", "0")
    _django(["migrate", "--noinput", "--verbosity", "0"])
    _django(["demo_seed"])
    print(f"\nLiaison demo: open {local_url()}/ in your browser (Ctrl+C stops it).\n", flush=True)
    worker = subprocess.Popen([sys.executable, "-m", "liaison.cli", "worker"])
    try:
        return _serve(["--workers", "2", *extra])
    except KeyboardInterrupt:
        return 0
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "demo":
        return _demo(rest)
    if command == "serve":
        return _serve(rest)
    if command == "worker":
        _django(["worker", *rest])
        return 0
    if command == "feedback" and rest[:1] == ["import"]:
        _django(["feedback_import", *rest[1:]])
        return 0
    if command == "manage":
        _django(rest)
        return 0
    _django(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
