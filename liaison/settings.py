"""Django settings for Liaison, read from environment variables (see docs/operations.md).

Three modes:
- production (the default): every secret must be given, HTTPS is assumed, MFA is mandatory;
- debug (``LIAISON_DEBUG=1``): for developers on their own machine;
- demo (``LIAISON_DEMO=1``, set by ``liaison demo``): synthetic data on plain HTTP, MFA may be switched off.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from liaison.cli import local_url
from liaison.lib.env import env_bool, env_int, env_list, env_str
from liaison.lib.storage import storages_from_env

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("LIAISON_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("LIAISON_DEBUG", False)
DEMO = env_bool("LIAISON_DEMO", False)
PRODUCTION = not (DEBUG or DEMO)

# -- Secrets ---------------------------------------------------------------------------------------


def _local_secret_key(name: str = "secret_key") -> str:
    """A key kept in the data folder, so that a developer's or demo sessions survive restarts."""
    path = DATA_DIR / name
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env_str("LIAISON_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "LIAISON_SECRET_KEY (or LIAISON_SECRET_KEY_FILE) must be set in production. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    SECRET_KEY = _local_secret_key()

# Signs the audit trail's checkpoints. It must live where a database administrator cannot read it (never
# in the database, nor on its server), or whoever can rewrite the audit table could re-sign it too.
LIAISON_AUDIT_KEY = env_str("LIAISON_AUDIT_KEY")
if not LIAISON_AUDIT_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "LIAISON_AUDIT_KEY (or LIAISON_AUDIT_KEY_FILE) must be set in production: it signs the audit trail's "
            "checkpoints and must be kept off the database server (see docs/operations.md). "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    LIAISON_AUDIT_KEY = _local_secret_key("audit_key")
if PRODUCTION and len(LIAISON_AUDIT_KEY) < 32:
    raise ImproperlyConfigured("LIAISON_AUDIT_KEY must be at least 32 characters long.")
# Signed checkpoints of the audit chain's head, one JSON line each, only ever appended to.
LIAISON_AUDIT_CHECKPOINT_FILE = Path(
    env_str("LIAISON_AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.jsonl"))
).resolve()

# -- Hosts and transport -----------------------------------------------------------------------------

ALLOWED_HOSTS = env_list("LIAISON_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("LIAISON_ALLOWED_HOSTS must list the host names Liaison is served under.")
CSRF_TRUSTED_ORIGINS = env_list("LIAISON_CSRF_TRUSTED_ORIGINS", [])

# Behind TLS in production. The demo and a developer's machine serve plain HTTP on localhost.
HTTPS = env_bool("LIAISON_HTTPS", PRODUCTION)
SECURE_SSL_REDIRECT = HTTPS and env_bool("LIAISON_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("LIAISON_HSTS_SECONDS", 31_536_000, minimum=0) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("LIAISON_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# Calls one API token may make a minute (liaison/api/v1.py).
LIAISON_API_TOKEN_RATE_PER_MINUTE = env_int("LIAISON_API_TOKEN_RATE_PER_MINUTE", 600, minimum=1)
# The whole patient lookup at intake (sign-in, search, further pages) must finish within this (docs/fhir.md).
LIAISON_FHIR_TIMEOUT_SECONDS = env_int("LIAISON_FHIR_TIMEOUT_SECONDS", 4, minimum=1)
# An inbound email larger than this is kept aside unread (liaison/inbound/services.py).
LIAISON_INBOUND_MAX_MESSAGE_BYTES = env_int("LIAISON_INBOUND_MAX_MESSAGE_BYTES", 25 * 1024 * 1024, minimum=1024)
# Reverse proxies whose X-Forwarded-For is believed (liaison/lib/clientip.py); empty: none.
LIAISON_TRUSTED_PROXIES = env_list("LIAISON_TRUSTED_PROXIES", [])
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)  # already the client's, see above
if env_bool("LIAISON_BEHIND_PROXY", False):
    # The proxy terminating TLS must set this header and strip it from client requests.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# -- Applications ------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "liaison.accounts",
    "liaison.org",
    "liaison.audit",
    "liaison.policies",
    "liaison.cases",
    "liaison.inbound",
    "liaison.investigations",
    "liaison.correspondence",
    "liaison.reminders",
    "liaison.public",
    "liaison.knowledge",
    "liaison.feedback",
    "liaison.improvement",
    "liaison.meetings",
    "liaison.advocacy",
    "liaison.hiring",
    "liaison.home",
    "liaison.insights",
    "liaison.retention",
    "liaison.webhooks",
    "liaison.ops",
    "liaison.demo",
    "liaison.admin_site.LiaisonAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The API's browsable docs from its own copy of Swagger UI, not a CDN the security policy would block.
    "ninja",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First: everything after it (the audit trail, rate limits, axes) sees the client's address, not the proxy's.
    "liaison.lib.clientip.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "liaison.lib.dbfailure.DatabaseUnavailableMiddleware",  # outside everything below that reads the database
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Renews the idle timeout at most once a minute instead of writing the session on every request.
    "liaison.accounts.middleware.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Outside every middleware below that may answer early, so their answers are covered too.
    "liaison.accounts.middleware.NoStoreForStaffMiddleware",
    # Every page needs a signed-in user unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A session signed in through the identity provider lasts as long as the provider's ID token, then renews there.
    "liaison.accounts.sso.ProviderSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "liaison.audit.middleware.AuditContextMiddleware",
    "liaison.accounts.middleware.MfaRequiredMiddleware",
    "liaison.accounts.middleware.SessionEndHintMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last: it turns a locked-out login into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liaison.urls"
WSGI_APPLICATION = "liaison.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "liaison.accounts.context_processors.liaison",
            ],
        },
    }
]

