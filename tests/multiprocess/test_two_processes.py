"""Two `liaison serve` processes behind nginx, sharing one database and one folder of files.

This is how Liaison scales out: app processes keep nothing of their own, so any of them can answer any
request. One person signs in, fills forms, attaches a file and downloads it, and signs out, with nginx handing
each request to the other process than the one before: the session, the CSRF token and the file made on one
process must all work on the other.

Each process has its own data folder (as on two machines); only the database, the secret key and the files'
folder (``LIAISON_MEDIA_ROOT``, an NFS mount in production) are shared.
"""

from __future__ import annotations

import hashlib
import os
from itertools import pairwise
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session

from liaison.audit.models import AuditEvent
from liaison.cases.models import Attachment
from tests.multiprocess.conftest import (
    Process,
    Processes,
    Visitor,
    attach,
    download,
    liaison_env,
    make_world,
    sample_upload,
    serve_command,
    sign_in,
    sign_out,
)

NGINX = Path("/usr/sbin/nginx")
PROXY_PORT, PORT_A, PORT_B = 58300, 58301, 58302

pytestmark = [
    pytest.mark.skipif(
        not NGINX.exists(), reason=f"{NGINX} is not installed (apt-get install nginx-light); .ci/run installs it"
    ),
    pytest.mark.django_db(transaction=True),
]


def nginx_conf(folder: Path, upstreams: list[Process]) -> Path:
    """A round robin over the app processes as docs/operations.md sets it up (without TLS), with every path
    nginx writes to inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {p.address};" for p in upstreams)
    # As root, nginx's workers would drop to "nobody", who cannot enter pytest's private temporary folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
{user}
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 128; }}
http {{
    log_format upstream '"$request" $status $upstream_addr';
    access_log {folder}/access.log upstream;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 25m;
    upstream liaison {{
{servers}
        keepalive 4;
    }}
    server {{
        listen 127.0.0.1:{PROXY_PORT};
        location / {{
            proxy_pass http://liaison;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # For the test only: each answer names the process that gave it, and none is retried on the other.
            proxy_next_upstream off;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
""",
        encoding="utf-8",
    )
    return conf


def test_one_person_is_served_by_two_processes_in_turn_sharing_session_csrf_and_files(
    tmp_path: Path, processes: Processes, sqlite_flushable_audit: object
) -> None:
    world = make_world()
    reference = world.case.reference
    proxy = f"http://127.0.0.1:{PROXY_PORT}"
    shared_files = tmp_path / "shared-files"
    apps = []
    for name, port in (("app-a", PORT_A), ("app-b", PORT_B)):
        env = liaison_env(
            tmp_path,
            data_dir=tmp_path / name,
            base_url=proxy,
            LIAISON_MEDIA_ROOT=str(shared_files),
            LIAISON_HOST="127.0.0.1",
            LIAISON_PORT=str(port),
        )
        apps.append(processes.start(name, serve_command(tmp_path, name), port=port, env=env))
    for app in apps:
        processes.wait_until_answering(app)
    conf = nginx_conf(tmp_path / "nginx", apps)
    nginx = processes.start(
        "nginx",
        [str(NGINX), "-c", str(conf), "-p", str(conf.parent), "-g", "daemon off;"],
        port=PROXY_PORT,
        env=dict(os.environ),
    )
    processes.wait_until_answering(nginx)

    visitor = Visitor(processes=apps, proxy=proxy)

    # Signing in: each form is fetched from one process and posted to the other.
    sign_in(visitor, world)
    session_key = visitor.http.cookies.get("sessionid")
    assert session_key and Session.objects.filter(session_key=session_key).exists()

    # A form posted without its CSRF token is still refused: the check is made, not skipped.
    action, form = visitor.form(visitor.get(f"/cases/{reference}/do/attach/"), "file")
    unsigned = {k: v for k, v in form.base_data(plausible=False).items() if k != "csrfmiddlewaretoken"}
    refused = visitor.post(action, unsigned, files={"file": ("refused.png", b"\x89PNG\r\n\x1a\nx", "image/png")})
    assert refused.status_code == 403

    # A file uploaded to one process downloads, byte for byte, from each: the one that took it and the other.
    content = sample_upload()
    attachment_id = attach(visitor, world, content, "ward-scan.png")
    for _ in apps:
        response = download(visitor, world, attachment_id)
        assert response.content == content
        assert "ward-scan.png" in response.headers["Content-Disposition"]
    uploaded_by = visitor.answered_by("POST", rf"/cases/{reference}/do/attach/")[-1]
    downloaded_by = visitor.answered_by("GET", rf"/cases/{reference}/attachments/{attachment_id}/")
    assert sorted(downloaded_by) == sorted(app.address for app in apps) and uploaded_by in downloaded_by

    attachment = Attachment.objects.get(pk=attachment_id, case=world.case)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest() and attachment.size == len(content)
    assert (shared_files / attachment.file.name).read_bytes() == content
    assert not (tmp_path / "app-a" / "files").exists() and not (tmp_path / "app-b" / "files").exists()
    assert [a.action for a in AuditEvent.objects.filter(action__startswith="case.attachment").order_by("pk")] == [
        "case.attachment",
        "case.attachment_download",
        "case.attachment_download",
    ]

    # Signing out on one process ends the session on both: the old cookie, shown to the other, is refused.
    sign_out(visitor)
    [signed_out_by] = visitor.answered_by("POST", "/accounts/logout/")
    assert not Session.objects.filter(session_key=session_key).exists()
    visitor.http.cookies.set("sessionid", session_key, domain="127.0.0.1", path="/")
    replayed = visitor.get(f"/cases/{reference}/")
    assert visitor.answers[-1].process != signed_out_by
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/accounts/login/")

    # Every request of the visit was answered by the other process than the one before; each process's own
    # access log holds exactly the requests nginx said it answered.
    assert all(one.process != two.process for one, two in pairwise(visitor.answers))
    processes.stop_all()  # gunicorn writes out its access log as it stops
    logs = {app.address: (tmp_path / f"{app.name}-access.log").read_text(encoding="utf-8") for app in apps}
    for address, log in logs.items():
        for request in {(a.method, a.path) for a in visitor.answers}:
            answered_here = [a for a in visitor.answers if (a.method, a.path) == request and a.process == address]
            assert log.count(f'"{request[0]} {request[1]} ') == len(answered_here), (address, request)
