"""Liaison as it runs in production: `liaison serve` processes (gunicorn) started by the test, with nginx or moto.

The processes run the production settings (``liaison.settings``, MFA on) against the test database, which
the test fills through the services and which pytest-django empties afterwards. Every process started here is
stopped when its test ends, passed or failed.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, Cast, make_cast
from liaison.accounts.models import User
from liaison.cases import services as case_services
from liaison.cases.models import Case
from tests.html_forms import HtmlForm, parse_forms

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60  # seconds for a process to answer; a loaded machine imports Django and collects static slowly
REQUEST_TIMEOUT = 20


@dataclass
class Process:
    """A server process this test started, in its own process group so that stopping it stops its children."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class Processes:
    """Starts processes, waits for them to answer, and stops every one of them at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Process] = []

    def start(self, name: str, command: Sequence[str], *, port: int, env: dict[str, str]) -> Process:
        if not port_is_free(port):
            raise RuntimeError(f"port {port} is taken: a process left over from an earlier run? ({name} needs it)")
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(command), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name=name, popen=popen, log=log, port=port)
        self.started.append(process)
        return process

    def wait_until_answering(self, process: Process, path: str = "/healthz") -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(
                    f"{process.name} exited with {process.popen.returncode} before answering:\n{process.log_tail()}"
                )
            try:
                if requests.get(process.url + path, timeout=2, allow_redirects=False).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{process.name} did not answer within {START_TIMEOUT} s:\n{process.log_tail()}")

    def stop_all(self) -> None:
        for process in self.started:
            _signal_group(process.popen, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.started:
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process.popen, signal.SIGKILL)
                process.popen.wait(timeout=5)
        # gunicorn's master may still be ending its worker when the launcher has gone: wait for the group.
        for process in self.started:
            _wait_group_gone(process.popen.pid)


def _signal_group(popen: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, sig)  # the group this test created for the process (start_new_session)


def _wait_group_gone(pgid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
        # Shown by pytest only when the test failed: what each process said.
        for process in started.started:
            print(f"--- {process.name} (exit {process.popen.returncode}) ---\n{process.log_tail()}")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def database_url() -> str:
    """The test database, as the server processes must be told it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    user = f"{quote(db['USER'] or 'postgres', safe='')}{password}@"
    return f"postgres://{user}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def liaison_env(tmp_path: Path, *, data_dir: Path, base_url: str, **extra: str) -> dict[str, str]:
    """A production environment for `liaison serve`: what an operator would set, nothing of the test's own."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "static").mkdir(exist_ok=True)
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIAISON_", "DATABASE_URL", "DJANGO_", "AWS_", "EMAIL_"))
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "liaison.settings",
        "DATABASE_URL": database_url(),
        # Every process must sign sessions with one key; the audit key only has to match the test's.
        "LIAISON_SECRET_KEY": settings.SECRET_KEY,
        "LIAISON_AUDIT_KEY": settings.LIAISON_AUDIT_KEY,
        "LIAISON_AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
        "LIAISON_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LIAISON_HTTPS": "0",
        "LIAISON_BASE_URL": base_url,
        "LIAISON_DATA_DIR": str(data_dir),
        "LIAISON_WEB_WORKERS": "1",
        "LIAISON_WEB_THREADS": "2",
        "LIAISON_LOG_LEVEL": "WARNING",
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }


def serve_command(folder: Path, name: str) -> list[str]:
    """`liaison serve` as production runs it; gunicorn's access log says which process answered what.

    Each process needs its own control socket: gunicorn's default is one per user ($HOME/.gunicorn), and a
    second server on the machine would take it over from the first.
    """
    return [
        sys.executable,
        "-m",
        "liaison.cli",
        "serve",
        "--access-logfile",
        str(folder / f"{name}-access.log"),
        "--control-socket",
        str(folder / f"{name}.ctl"),
        "--graceful-timeout",
        "5",
    ]


# -- The people and the case the processes serve -----------------------------------------------------------


@dataclass
class World:
    cast: Cast
    case: Case
    totp_secret: str


def make_world() -> World:
    """The shared cast and one open case, committed for the server processes to read."""
    cast = make_cast()
    # The test settings hash with MD5 for speed; the servers run the production hashers (Argon2).
    User.objects.filter(pk=cast.officer.pk).update(password=make_password(PASSWORD, hasher="argon2"))
    device = TOTPDevice.objects.create(user=cast.officer, name="Authenticator app", confirmed=True)
    case = case_services.case_open(
        acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="phone", owner=cast.officer
    )
    return World(cast=cast, case=case, totp_secret=base64.b32encode(device.bin_key).decode())


def sample_upload(size: int = 6 * 1024 * 1024) -> bytes:
    """A PNG by its signature, larger than both nginx's and Django's in-memory limits (both spill to disk)."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size)


# -- One person's browser ------------------------------------------------------------------------------------


@dataclass
class Answer:
    method: str
    path: str
    status: int
    process: str  # the address of the process that answered