# -- Database ----------------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'liaison.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASE_URL.startswith("sqlite:///") and DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # BEGIN IMMEDIATE: a writer takes the lock up front, so the audit hash chain and other
        # read-then-write sequences cannot interleave between processes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    # PostgreSQL's JIT compiles any query it guesses is expensive, which on a dashboard over a million cases
    # costs more (about half a second a query) than the query itself: Liaison's queries are short aggregates
    # over indexed ranges, so it is off for Liaison's connections (the server's other users keep theirs).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

# An optional read replica (a PostgreSQL streaming standby of the primary) for dashboards, reports and
# exports; every write, and every page that must read its own writes, stays on the primary. See
# liaison/lib/dbrouter.py and docs/operations.md ("Read replica").
_replica_url = env_str("LIAISON_REPLICA_DATABASE_URL")
if _replica_url:
    _replica = dj_database_url.parse(_replica_url, conn_max_age=60, conn_health_checks=True)
    if "postgresql" not in DATABASES["default"]["ENGINE"] or "postgresql" not in _replica["ENGINE"]:
        raise ImproperlyConfigured(
            "LIAISON_REPLICA_DATABASE_URL needs PostgreSQL for both DATABASE_URL and the replica "
            "(a streaming standby of the primary); unset it to read everything from the primary."
        )
    _replica_options = _replica.setdefault("OPTIONS", {})
    # Read-only even if the address is mistakenly the primary's; and a dead replica host must not hold a page
    # for the operating system's TCP timeout (the page is served from the primary instead).
    _replica_options["options"] = "-c jit=off -c default_transaction_read_only=on"
    _replica_options.setdefault("connect_timeout", 3)
    # A test run reads the replica alias from the test database itself.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["liaison.lib.dbrouter.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Authentication ------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Answers only the provider's callback, and only while single sign-on is on (LIAISON_OIDC_ISSUER).
    "liaison.accounts.sso.ProviderBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:my-work"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # an hour: a reset link is a key to patient data
# Reset requests per hour: per email address, and per client address (staff share a few NAT addresses).
LIAISON_PASSWORD_RESETS_PER_EMAIL = env_int("LIAISON_PASSWORD_RESETS_PER_EMAIL", 3, minimum=1)
LIAISON_PASSWORD_RESETS_PER_CLIENT = env_int("LIAISON_PASSWORD_RESETS_PER_CLIENT", 20, minimum=1)

# Multi-factor authentication. Only a demo or a developer's machine may switch it off.
LIAISON_REQUIRE_MFA = env_bool("LIAISON_REQUIRE_MFA", True)
if PRODUCTION and not LIAISON_REQUIRE_MFA:
    raise ImproperlyConfigured("LIAISON_REQUIRE_MFA=0 is allowed only with LIAISON_DEMO=1 or LIAISON_DEBUG=1.")
