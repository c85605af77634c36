"""A small threaded HTTP server on 127.0.0.1 that receives sandbox webhook deliveries.

Every request is verified with `standardwebhooks` (D14: the key is the hex-decoded part
of `whsec_…`). Tests wait on it with a Condition (never sleep) and can make it answer
500 for the next N requests, or 410 Gone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    status: int  # what the receiver answered
    valid: bool  # signature verified with the endpoint's secret
    error: str | None = None
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def type(self) -> str:
        return self.body.get("type", "")


class WebhookReceiver:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.requests: list[Received] = []
        self._secret: str | None = None
        self._fail_remaining = 0
        self._fail_status = 500
        self._gone = False
        self._gate = threading.Event()  # cleared = hold answers until release()
        self._gate.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status = receiver._record(self.path, dict(self.headers.items()), raw)
                receiver._gate.wait(30)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    # -- configuration -------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def set_secret(self, secret: str) -> None:
        with self._cond:
            self._secret = secret

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer `status` to the next n requests, then 200 again."""
        with self._cond:
            self._fail_remaining = n
            self._fail_status = status

    def answer_gone(self, gone: bool = True) -> None:
        with self._cond:
            self._gone = gone

    def hold(self) -> None:
        """Record requests but do not answer them until release() (a slow receiver)."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def close(self) -> None:
        self._gate.set()
        self._server.shutdown()
        self._server.server_close()

    # -- recording -----------------------------------------------------------------
    def _record(self, path: str, headers: dict[str, str], raw: bytes) -> int:
        lower = {k.lower(): v for k, v in headers.items()}
        with self._cond:
            secret = self._secret
            if self._gone:
                status = 410
            elif self._fail_remaining > 0:
                self._fail_remaining -= 1
                status = self._fail_status
            else:
                status = 200
        valid, error, body = False, None, {}
        if secret is None:
            error = "no secret configured"
        else:
            try:
                wh = Webhook(bytes.fromhex(secret.removeprefix("whsec_")))
                body = wh.verify(raw, lower)
                valid = True
            except Exception as exc:  # recorded, asserted by the tests
                error = repr(exc)
        if not body:
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
        item = Received(path, lower, raw, status, valid, error, body)
        with self._cond:
            self.requests.append(item)
            self._cond.notify_all()
        return status

    # -- waiting -------------------------------------------------------------------
    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def wait_requests(self, n: int, timeout: float = 10.0) -> list[Received]:
        if not self.wait_until(lambda: len(self.requests) >= n, timeout):
            raise AssertionError(
                f"expected {n} webhook requests, got {len(self.requests)}: {self.types()}"
            )
        with self._cond:
            return list(self.requests)

    def wait_delivered(self, types: list[str], timeout: float = 10.0) -> list[Received]:
        """Wait until at least these many events were accepted (2xx); return the accepted ones."""
        if not self.wait_until(lambda: len(self.delivered()) >= len(types), timeout):
            raise AssertionError(f"expected {types}, got {[r.type for r in self.delivered()]}")
        return self.delivered()

    def delivered(self) -> list[Received]:
        with self._cond:
            return [r for r in self.requests if 200 <= r.status < 300]

    def types(self) -> list[str]:
        with self._cond:
            return [r.type for r in self.requests]