@dataclass
class Visitor:
    """One person's browser, sending each request to the other process than the one before.

    With ``proxy`` the requests go through it and it tells (``X-Upstream``) which process answered; a cheap
    request to /healthz moves its round robin on when it would pick the same process twice. Without a proxy
    the visitor calls the processes' own ports in turn. Either way every answer is recorded.
    """

    processes: list[Process]
    proxy: str | None = None
    http: requests.Session = field(default_factory=requests.Session)
    answers: list[Answer] = field(default_factory=list)
    _last_proxied: str = ""
    steering_requests: int = 0  # extra /healthz requests sent to move the proxy's round robin on

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        want = self._next_process()
        if self.proxy is None:
            response = self._send(method, want.url + path, **kwargs)
            answered = want.address
        else:
            if self._proxy_would_pick() != want.address:
                self._through_proxy("GET", "/healthz")
                self.steering_requests += 1
            response = self._through_proxy(method, path, **kwargs)
            answered = response.headers.get("X-Upstream", "")
        self.answers.append(Answer(method, path, response.status_code, answered))
        assert answered == want.address, f"{method} {path} was answered by {answered!r}, not {want.address}"
        return response

    def get(self, path: str) -> requests.Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, Any], files: dict[str, Any] | None = None) -> requests.Response:
        return self.request("POST", path, data=data, files=files)

    def follow(self, response: requests.Response, hops: int = 5) -> requests.Response:
        """Follow redirects as a browser would, each hop a request of its own (so to the other process)."""
        for _ in range(hops):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            response = self.get(_path(response.headers["Location"]))
        raise AssertionError(f"more than {hops} redirects, the last to {response.headers.get('Location')}")

    def form(self, response: requests.Response, has_field: str) -> tuple[str, HtmlForm]:
        """The page's form holding ``has_field``, and the path it posts to."""
        assert response.status_code == 200, f"{response.request.method} {response.url}: {response.status_code}"
        for found in parse_forms(response.text):
            if has_field in found.fields:
                return (found.action or _path(response.url)), found
        raise AssertionError(f"no form with a {has_field!r} field on {response.url}")

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = {}
        if method == "POST":  # as a browser does: Django checks it against the Host the proxy passed on
            parts = urlsplit(url)
            headers["Origin"] = f"{parts.scheme}://{parts.netloc}"
        return self.http.request(method, url, headers=headers, allow_redirects=False, timeout=REQUEST_TIMEOUT, **kwargs)

    def _next_process(self) -> Process:
        if not self.answers:
            return self.processes[0]
        last = self.answers[-1].process
        return next((p for p in self.processes if p.address != last), self.processes[0])

    def _through_proxy(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        assert self.proxy is not None
        response = self._send(method, self.proxy + path, **kwargs)
        self._last_proxied = response.headers.get("X-Upstream", "")
        return response

    def _proxy_would_pick(self) -> str:
        """Round robin over two: the process that did not answer the proxy's last request."""
        if not self._last_proxied:
            self._through_proxy("GET", "/healthz")
        return next((p.address for p in self.processes if p.address != self._last_proxied), "")

    def answered_by(self, method: str, pattern: str) -> list[str]:
        return [a.process for a in self.answers if a.method == method and re.fullmatch(pattern, a.path)]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(visitor: Visitor, world: World) -> requests.Response:
    """Password on one process, the second factor on the other, the first page on the first again."""
    import pyotp

    action, login = visitor.form(visitor.get("/accounts/login/"), "password")
    data = login.base_data(plausible=False)
    data.update(username=[world.cast.officer.email], password=[PASSWORD])
    response = visitor.follow(visitor.post(action, data))
    action, verify = visitor.form(response, "token")
    data = verify.base_data(plausible=False)
    data["token"] = [pyotp.TOTP(world.totp_secret).now()]
    page = visitor.follow(visitor.post(action, data))
    assert page.status_code == 200 and world.cast.officer.full_name in page.text, page.text[:500]
    return page


def attach(visitor: Visitor, world: World, content: bytes, name: str) -> int:
    """Attach a file through the case's Attach form; return the new attachment's id read from the case page."""
    reference = world.case.reference
    action, form = visitor.form(visitor.get(f"/cases/{reference}/do/attach/"), "file")
    assert form.enctype == "multipart/form-data"
    response = visitor.post(action, form.base_data(plausible=False), files={"file": (name, content, "image/png")})
    assert response.status_code == 302, f"the upload was refused ({response.status_code}): {response.text[:800]}"
    page = visitor.follow(response)
    assert page.status_code == 200 and name in page.text
    found = re.findall(rf'href="/cases/{re.escape(reference)}/attachments/(\d+)/"', page.text)
    assert len(found) == 1, found
    return int(found[0])


def download(visitor: Visitor, world: World, attachment: int) -> requests.Response:
    response = visitor.get(f"/cases/{world.case.reference}/attachments/{attachment}/")
    assert response.status_code == 200, response.status_code
    return response


def sign_out(visitor: Visitor) -> None:
    """Press "Sign out" in the page header."""
    page = visitor.get("/")
    form = next((f for f in parse_forms(page.text) if f.action == "/accounts/logout/"), None)
    assert form is not None, "no sign-out button on the home page"
    response = visitor.post(form.action, form.base_data(plausible=False))
    assert response.status_code in (200, 302), response.status_code