OTP_TOTP_ISSUER = env_str("LIAISON_MFA_ISSUER", "Liaison")
OTP_TOTP_TOLERANCE = 1
LIAISON_RECOVERY_CODES = 10

# Lockout: 5 failed logins within the cool-off window lock the account for that window.
AXES_FAILURE_LIMIT = env_int("LIAISON_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LIAISON_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "liaison.accounts.views.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# -- Single sign-on through the hospital's OpenID Connect provider (docs/sso.md). Off unless an issuer is set. ----

LIAISON_OIDC_ISSUER = env_str("LIAISON_OIDC_ISSUER").rstrip("/")
LIAISON_OIDC_CLIENT_ID = env_str("LIAISON_OIDC_CLIENT_ID")
LIAISON_OIDC_CLIENT_SECRET = env_str("LIAISON_OIDC_CLIENT_SECRET")
LIAISON_OIDC_SCOPES = env_str("LIAISON_OIDC_SCOPES", "openid email profile")
# The words on the sign-in button: "Sign in with <name>".
LIAISON_OIDC_PROVIDER_NAME = env_str("LIAISON_OIDC_PROVIDER_NAME", "the hospital account")
# The claim that lists a person's groups, and what each group grants: "group=role@SITE role@SITE; group2=role".
LIAISON_OIDC_GROUPS_CLAIM = env_str("LIAISON_OIDC_GROUPS_CLAIM", "groups")
LIAISON_OIDC_GROUP_MAP = env_str("LIAISON_OIDC_GROUP_MAP")
# Make an account for a person the provider vouches for when none exists (only if the map grants them a role).
LIAISON_OIDC_CREATE_USERS = env_bool("LIAISON_OIDC_CREATE_USERS", False)
# Liaison skips its own second factor only when the provider says it asked for one (RFC 8176 amr, or acr).
LIAISON_OIDC_MFA_AMR = env_list("LIAISON_OIDC_MFA_AMR", ["mfa", "otp", "hwk"])
LIAISON_OIDC_MFA_ACR = env_list("LIAISON_OIDC_MFA_ACR", [])
LIAISON_OIDC_SIGN_ALGO = env_str("LIAISON_OIDC_SIGN_ALGO", "RS256")
LIAISON_OIDC_TIMEOUT_SECONDS = env_int("LIAISON_OIDC_TIMEOUT_SECONDS", 10, minimum=1)
# Sign-ins through the provider from one client address per hour (a ward's computers share one address).
LIAISON_OIDC_SIGN_INS_PER_CLIENT = env_int("LIAISON_OIDC_SIGN_INS_PER_CLIENT", 300, minimum=1)
if LIAISON_OIDC_ISSUER:
    if not (LIAISON_OIDC_CLIENT_ID and LIAISON_OIDC_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "LIAISON_OIDC_ISSUER is set, so LIAISON_OIDC_CLIENT_ID and LIAISON_OIDC_CLIENT_SECRET (or "
            "LIAISON_OIDC_CLIENT_SECRET_FILE) must be set too; unset LIAISON_OIDC_ISSUER to switch single sign-on off."
        )
    if PRODUCTION and not LIAISON_OIDC_ISSUER.startswith("https://"):
        raise ImproperlyConfigured(
            f"LIAISON_OIDC_ISSUER {LIAISON_OIDC_ISSUER!r} must start with https:// in production."
        )

# -- Sessions: a 15-minute idle timeout (HIPAA automatic logoff), renewed by activity at most once a minute. --

LIAISON_SESSION_IDLE_MINUTES = env_int("LIAISON_SESSION_IDLE_MINUTES", 15, minimum=1)
SESSION_COOKIE_AGE = LIAISON_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False  # liaison.accounts.middleware.SessionRenewalMiddleware renews it
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# -- Content Security Policy: no inline script anywhere. -------------------------------------------------

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# -- Email ---------------------------------------------------------------------------------------------

_email_url = env_str("EMAIL_URL")
if _email_url:
    _email = dj_email_url.parse(_email_url)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
else:
    EMAIL_BACKEND = env_str(
        "EMAIL_BACKEND",
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        else "django.core.mail.backends.console.EmailBackend",
    )
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
# The address staff and the public use to reach Liaison: links in emails, survey links and QR posters start
# with it, so production must say it. The demo and a developer's machine use the address they are served on.
LIAISON_BASE_URL = env_str("LIAISON_BASE_URL").rstrip("/")
if not LIAISON_BASE_URL:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "LIAISON_BASE_URL must be set in production: the address people use to reach Liaison, "
            "e.g. https://liaison.hospital.example (links in emails, survey links and QR posters start with it)."
        )
    LIAISON_BASE_URL = local_url()
