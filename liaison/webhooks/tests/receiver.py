"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread, keeping every request it gets.

It answers each request with ``status`` (200 by default; change it at any time). With ``hold_at=n`` the n-th
request it gets is held, unanswered, until ``release`` is set, and is then refused with 503: a delivery the
receiver never answered with 2xx was not accepted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    delivery_id: str
    event: str
    timestamp: str
    signature: str
    attempt: str
    path: str
    body: str
    answered: int  # the status it was answered with


class Receiver:
    def __init__(self, *, status: int = 200, hold_at: int | None = None, answer_body: str = "thanks") -> None:
        self.status = status
        self.hold_at = hold_at
        self.answer_body = answer_body
        self.holding = threading.Event()
        self.release = threading.Event()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with receiver._lock:
                    receiver._count += 1
                    number = receiver._count
                status = receiver.status
                if receiver.hold_at == number:
                    receiver.holding.set()
                    receiver.release.wait(120)
                    status = 503
                receiver._keep(self.path, self.headers, body, status)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(receiver.answer_body.encode())
                except OSError:
                    pass  # the sender is gone (killed while this request was held)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _keep(self, path: str, headers: Any, body: str, status: int) -> None:
        with self._lock:
            self.received.append(
                Received(
                    delivery_id=headers.get("Liaison-Delivery", ""),
                    event=headers.get("Liaison-Event", ""),
                    timestamp=headers.get("Liaison-Timestamp", ""),
                    signature=headers.get("Liaison-Signature", ""),
                    attempt=headers.get("Liaison-Attempt", ""),
                    path=path,
                    body=body,
                    answered=status,
                )
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/liaison"

    def accepted_ids(self) -> list[str]:
        """The delivery id of every request answered with 2xx, repeats included."""
        with self._lock:
            return [r.delivery_id for r in self.received if 200 <= r.answered < 300]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
