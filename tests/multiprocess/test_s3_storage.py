"""Files in an S3-compatible bucket (``LIAISON_STORAGE=s3``): the choice app servers without a shared disk make.

Two `liaison serve` processes, each with its own data folder and nothing else on disk in common, keep their
files in one bucket of a real S3 server on localhost (moto's), set up only through the environment variables an
operator would set. A file attached through one process downloads whole from the other, lies in the bucket
under the configured prefix, and nowhere on either process's disk.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from liaison.audit.models import AuditEvent
from liaison.cases.models import Attachment
from liaison.lib.storage import CONNECT_TIMEOUT_SECONDS, storages_from_env
from tests.multiprocess.conftest import (
    Processes,
    Visitor,
    attach,
    download,
    liaison_env,
    make_world,
    sample_upload,
    serve_command,
    sign_in,
)

MOTO_PORT, PORT_A, PORT_B = 58350, 58301, 58302
BUCKET, PREFIX, REGION = "liaison-files", "rgh-liaison", "eu-west-2"
# moto accepts any credentials; these name the test and nothing real.
ACCESS_KEY, SECRET_KEY = "liaison-test-access-key", "liaison-test-secret-key"


def _s3_env(endpoint: str) -> dict[str, str]:
    return {
        "LIAISON_STORAGE": "s3",
        "LIAISON_S3_BUCKET": BUCKET,
        "LIAISON_S3_ENDPOINT_URL": endpoint,
        "LIAISON_S3_REGION": REGION,
        "LIAISON_S3_PREFIX": PREFIX,
        "LIAISON_S3_ADDRESSING_STYLE": "path",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }


@pytest.mark.django_db(transaction=True)
def test_a_file_attached_through_one_process_is_kept_in_the_bucket_and_downloads_from_the_other(
    tmp_path: Path, processes: Processes, sqlite_flushable_audit: object
) -> None:
    pytest.importorskip("moto.server", reason="moto[server] is a development dependency (uv sync installs it)")
    import boto3

    moto = processes.start(
        "moto",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
        port=MOTO_PORT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    world = make_world()
    apps = []
    for name, port in (("app-a", PORT_A), ("app-b", PORT_B)):
        env = liaison_env(
            tmp_path,
            data_dir=tmp_path / name,
            base_url=f"http://127.0.0.1:{PORT_A}",
            LIAISON_HOST="127.0.0.1",
            LIAISON_PORT=str(port),
            **_s3_env(moto.url),
        )
        apps.append(processes.start(name, serve_command(tmp_path, name), port=port, env=env))
    processes.wait_until_answering(moto, "/moto-api/")
    s3 = boto3.client(
        "s3",
        endpoint_url=moto.url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    for app in apps:
        processes.wait_until_answering(app)

    visitor = Visitor(processes=apps)
    sign_in(visitor, world)
    content = sample_upload()
    attachment_id = attach(visitor, world, content, "discharge-letter.png")
    for _ in apps:  # from the process that took the file, and from the other
        response = download(visitor, world, attachment_id)
        assert response.content == content
    reference = world.case.reference
    uploaded_by = visitor.answered_by("POST", rf"/cases/{reference}/do/attach/")[-1]
    downloaded_by = visitor.answered_by("GET", rf"/cases/{reference}/attachments/{attachment_id}/")
    assert sorted(downloaded_by) == sorted(app.address for app in apps) and uploaded_by in downloaded_by

    # In the bucket, under the prefix, as the one object there, with the bytes that were sent.
    attachment = Attachment.objects.get(pk=attachment_id, case=world.case)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.file.name.startswith(f"cases/{attachment.uploaded_at:%Y/%m}/{reference}-")
    listed = s3.list_objects_v2(Bucket=BUCKET)
    assert [o["Key"] for o in listed.get("Contents", [])] == [f"{PREFIX}/{attachment.file.name}"]
    stored = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{attachment.file.name}")
    assert stored["Body"].read() == content
    grants = s3.get_object_acl(Bucket=BUCKET, Key=f"{PREFIX}/{attachment.file.name}")["Grants"]
    assert not [g for g in grants if "URI" in g["Grantee"]], grants  # no grant to "everyone": it stays private

    # ... and on neither process's disk.
    processes.stop_all()
    for app in apps:
        assert not (tmp_path / app.name / "files").exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_size == len(content)]
    assert AuditEvent.objects.filter(action="case.attachment_download").count() == 2


# -- The settings an operator gives ------------------------------------------------------------------------


def test_local_storage_is_the_default_and_follows_media_root() -> None:
    storages = storages_from_env({})
    assert storages["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert storages["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_s3_storage_is_configured_from_the_environment() -> None:
    options = storages_from_env(_s3_env("http://127.0.0.1:9000"))["default"]["OPTIONS"]
    assert options["bucket_name"] == BUCKET and options["region_name"] == REGION
    assert options["endpoint_url"] == "http://127.0.0.1:9000" and options["location"] == PREFIX
    assert options["file_overwrite"] is False and options["default_acl"] is None
    assert options["client_config"].s3 == {"addressing_style": "path"}
    assert options["client_config"].connect_timeout == CONNECT_TIMEOUT_SECONDS
    # Plain AWS_* variables are left to boto3, which reads them itself (as it reads profiles and instance roles).
    assert "access_key" not in options and "secret_key" not in options


def test_s3_credentials_may_be_given_as_files(tmp_path: Path) -> None:
    key_file, secret_file = tmp_path / "key", tmp_path / "secret"
    key_file.write_text("from-a-file\n")
    secret_file.write_text("secret-from-a-file\n")
    environ = {
        "LIAISON_STORAGE": "s3",
        "LIAISON_S3_BUCKET": BUCKET,
        "AWS_ACCESS_KEY_ID_FILE": str(key_file),
        "AWS_SECRET_ACCESS_KEY_FILE": str(secret_file),
        "LIAISON_S3_SERVER_SIDE_ENCRYPTION": "aws:kms",
    }
    options = storages_from_env(environ)["default"]["OPTIONS"]
    assert (options["access_key"], options["secret_key"]) == ("from-a-file", "secret-from-a-file")
    assert options["object_parameters"] == {"ServerSideEncryption": "aws:kms"}
    assert options["endpoint_url"] is None and options["region_name"] is None  # Amazon S3, boto3's own region


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LIAISON_STORAGE": "nfs"}, "LIAISON_STORAGE must be one of local, s3"),
        ({"LIAISON_STORAGE": "s3"}, "needs LIAISON_S3_BUCKET"),
        (
            {"LIAISON_STORAGE": "s3", "LIAISON_S3_BUCKET": "b", "LIAISON_S3_ENDPOINT_URL": "minio:9000"},
            "must be a URL",
        ),
        (
            {"LIAISON_STORAGE": "s3", "LIAISON_S3_BUCKET": "b", "LIAISON_S3_ADDRESSING_STYLE": "sideways"},
            "LIAISON_S3_ADDRESSING_STYLE must be one of",
        ),
        (
            {"LIAISON_STORAGE": "s3", "LIAISON_S3_BUCKET": "b", "LIAISON_S3_SERVER_SIDE_ENCRYPTION": "rot13"},
            "LIAISON_S3_SERVER_SIDE_ENCRYPTION must be one of",
        ),
    ],
)
def test_a_wrong_storage_setting_stops_start_up_with_a_message_naming_it(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        storages_from_env(environ)