if not LIAISON_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"LIAISON_BASE_URL {LIAISON_BASE_URL!r} must start with https:// (or http:// on a developer's machine)."
    )
DEFAULT_FROM_EMAIL = env_str("LIAISON_FROM_EMAIL", "Liaison <liaison@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Inbound email read from a hospital mailbox over IMAP (liaison/inbound/imap.py; docs/letters-and-reminders.md §4).
# No host: no mailbox is read. The password comes from the environment only (or LIAISON_IMAP_PASSWORD_FILE).
LIAISON_IMAP_HOST = env_str("LIAISON_IMAP_HOST")
LIAISON_IMAP_TLS = env_str("LIAISON_IMAP_TLS", "tls").lower()  # tls, starttls, or off (localhost only)
LIAISON_IMAP_PORT = env_int("LIAISON_IMAP_PORT", 993 if LIAISON_IMAP_TLS == "tls" else 143, minimum=1)
LIAISON_IMAP_USER = env_str("LIAISON_IMAP_USER")
LIAISON_IMAP_PASSWORD = env_str("LIAISON_IMAP_PASSWORD")
LIAISON_IMAP_CA_FILE = env_str("LIAISON_IMAP_CA_FILE")  # trust this CA file instead of the system's
LIAISON_IMAP_FOLDER = env_str("LIAISON_IMAP_FOLDER", "INBOX")
LIAISON_IMAP_FILED_FOLDER = env_str("LIAISON_IMAP_FILED_FOLDER", "Liaison/Filed")
LIAISON_IMAP_KEPT_ASIDE_FOLDER = env_str("LIAISON_IMAP_KEPT_ASIDE_FOLDER", "Liaison/Kept aside")
LIAISON_IMAP_SITE = env_str("LIAISON_IMAP_SITE")  # site code for mail addressed to no site's complaints address
LIAISON_IMAP_BATCH = env_int("LIAISON_IMAP_BATCH", 200, minimum=1)  # messages read at most per run
LIAISON_IMAP_POLL_SECONDS = env_int("LIAISON_IMAP_POLL_SECONDS", 60, minimum=10)  # how often the worker reads
if LIAISON_IMAP_HOST:
    if LIAISON_IMAP_TLS not in {"tls", "starttls", "off"}:
        raise ImproperlyConfigured(f"LIAISON_IMAP_TLS must be tls, starttls or off; got {LIAISON_IMAP_TLS!r}.")
    if LIAISON_IMAP_TLS == "off" and LIAISON_IMAP_HOST not in {"localhost", "127.0.0.1", "::1"}:
        raise ImproperlyConfigured("LIAISON_IMAP_TLS=off sends the password in clear: only for a server on localhost.")
    if not (LIAISON_IMAP_USER and LIAISON_IMAP_PASSWORD):
        raise ImproperlyConfigured(
            "LIAISON_IMAP_HOST is set, so LIAISON_IMAP_USER and LIAISON_IMAP_PASSWORD (or LIAISON_IMAP_PASSWORD_FILE) "
            "must be set too; unset LIAISON_IMAP_HOST to stop reading the mailbox."
        )

# -- Time and language -----------------------------------------------------------------------------------

TIME_ZONE = env_str("LIAISON_TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"LIAISON_TIME_ZONE {TIME_ZONE!r} is not a known IANA time zone") from None
USE_TZ = True
LANGUAGE_CODE = "en"
USE_I18N = True
# The public pages, forms, emails and articles are translated; the staff pages are in English.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

# -- The public front door ----------------------------------------------------------------------------------

LIAISON_PUBLIC_SUBMISSIONS_PER_ADDRESS = env_int("LIAISON_PUBLIC_SUBMISSIONS_PER_ADDRESS", 5, minimum=1)  # per hour
LIAISON_PUBLIC_SUBMISSIONS_PER_SITE = env_int("LIAISON_PUBLIC_SUBMISSIONS_PER_SITE", 200, minimum=1)  # per hour
LIAISON_PUBLIC_PROGRESS_CHECKS_PER_ADDRESS = env_int(
    "LIAISON_PUBLIC_PROGRESS_CHECKS_PER_ADDRESS", 10, minimum=1
)  # per hour
# Survey answers (QR posters, links): a ward kiosk or guest Wi-Fi shares one address among many patients.
LIAISON_PUBLIC_SURVEY_ANSWERS_PER_ADDRESS = env_int(
    "LIAISON_PUBLIC_SURVEY_ANSWERS_PER_ADDRESS", 20, minimum=1
)  # per hour
LIAISON_PUBLIC_SURVEY_ANSWERS_PER_SURVEY = env_int(
    "LIAISON_PUBLIC_SURVEY_ANSWERS_PER_SURVEY", 500, minimum=1
)  # per hour
LIAISON_PUBLIC_DAILY_UPLOAD_MB = env_int("LIAISON_PUBLIC_DAILY_UPLOAD_MB", 500, minimum=1)  # per site
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# -- Static files ------------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from the finders; it only needs the folder
# Uploaded files and letters: outside the web root, served only through permission-checked views. Several app
# servers must share them: a folder they all mount (LIAISON_MEDIA_ROOT), or an S3-compatible bucket
# (LIAISON_STORAGE=s3, see liaison/lib/storage.py and docs/operations.md).
MEDIA_ROOT = Path(env_str("LIAISON_MEDIA_ROOT", str(DATA_DIR / "files"))).resolve()
STORAGES = storages_from_env()

# -- Background tasks ---------------------------------------------------------------------------------------

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# -- Webhooks (docs/webhooks.md) ---------------------------------------------------------------------------------

# Tries before a delivery is marked failed; the waits between them grow fourfold from 30 seconds.
LIAISON_WEBHOOK_MAX_ATTEMPTS = env_int("LIAISON_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
LIAISON_WEBHOOK_TIMEOUT_SECONDS = env_int("LIAISON_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# How often the worker looks for deliveries due again (new ones are sent as soon as their change commits).
LIAISON_WEBHOOK_POLL_SECONDS = env_int("LIAISON_WEBHOOK_POLL_SECONDS", 30, minimum=1)
# Plain http is refused except to this machine (localhost); a test bench may allow it anywhere.
LIAISON_WEBHOOK_ALLOW_HTTP = env_bool("LIAISON_WEBHOOK_ALLOW_HTTP", False)
# Deliveries that were delivered or failed are kept (with their attempts) this long, then removed.
LIAISON_WEBHOOK_KEEP_DAYS = env_int("LIAISON_WEBHOOK_KEEP_DAYS", 30, minimum=1)

# -- Logging and error reports: never patient data. -----------------------------------------------------------

DEFAULT_EXCEPTION_REPORTER_FILTER = "liaison.lib.reporting.NoPatientDataReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LIAISON_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request logs carry full URLs and would be the first place patient data leaks; keep warnings only.
        "django.request": {"level": "ERROR"},
        # Lockouts and failed logins are in the audit trail; axes' own INFO lines would only repeat them.
        "axes": {"level": "WARNING"},
        "django.server": {"level": "WARNING" if PRODUCTION else "INFO"},
        # urllib3's DEBUG lines hold full request URLs, and a FHIR patient search carries the MRN in its URL.
        "urllib3": {"level": "WARNING"},
    },
}

SILENCED_SYSTEM_CHECKS: list[str] = [
    # Axes suggests locking by IP address too. Hospital staff share a few NAT addresses, so an IP lock
    # would shut a whole ward out after five typos; accounts are locked one by one instead.
    "axes.W006",
    # The workload index carries `restricted` as a non-key column on PostgreSQL (an index-only scan); SQLite
    # builds the same index without it, which is all the demo needs.
    "models.W040",
]
