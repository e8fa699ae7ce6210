"""Settings for the test suite: production settings with test-only secrets and plain HTTP."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("LIAISON_SECRET_KEY", "test-only-" + "k" * 40 + "-not-for-production-use")
os.environ.setdefault("LIAISON_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("LIAISON_HTTPS", "0")
os.environ.setdefault("LIAISON_BASE_URL", "http://127.0.0.1:8000")
os.environ.setdefault("LIAISON_AUDIT_KEY", "test-only-audit-key-" + "a" * 32)
# Never the developer's var/: audit tests point this at their own file per test.
os.environ.setdefault(
    "LIAISON_AUDIT_CHECKPOINT_FILE",
    os.path.join(tempfile.mkdtemp(prefix="liaison-test-audit-"), "audit-checkpoints.jsonl"),
)
# Playwright's sync API runs an event loop in the test thread; the ORM calls made beside it are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from liaison.settings import *  # noqa: F403
from liaison.settings import DATABASES

# Argon2 is the production hasher (asserted in a test); a fast one keeps the suite quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="liaison-test-files-"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite_dir = tempfile.mkdtemp(prefix="liaison-test-db-")
    # A file, not memory: tests that start a second process (two workers at once) share it.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_sqlite_dir, "test.sqlite3")}
    # NAME must not say ":memory:" either. pytest-django starts the live server before the test database
    # exists, and Django hands an "in-memory" connection to the server thread instead of opening its own;
    # the browser tests then use one sqlite3 connection from two threads at once, which crashes Python.
    # (A worker process started by a test names the test file in DATABASE_URL; that NAME stays.)
    if DATABASES["default"]["NAME"] == ":memory:":
        DATABASES["default"]["NAME"] = os.path.join(_sqlite_dir, "unused.sqlite3")
