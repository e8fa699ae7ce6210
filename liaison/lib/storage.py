"""Where Liaison keeps uploaded files and letters: a folder on disk, or an S3-compatible bucket.

One app process can keep its files in a local folder. Several app processes on several machines must all
see every file (one uploads a scan, another serves it a minute later), so their files live either in a
folder they share (an NFS mount given as ``LIAISON_MEDIA_ROOT``) or in an object store: Amazon S3, or one
speaking its protocol inside the hospital (MinIO, Ceph, NetApp StorageGRID...). ``LIAISON_STORAGE=s3``
chooses the object store; docs/operations.md lists the variables.

Every file is written and read through Django's storage API (``FileField``), so the choice is made here
once and nothing else changes. Files are never served from the bucket directly: Liaison's own views check
who may see a file, audit the download and stream it, so the bucket stays private.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from liaison.lib.env import env_str

STORAGE_KINDS = ("local", "s3")
_ADDRESSING_STYLES = ("auto", "path", "virtual")
_ENCRYPTIONS = ("AES256", "aws:kms", "aws:kms:dsse")
# Credentials given as files (Docker or Kubernetes secrets). Plain AWS_* variables, a profile or an instance
# role need nothing here: boto3 finds them by itself.
_CREDENTIALS = {
    "access_key": "AWS_ACCESS_KEY_ID",
    "secret_key": "AWS_SECRET_ACCESS_KEY",
    "security_token": "AWS_SESSION_TOKEN",
}
# An object store that stops answering must not hold a page's thread for a minute (boto3's default).
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 60


def storages_from_env(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Django's ``STORAGES`` setting as the environment asks for it (``LIAISON_STORAGE``: local or s3)."""
    kind = env_str("LIAISON_STORAGE", "local", environ=environ).strip().lower() or "local"
    if kind == "local":
        # No location: FileSystemStorage follows MEDIA_ROOT, also when a test changes it.
        default: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    elif kind == "s3":
        default = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(environ)}
    else:
        raise ImproperlyConfigured(f"LIAISON_STORAGE must be one of {', '.join(STORAGE_KINDS)}; got {kind!r}.")
    return {
        "default": default,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def s3_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Options for django-storages' S3Storage, read from ``LIAISON_S3_*`` and the standard ``AWS_*`` variables."""
    bucket = env_str("LIAISON_S3_BUCKET", environ=environ).strip()
    if not bucket:
        raise ImproperlyConfigured("LIAISON_STORAGE=s3 needs LIAISON_S3_BUCKET, the bucket that keeps the files.")
    endpoint = env_str("LIAISON_S3_ENDPOINT_URL", environ=environ).strip()
    if endpoint and not endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"LIAISON_S3_ENDPOINT_URL {endpoint!r} must be a URL starting with https:// "
            "(or http:// on a closed network)."
        )
    style = env_str("LIAISON_S3_ADDRESSING_STYLE", environ=environ).strip().lower()
    if style and style not in _ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"LIAISON_S3_ADDRESSING_STYLE must be one of {', '.join(_ADDRESSING_STYLES)}; got {style!r}."
        )
    encryption = env_str("LIAISON_S3_SERVER_SIDE_ENCRYPTION", environ=environ).strip()
    if encryption and encryption not in _ENCRYPTIONS:
        raise ImproperlyConfigured(
            f"LIAISON_S3_SERVER_SIDE_ENCRYPTION must be one of {', '.join(_ENCRYPTIONS)}; got {encryption!r}."
        )

    from botocore.config import Config  # only when S3 is chosen: a local install never loads botocore

    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": env_str("LIAISON_S3_REGION", environ=environ).strip() or None,
        "location": env_str("LIAISON_S3_PREFIX", environ=environ).strip().strip("/"),
        # Django's own meaning: a second file under a taken name gets a new name. django-storages would
        # otherwise overwrite, and two cases' files could end up as one.
        "file_overwrite": False,
        # No ACL sent: the bucket's own policy (private) applies; buckets that refuse ACLs accept this too.
        "default_acl": None,
        # Liaison hands out no bucket URLs; should anything ever ask for one, it is signed and short-lived.
        "querystring_auth": True,
        "querystring_expire": 60,
        # Given whole, this replaces django-storages' own client settings, so it carries the addressing style.
        "client_config": Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": style} if style else None,
        ),
    }
    if encryption:
        options["object_parameters"] = {"ServerSideEncryption": encryption}
    source = os.environ if environ is None else environ
    for option, name in _CREDENTIALS.items():
        if f"{name}_FILE" in source:
            options[option] = env_str(name, environ=environ)
    return options
