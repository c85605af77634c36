"""The loopback HTTP receiver: uvicorn + starlette on a thread and event loop of their own.

The UI thread never runs any of it: a slow disk or a burst of deliveries costs the UI only
the ``on_record`` hand-over (the listener posts it to the app's loop). The socket is bound
before the thread starts (127.0.0.1, an ephemeral port), so the URL is known at once and
connections made before the server accepts wait in the backlog.

Each delivery is verified with ``standardwebhooks`` (``verify.verify_live``), checked for a
replayed ``webhook-id``, recorded in the ``EventLog`` — and only then answered: 200 when
verified (or a replay of one already recorded: the sender must stop), 400 when not, 500
when it could not be recorded (the sender retries).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from .log import EventLog, Received, object_id_of
from .verify import REPLAY, Verdict, key_of, verify_live

__all__ = ["KEPT_HEADERS", "Receiver"]

log = logging.getLogger(__name__)

#: Headers kept with each delivery (none of them is a secret).
KEPT_HEADERS = (
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "user-agent",
)
MAX_BODY = 1_000_000
SECRET_WAIT_S = 10.0

OnRecord = Callable[[Received, Verdict], None]


class Receiver:
    """``start()`` → ``url``; ``set_secret()`` once the endpoint exists; ``stop()``."""

    def __init__(
        self,
        event_log: EventLog,
        on_record: OnRecord | None = None,
        *,
        path: str = "/webhooks",
        host: str = "127.0.0.1",
    ) -> None:
        self.log = event_log
        self.on_record = on_record
        self.path = path if path.startswith("/") else "/" + path
        self.host = host
        self._hook: Webhook | None = None
        self._ready = threading.Event()  # a secret is set: deliveries can be verified
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.received = 0  # diagnostics

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def set_secret(self, secret: str) -> None:
        """Key the verifier per D14 (``Webhook(bytes.fromhex(secret.removeprefix("whsec_")))``)."""
        self._hook = Webhook(key_of(secret))
        self._ready.set()

    # ---- lifecycle ------------------------------------------------------------------
    def start(self) -> str:
        if self._thread is not None:
            return self.url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(128)
        sock.setblocking(False)
        self._sock = sock
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route(self.path, self._handle, methods=["POST"])])
        config = uvicorn.Config(
            app,
            loop="asyncio",
            http="h11",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="webhook-receiver"
        )
        self._thread.daemon = True
        self._thread.start()
        return self.url

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, finish what is in flight, end the thread (blocking: call it from
        a worker thread, e.g. ``asyncio.to_thread(receiver.stop)``)."""
        self._ready.set()  # release requests waiting for a secret (they get 503)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # ---- one delivery ----------------------------------------------------------------
    async def _handle(self, request: Request) -> Response:
        try:
            body = await request.body()
        except ClientDisconnect:
            return Response(status_code=400)
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        if not self._ready.is_set():
            # The endpoint's create call has not answered yet: wait for the secret, off
            # this loop, rather than refuse (a refusal costs a 5 s retry).
            await asyncio.to_thread(self._ready.wait, SECRET_WAIT_S)
        hook = self._hook
        if hook is None:
            return Response(status_code=503)
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() in KEPT_HEADERS}
        verdict = verify_live(hook, headers, body)
        if verdict.valid and self.log.seen(verdict.webhook_id):
            verdict = dataclasses.replace(verdict, valid=False, reason=REPLAY)
        text = body.decode("utf-8", errors="replace")
        try:
            rec = self.log.record(
                webhook_id=verdict.webhook_id or headers.get("webhook-id", ""),
                event_type=(verdict.event.type if verdict.event else _type_of(verdict.body)),
                object_id=object_id_of(verdict.body),
                valid=verdict.valid,
                reason=verdict.reason,
                headers=headers,
                body=text,
            )
        except Exception:
            log.exception("could not record a webhook delivery")
            return Response(status_code=500)
        self.received += 1
        if self.on_record is not None:
            try:
                self.on_record(rec, verdict)
            except Exception:
                log.exception("webhook on_record failed")
        if verdict.valid or verdict.reason == REPLAY:
            return Response(status_code=200)
        return Response(verdict.reason, status_code=400, media_type="text/plain")


def _type_of(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("type"), str):
        return payload["type"]
    return ""
