"""A real OpenID Connect provider on localhost (tests/oidc/provider.mjs under Node.js) for the sign-on tests.

``.ci/run`` installs its packages (``npm ci --prefix tests/oidc``); where Node.js or those packages are missing,
the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "liaison"
CLIENT_SECRET = "liaison-test-secret-not-for-production"


def skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed: the local OpenID Connect provider needs it (.ci/run runs the tests with it)"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return "tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc` (.ci/run does)"
    return None


@dataclass
class LocalProvider:
    issuer: str

    def add_account(self, sub: str, **fields: Any) -> None:
        """Add or change an account: username, password, email, name, groups, amr, acr, disabled."""
        response = requests.post(f"{self.issuer}/test/accounts", json={"sub": sub, **fields}, timeout=5)
        response.raise_for_status()

    def disable(self, sub: str) -> None:
        self.add_account(sub, disabled=True)

    def move_clock(self, seconds: float) -> None:
        """Move the provider's clock forward, as the test moves Liaison's with time_machine."""
        requests.post(f"{self.issuer}/test/clock", json={"offset_seconds": seconds}, timeout=5).raise_for_status()

    def settings_for(self, settings: Any, **overrides: Any) -> None:
        """Point Liaison's (pytest-django) settings at this provider."""
        from liaison.accounts import sso

        sso._discovery.clear()
        settings.LIAISON_OIDC_ISSUER = self.issuer
        settings.LIAISON_OIDC_CLIENT_ID = CLIENT_ID
        settings.LIAISON_OIDC_CLIENT_SECRET = CLIENT_SECRET
        settings.LIAISON_OIDC_SCOPES = "openid email profile groups"
        settings.LIAISON_OIDC_PROVIDER_NAME = "Riverside Health ID"
        for name, value in overrides.items():
            setattr(settings, name, value)


@contextmanager
def running_provider(*, redirect_uris: list[str], id_token_seconds: int = 300) -> Iterator[LocalProvider]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    command = ["node", str(HERE / "provider.mjs"), "--port", "0", "--id-token-seconds", str(id_token_seconds)]
    for uri in redirect_uris:
        command += ["--redirect-uri", uri]
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(command, cwd=HERE, stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                errors.seek(0)
                raise RuntimeError(f"the OpenID Connect provider did not start: {errors.read()[-2000:]}")
            issuer = json.loads(line)["issuer"]
            deadline = time.monotonic() + 15
            while True:
                try:
                    requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).raise_for_status()
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield LocalProvider(issuer=issuer)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
