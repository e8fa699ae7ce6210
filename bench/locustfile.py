"""An office's clicks, for locust (started by bench/soak.py, which signs the officers in and passes them here).

Each simulated officer uses the session of one real officer of the benchmark database and, at a steady rate,
opens their worklist, pages through the site's cases, opens cases, searches, looks at My work and the
dashboard, and now and then adds a note to a case through its real form (CSRF token and all). Anything but the
answer a browser expects counts as a failure: a redirect to the sign-in page is one, not a success.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import HttpUser, constant_throughput, task

CLIENTS: list[dict[str, Any]] = json.loads(Path(os.environ["LIAISON_BENCH_CLIENTS"]).read_text(encoding="utf-8"))
CLICKS_PER_S = float(os.environ.get("LIAISON_BENCH_CLICKS_PER_USER", "1"))
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_turn = itertools.count()


class Officer(HttpUser):
    wait_time = constant_throughput(CLICKS_PER_S)

    def on_start(self) -> None:
        me = CLIENTS[next(_turn) % len(CLIENTS)]
        name, value = me["cookie"].split("=", 1)
        self.client.cookies.set(name, value)
        self.references: list[str] = me["references"]
        self.words: list[str] = me["words"]
        self.rng = random.Random()  # noqa: S311 (choosing clicks)

    def _page(self, path: str, name: str, *, form: bool = False) -> str:
        """The page's HTML; with ``form``, the page must carry a form to post (its CSRF token)."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code} {answer.headers.get('Location', '')[:40]}")
                return ""
            if form and not _TOKEN.search(answer.text):
                answer.failure("the page has no form to post")
                return ""
            return answer.text

    def _post(self, path: str, name: str, data: dict[str, str], expect: str) -> None:
        with self.client.post(path, data=data, name=name, allow_redirects=False, catch_response=True) as answer:
            location = answer.headers.get("Location", "")
            if answer.status_code != 302 or expect not in location:
                answer.failure(f"{answer.status_code}, not a redirect to {expect}")
            else:
                self._page(location, f"{name} -> result")

    @task(5)
    def my_cases(self) -> None:
        self._page("/cases/?view=mine", "/cases/?view=mine")

    @task(2)
    def site_cases(self) -> None:
        self._page(f"/cases/?view=site&page={self.rng.randint(1, 5)}", "/cases/?view=site&page=[1-5]")

    @task(6)
    def case_page(self) -> None:
        self._page(f"/cases/{self.rng.choice(self.references)}/", "/cases/[reference]/")

    @task(1)
    def search(self) -> None:
        page = self._page("/cases/", "/cases/", form=True)
        token = _TOKEN.search(page)
        if token:
            words = self.rng.choice(self.words)
            data = {"csrfmiddlewaretoken": token.group(1), "q": words, "view": "site", "status": ""}
            self._post("/cases/", "POST /cases/ (search)", data, "search=")

    @task(3)
    def my_work(self) -> None:
        self._page("/", "/ (My work)")

    @task(1)
    def dashboard(self) -> None:
        self._page("/insights/", "/insights/ (dashboard)")

    @task(1)
    def add_note(self) -> None:
        reference = self.rng.choice(self.references)
        form = self._page(f"/cases/{reference}/do/note/", "/cases/[reference]/do/note/", form=True)
        token = _TOKEN.search(form)
        if token:
            data = {
                "csrfmiddlewaretoken": token.group(1),
                "kind": "note",
                "summary": "Soak test note",
                "body": "Written by the benchmark's simulated officer.",
                "duration_minutes": "",
            }
            self._post(f"/cases/{reference}/do/note/", "POST /cases/[reference]/do/note/", data, f"/cases/{reference}/")
