"""The benchmark's second reference (issue 19): a minimal FastAPI app that answers the same
pair of requests as the sandbox — POST /quotes, POST /transactions — with one SQLite insert
and commit each (WAL, synchronous=NORMAL, as the sandbox), and nothing else: no auth, no
idempotency, no ledger.

Run as a child: ``python -m tests.perf.reference_app DB_PATH``; it prints
``{"port": N}`` once it listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import sys
import uuid

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def make_app(db_path: str) -> FastAPI:
    db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # the sandbox's durability setting too
    db.execute("CREATE TABLE IF NOT EXISTS rows (id TEXT PRIMARY KEY, kind TEXT, body TEXT)")
    app = FastAPI()

    def insert(kind: str, body: bytes) -> JSONResponse:
        rid = f"{kind}_{uuid.uuid4().hex}"
        db.execute("INSERT INTO rows VALUES (?, ?, ?)", (rid, kind, body.decode()))
        return JSONResponse({"id": rid, "object": kind}, status_code=201)

    @app.post("/v0.9/quotes")
    async def quotes(request: Request):
        return insert("qt", await request.body())

    @app.post("/v0.9/transactions")
    async def transactions(request: Request):
        return insert("txn", await request.body())

    return app


def main() -> None:
    sock = socket.socket()
    # As the sandbox's sockets: no Nagle delay between a response's header and body writes
    # (accepted sockets inherit it on Linux).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(json.dumps({"port": sock.getsockname()[1]}), flush=True)
    config = uvicorn.Config(make_app(sys.argv[1]), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
