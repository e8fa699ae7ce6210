"""Configuration: typed environment readers, production safety, and the deploy checklist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

import liaison.settings as production_settings
from liaison.lib.env import env_bool, env_int, env_list, env_str

REPO = Path(__file__).resolve().parents[3]
PRODUCTION_ENV = {
    "LIAISON_SECRET_KEY": "Zx9-" + "prod-secret-key-with-plenty-of-entropy-" * 2,
    "LIAISON_ALLOWED_HOSTS": "liaison.hospital.example",
    "LIAISON_BASE_URL": "https://liaison.hospital.example",
    "LIAISON_AUDIT_KEY": "audit-" + "prod-audit-key-with-entropy-" * 2,
    "DATABASE_URL": "sqlite:///:memory:",
}


def run_liaison(args: list[str], env_overrides: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DJANGO_", "DATABASE_URL", "EMAIL_"))}
    env = {**keep, "LIAISON_DATA_DIR": str(tmp_path), **env_overrides}
    return subprocess.run(
        [sys.executable, "-m", "liaison.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_env_readers_parse_and_refuse_clearly(tmp_path: Path) -> None:
    assert env_bool("X", False, environ={"X": "yes"}) is True
    assert env_bool("X", True, environ={"X": "0"}) is False
    with pytest.raises(ImproperlyConfigured, match="X must be one of"):
        env_bool("X", False, environ={"X": "maybe"})
    assert env_int("N", 5, environ={}) == 5
    with pytest.raises(ImproperlyConfigured, match="N must be a whole number"):
        env_int("N", 5, environ={"N": "ten"})
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("N", 5, minimum=1, environ={"N": "0"})
    assert env_list("L", [], environ={"L": "a.example, b.example,"}) == ["a.example", "b.example"]
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    assert env_str("S", environ={"S_FILE": str(secret)}) == "from-a-file"


def test_production_settings_pass_the_deploy_checklist(tmp_path: Path) -> None:
    result = run_liaison(["manage", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout or "no issues" in result.stdout
    assert "WARNING" not in result.stderr and "WARNINGS" not in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "LIAISON_SECRET_KEY"}
    result = run_liaison(["manage", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "LIAISON_SECRET_KEY" in result.stderr


def test_production_refuses_to_switch_mfa_off(tmp_path: Path) -> None:
    result = run_liaison(["manage", "check"], {**PRODUCTION_ENV, "LIAISON_REQUIRE_MFA": "0"}, tmp_path)
    assert result.returncode != 0
    assert "LIAISON_REQUIRE_MFA=0 is allowed only" in result.stderr


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    assert production_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert production_settings.SESSION_COOKIE_AGE == 15 * 60


@pytest.mark.django_db
def test_pages_carry_the_security_headers() -> None:
    response = Client().get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()  # no inline script anywhere


def test_error_reports_carry_no_form_values(rf) -> None:  # type: ignore[no-untyped-def]
    from liaison.lib.reporting import NoPatientDataReporterFilter

    request = rf.post("/x", {"patient_name": "Jane Example", "mrn": "1234567"})
    cleaned = NoPatientDataReporterFilter().get_post_parameters(request)
    assert "Jane Example" not in str(cleaned) and "1234567" not in str(cleaned)
    assert set(cleaned) == {"patient_name", "mrn"}


def test_production_refuses_to_start_without_a_base_url(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "LIAISON_BASE_URL"}
    result = run_liaison(["manage", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "LIAISON_BASE_URL must be set in production" in result.stderr
    result = run_liaison(
        ["manage", "check"], {**PRODUCTION_ENV, "LIAISON_BASE_URL": "liaison.hospital.example"}, tmp_path
    )
    assert result.returncode != 0 and "must start with https://" in result.stderr


SHOW_LINKS = (
    "from django.conf import settings; from django.urls import reverse; from liaison.lib.emails import site_url; "
    "print(settings.LIAISON_BASE_URL); print(site_url(reverse('feedback:answer', args=['abc123'])))"
)


def test_the_demo_links_to_the_host_and_port_it_is_served_on(tmp_path: Path) -> None:
    demo = {"LIAISON_DEMO": "1", "LIAISON_REQUIRE_MFA": "0", "DATABASE_URL": "sqlite:///:memory:"}
    result = run_liaison(
        ["manage", "shell", "--no-imports", "-c", SHOW_LINKS], {**demo, "LIAISON_PORT": "8123"}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["http://127.0.0.1:8123", "http://127.0.0.1:8123/s/abc123/"]
    result = run_liaison(
        ["manage", "shell", "--no-imports", "-c", SHOW_LINKS],
        {**demo, "LIAISON_HOST": "::1", "LIAISON_PORT": "9000"},
        tmp_path,
    )
    assert result.stdout.split()[0] == "http://[::1]:9000", result.stderr
    # A base URL that is given wins over the bind address.
    given = {**demo, "LIAISON_PORT": "8123", "LIAISON_BASE_URL": "https://liaison.test/"}
    result = run_liaison(["manage", "shell", "--no-imports", "-c", SHOW_LINKS], given, tmp_path)
    assert result.stdout.split() == ["https://liaison.test", "https://liaison.test/s/abc123/"], result.stderr


def test_the_demo_makes_its_own_secret_key_and_keeps_it(tmp_path: Path) -> None:
    demo = {"LIAISON_DEMO": "1", "LIAISON_REQUIRE_MFA": "0", "DATABASE_URL": "sqlite:///:memory:"}
    code = (
        "import hashlib; from django.conf import settings; print(hashlib.sha256(settings.SECRET_KEY.encode()).digest())"
    )
    first = run_liaison(["manage", "shell", "--no-imports", "-c", code], demo, tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    assert len(key_file.read_text()) >= 64 and key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    again = run_liaison(["manage", "shell", "--no-imports", "-c", code], demo, tmp_path)
    assert again.stdout == first.stdout  # sessions survive a restart


def test_no_generated_key_or_data_folder_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--", "*secret_key*", "*audit_key*", "var", "liaison/var"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert tracked.stdout.split() == []
