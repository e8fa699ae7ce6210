"""Benchmark: latency and throughput of the pages and API lists staff use most, through gunicorn, on PostgreSQL.

    .venv/bin/python bench/pages.py [--database-url URL] [--quick] [--duration 20] [--levels 1,8,32]
                                    [--endpoints worklist_mine,case_page,...] [--list]

Starts gunicorn as `liaison serve` does (gthread workers, production settings, MFA required) with two workers on
127.0.0.1:58401, signs in the busiest officers (sessions written as the sign-in and MFA pages write them), then
for each endpoint and each number of concurrent clients sends requests back to back for a fixed time after a
warm-up, and reports p50/p95/p99 latency, requests per second, and every answer that was not a 2xx.

Each client is a thread with its own keep-alive connection. The clients share the machine with the server:
their CPU use, the server's, and the whole machine's are in the result, so a saturated load generator or a
busy neighbour shows. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import math
import random
import re
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # bench/ is not a package: found through the path above

GOAL = {"p95_ms_at_8_clients": 100, "requests_per_s_at_8_clients": 200}
PAGE_SIZE = 25  # the worklist's (liaison/cases/views.py)


@dataclass
class Client:
    """One signed-in browser: its cookie, and the addresses it may ask for (one is picked per request)."""

    cookie: str
    paths: list[str]


@dataclass
class Endpoint:
    name: str
    kind: str  # "page" or "api"
    shape: str  # the address without identifiers, for the result
    who: str
    clients: list[Client] = field(default_factory=list)
    prepare: Callable[[Endpoint, str], None] | None = None  # runs against the live server, just before measuring
    notes: dict[str, Any] = field(default_factory=dict)


# -- Choosing what to ask for ----------------------------------------------------------------------------------


def _worklist_pages(user: Any) -> int:
    from liaison.cases import forms as case_forms
    from liaison.cases import selectors

    filters = case_forms.WorklistForm({"view": "site", "status": ""}, user=user).filters(None)
    return max(1, math.ceil(selectors.worklist(user=user, filters=filters).count() / PAGE_SIZE))


def _sample_references(user: Any, count: int) -> list[str]:
    from liaison.cases.selectors import cases_for_user

    return list(cases_for_user(user=user).order_by("?").values_list("reference", flat=True)[:count])


def _search_words(user: Any, rng: random.Random) -> tuple[str, str]:
    """A family name and a reference from cases the officer can see (never printed: they are patient data)."""
    from liaison.cases.selectors import cases_for_user

    named = cases_for_user(user=user).exclude(patient_name="").order_by("?").values_list("patient_name", flat=True)
    name = ""
    for full_name in named[:20]:
        words = [w for w in re.findall(r"[^\W\d_]+", full_name) if len(w) >= 3]
        if words:
            name = words[-1]
            break
    references = _sample_references(user, 1)
    return name, references[0] if references else ""


def _post_search(base: str, client: Client, words: str) -> str:
    """Search as the worklist's form does: the words are posted and come back as a short-lived id in the address."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    connection.request("GET", "/cases/", headers={"Cookie": client.cookie})
    answer = connection.getresponse()
    page = answer.read().decode("utf-8", "replace")
    if answer.status != 200:
        raise SystemExit(f"GET /cases/ answered {answer.status} while preparing a search")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    cookie = re.search(r"csrftoken=([^;]+)", answer.getheader("Set-Cookie") or "")
    if token is None or cookie is None:
        raise SystemExit("The worklist page carried no CSRF token to search with")
    body = urlencode({"csrfmiddlewaretoken": token.group(1), "q": words, "view": "site", "status": ""})
    headers = {
        "Cookie": f"{client.cookie}; csrftoken={cookie.group(1)}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    connection.request("POST", "/cases/", body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    location = answer.getheader("Location") or ""
    connection.close()
    if answer.status != 302 or "search=" not in location:
        raise SystemExit(f"Posting a search answered {answer.status}, not a redirect to its results")
    return location


def _prepare_search(which: int) -> Callable[[Endpoint, str], None]:
    def prepare(endpoint: Endpoint, base: str) -> None:
        for client in endpoint.clients:
            words = endpoint.notes.pop(f"_words_{id(client)}")[which]
            client.paths = [_post_search(base, client, words)]

    return prepare


def _api_list_operations() -> list[str]:
    """Every GET operation of /api/v1/ whose answer is a list, from the OpenAPI document the code generates.

    A list is a JSON array, or a page of one: an object with an array of items (and a cursor to the next page).
    """
    from liaison.api.v1 import api

    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref", "")
        return resolve(components.get(ref.rsplit("/", 1)[-1], {})) if ref else node

    found = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if not operation:
            continue
        responses = operation.get("responses", {})
        content = responses.get(200) or responses.get("200") or {}
        answer = resolve(content.get("content", {}).get("application/json", {}).get("schema", {}))
        properties = answer.get("properties", {})
        if answer.get("type") == "array" or resolve(properties.get("items", {})).get("type") == "array":
            found.append(path)
    return sorted(found)


def _api_endpoints(cookie_for: Callable[[Any], str]) -> tuple[list[Endpoint], dict[str, str]]:
    """The API's list operations, each called by a user who gets a non-empty list where the data allow it."""
    from django.db.models import Count

    from liaison.accounts.permissions import Cap, users_with
    from liaison.hiring.models import Interview
    from liaison.investigations import selectors as investigation_selectors

    endpoints: list[Endpoint] = []
    skipped: dict[str, str] = {}
    for path in _api_list_operations():
        name = "api_" + re.sub(r"[^a-z0-9]+", "_", path.removeprefix("/api/v1/").replace("{", "").replace("}", ""))
        name = name.strip("_")
        if path.endswith("/investigations/requests"):
            ranked = sorted(
                users_with(Cap.REQUEST_ANSWER),
                key=lambda u: -investigation_selectors.requests_for_investigator(user=u).count(),
            )[:2]
            if not ranked:
                skipped[name] = "no investigator in this database"
                continue
            sizes = [investigation_selectors.requests_for_investigator(user=u).count() for u in ranked]
            endpoints.append(
                Endpoint(
                    name, "api", path, f"{len(ranked)} investigator(s) with the most requests",
                    [Client(cookie_for(u), [path]) for u in ranked], notes={"requests_visible_to_each": sizes},
                )
            )  # fmt: skip
        elif path.endswith("/hiring/interviews/{interview_id}/scores"):
            interviews = list(
                Interview.objects.annotate(n=Count("scores"))
                .select_related("candidate__vacancy__hiring_manager")
                .order_by("-n", "pk")[:4]
            )
            if not interviews:
                skipped[name] = "no interview in this database"
                continue
            by_manager: dict[int, Client] = {}
            for interview in interviews:
                manager = interview.candidate.vacancy.hiring_manager
                client = by_manager.setdefault(manager.pk, Client(cookie_for(manager), []))
                client.paths.append(path.replace("{interview_id}", str(interview.pk)))
            endpoints.append(
                Endpoint(
                    name, "api", path, "the hiring managers of the interviews with the most scores",
                    list(by_manager.values()), notes={"scores_per_interview": [i.n for i in interviews]},
                )
            )  # fmt: skip
        else:
            skipped[name] = f"{path}: no rule here says whom to call it as; add one to bench/pages.py"
    return endpoints, skipped


def build_endpoints(officer_count: int, seed: int) -> tuple[list[Endpoint], dict[str, str], list[str]]:
    rng = random.Random(seed)  # noqa: S311 (choosing test data)
    officers = common.officers(officer_count)
    cookies: dict[int, str] = {}

    def cookie_for(user: Any) -> str:
        if user.pk not in cookies:
            cookies[user.pk] = common.signed_in_cookie(user)
        return cookies[user.pk]

    who = f"{len(officers)} officer(s) with the most open cases"
    clients = {u.pk: Client(cookie_for(u), []) for u in officers}

    def each(paths: Callable[[Any], list[str]]) -> list[Client]:
        return [Client(clients[u.pk].cookie, paths(u)) for u in officers]

    deep = {u.pk: max(1, _worklist_pages(u) // 2) for u in officers}
    endpoints = [
        Endpoint("worklist_mine", "page", "/cases/?view=mine", who, each(lambda u: ["/cases/?view=mine"])),
        Endpoint(
            "worklist_site_any_status_page_1", "page", "/cases/?view=site&status=", who,
            each(lambda u: ["/cases/?view=site&status="]),
        ),
        Endpoint(
            "worklist_site_any_status_deep_page", "page", "/cases/?view=site&status=&page=N (the middle page)", who,
            each(lambda u: [f"/cases/?view=site&status=&page={deep[u.pk]}"]),
            notes={"pages": sorted(set(deep.values()))},
        ),
    ]  # fmt: skip
    searches = [
        Endpoint("worklist_search_name", "page", "POST /cases/ q=<family name>, then GET /cases/?search=ID", who),
        Endpoint("worklist_search_reference", "page", "POST /cases/ q=<reference>, then GET /cases/?search=ID", who),
    ]
    words = {u.pk: _search_words(u, rng) for u in officers}
    skipped: dict[str, str] = {}
    for which, endpoint in enumerate(searches):
        endpoint.prepare = _prepare_search(which)
        for user in officers:
            if words[user.pk][which]:
                client = Client(clients[user.pk].cookie, [])
                endpoint.clients.append(client)
                endpoint.notes[f"_words_{id(client)}"] = words[user.pk]
        if endpoint.clients:
            endpoints.append(endpoint)
        else:
            skipped[endpoint.name] = "the officers' cases hold nothing to search for"
    endpoints.append(
        Endpoint(
            "case_page", "page", "/cases/<reference>/ (100 random cases per officer)", who,
            each(lambda u: [f"/cases/{ref}/" for ref in _sample_references(u, 100)]),
        )
    )  # fmt: skip
    endpoints.append(Endpoint("my_work", "page", "/", who, each(lambda u: ["/"])))
    api, api_skipped = _api_endpoints(cookie_for)
    endpoints += api
    skipped.update(api_skipped)
    return endpoints, skipped, [f"user {u.pk}: {u.open_cases} open cases" for u in officers]


# -- Load ------------------------------------------------------------------------------------------------------


class Worker(threading.Thread):
    """One client: requests back to back on one keep-alive connection, recording those answered inside the window.

    Counting the answers that arrive inside the window (not the requests sent in it) keeps slow answers in the
    figures: with 32 clients and one-second answers, few requests are both sent and answered within a short window.
    """

    def __init__(self, port: int, client: Client, api: bool, start: float, window: tuple[float, float]) -> None:
        super().__init__(daemon=True)
        self.port, self.client, self.start_at, (self.opens, self.closes) = port, client, start, window
        self.headers = {"Cookie": client.cookie, "User-Agent": "liaison-bench"}
        if api:
            self.headers["Accept"] = "application/json"
        self.rng = random.Random()  # noqa: S311
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.bytes = 0
        self.reconnects = 0

    def _once(self, connection: http.client.HTTPConnection, path: str) -> tuple[int, int]:
        connection.request("GET", path, headers=self.headers)
        answer = connection.getresponse()
        return answer.status, len(answer.read())

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        while True:
            sent = time.monotonic()
            if sent >= self.closes:
                break
            path = self.rng.choice(self.client.paths)
            try:
                try:
                    status, size = self._once(connection, path)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    # The server closed an idle keep-alive connection: a browser reconnects and asks again.
                    connection.close()
                    self.reconnects += 1
                    status, size = self._once(connection, path)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                if self.opens <= time.monotonic() <= self.closes:
                    self.statuses[f"error {type(exc).__name__}"] += 1
                continue
            done = time.monotonic()
            if self.opens <= done <= self.closes:
                self.latencies.append(done - sent)
                self.statuses[str(status)] += 1
                self.bytes += size
        connection.close()


def _machine_busy() -> tuple[float, float]:
    import psutil

    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    return sum(times) - idle, sum(times)


def run_level(
    endpoint: Endpoint, server: common.Server, url: str, clients: int, duration: float, warmup: float
) -> dict[str, Any]:
    start = time.monotonic() + 0.5
    opens, closes = start + warmup, start + warmup + duration
    workers = [
        Worker(server.port, endpoint.clients[i % len(endpoint.clients)], endpoint.kind == "api", start, (opens, closes))
        for i in range(clients)
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, opens - time.monotonic()))
    processes = server.processes()
    server_cpu, client_cpu, machine = (
        common.cpu_seconds(processes),
        resource.getrusage(resource.RUSAGE_SELF),
        _machine_busy(),
    )
    sampler = common.WaitSampler(url, interval=0.1)
    sampler.start()
    time.sleep(max(0.0, closes - time.monotonic()))
    waits = sampler.stop()
    server_cpu = common.cpu_seconds(processes) - server_cpu
    after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu_s = after.ru_utime + after.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime
    busy, total = _machine_busy()
    for worker in workers:
        worker.join(timeout=150)
    latencies = [x for w in workers for x in w.latencies]
    statuses: Counter[str] = Counter()
    for worker in workers:
        statuses.update(worker.statuses)
    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    answered = len(latencies)
    return {
        "requests": answered,
        "requests_per_s": round(answered / duration, 1),
        **common.latency_summary(latencies),
        "non_2xx": sum(statuses.values()) - ok,
        "statuses": dict(statuses),
        "mean_response_kb": round(sum(w.bytes for w in workers) / answered / 1024, 1) if answered else None,
        "reconnects": sum(w.reconnects for w in workers),
        # Cores used during the window: the server's processes, this load generator, and the whole machine.
        "server_cpu_cores": round(server_cpu / duration, 2),
        "client_cpu_cores": round(client_cpu_s / duration, 2),
        "machine_busy_percent": round(100 * (busy - machine[0]) / max(total - machine[1], 1e-9), 1),
        "database_sessions": waits,
    }


def _check(endpoint: Endpoint, port: int) -> dict[str, int]:
    """One request per client before measuring: a sign-in redirect or a 404 here would make every figure wrong."""
    seen: Counter[str] = Counter()
    for client in endpoint.clients:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("GET", client.paths[0], headers={"Cookie": client.cookie})
        answer = connection.getresponse()
        answer.read()
        seen[str(answer.status)] += 1
        connection.close()
    return dict(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--quick", action="store_true", help="3 s per level after a 1 s warm-up")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured per level (default 20)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before each level's window (default 5)")
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients, comma-separated")
    parser.add_argument("--endpoints", default="", help="comma-separated names (see --list); default all")
    parser.add_argument("--officers", type=int, default=4, help="signed-in officers the clients share")
    parser.add_argument("--port", type=int, default=common.PORT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--list", action="store_true", help="print the endpoints' names and stop")
    args = parser.parse_args()
    duration = args.duration if args.duration is not None else (3.0 if args.quick else 20.0)
    warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 5.0)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    url = common.database_url(args.database_url)
    common.setup_django(url, args.port)
    common.require_migrated()

    common.log("choosing officers, cases and searches; signing in")
    endpoints, skipped, officers = build_endpoints(args.officers, args.seed)
    if args.list:
        print("\n".join([e.name for e in endpoints] + [f"{k} (not measured: {v})" for k, v in skipped.items()]))
        return
    if args.endpoints:
        wanted = {name.strip() for name in args.endpoints.split(",") if name.strip()}
        unknown = wanted - {e.name for e in endpoints} - set(skipped)
        if unknown:
            raise SystemExit(f"Unknown endpoint(s): {', '.join(sorted(unknown))}. Known: {[e.name for e in endpoints]}")
        endpoints = [e for e in endpoints if e.name in wanted]
        skipped = {k: v for k, v in skipped.items() if k in wanted}
    from django.db import connections

    connections.close_all()  # this process only sends requests from here on
    common.collect_static(url, args.port)
    result: dict[str, Any] = {"benchmark": "pages", **common.context(url)}
    server = common.Server(url, port=args.port, workers=args.workers)
    result["setup"] = {
        **server.describe(),
        "clients": "Python threads in one process, one keep-alive http.client connection each, no think time",
        "levels": levels,
        "duration_s": duration,
        "warmup_s": warmup,
        "officers": officers,
        "note": "the load generator runs on the same machine as the server and the database (see client_cpu_cores)",
    }
    result["goal"] = GOAL
    figures: dict[str, Any] = {}
    with server:
        for endpoint in endpoints:
            if endpoint.prepare is not None:
                endpoint.prepare(endpoint, server.base)
            notes = {k: v for k, v in endpoint.notes.items() if not k.startswith("_")}
            entry: dict[str, Any] = {
                "kind": endpoint.kind,
                "address": endpoint.shape,
                "as": endpoint.who,
                **notes,
                "check": _check(endpoint, server.port),
            }
            entry["levels"] = {}
            for clients in levels:
                common.log(f"{endpoint.name}: {clients} client(s), {warmup:g} s warm-up + {duration:g} s")
                entry["levels"][str(clients)] = run_level(endpoint, server, url, clients, duration, warmup)
            at8 = entry["levels"].get("8")
            if at8 and at8["p95_ms"] is not None:
                entry["meets_goal_at_8_clients"] = (
                    at8["p95_ms"] <= GOAL["p95_ms_at_8_clients"]
                    and at8["requests_per_s"] >= GOAL["requests_per_s_at_8_clients"]
                    and at8["non_2xx"] == 0
                )
            figures[endpoint.name] = entry
        result["server_log_tail"] = server.log_tail(20)
    result["figures"] = figures
    result["not_measured"] = skipped
    result["non_2xx_total"] = sum(level["non_2xx"] for e in figures.values() for level in e["levels"].values())
    common.emit(result)


if __name__ == "__main__":
    main()
