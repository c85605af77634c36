"""Admin subcommands of the team sandbox (D24).

`python -m desktop.sandbox accounts create --name Team-A --database postgresql://…` creates
an empty account and prints its key and secret once (JSON on stdout); only the secret's hash
is stored. `accounts list` shows ids, names and keys (never secrets).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def accounts_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="oms-sandbox accounts")
    sub = p.add_subparsers(dest="cmd", required=True)
    create = sub.add_parser("create", help="create an account; prints its key and secret once")
    create.add_argument("--name", required=True)
    listing = sub.add_parser("list", help="list accounts (no secrets)")
    for sp in (create, listing):
        sp.add_argument(
            "--database",
            default=os.environ.get("OMS_SANDBOX_DATABASE") or None,
            help="postgresql://… (or env OMS_SANDBOX_DATABASE)",
        )
    args = p.parse_args(argv)
    if not args.database or not args.database.startswith(("postgresql://", "postgres://")):
        p.error("--database postgresql://… is required (the team sandbox's database)")
    name = getattr(args, "name", None)
    if name is not None and not (1 <= len(name) <= 100 and name.isprintable()):
        p.error("--name must be 1-100 printable characters")
    from .pgstore import PgStore

    store = PgStore(args.database)  # applies the migrations if this is a new database
    try:
        if args.cmd == "create":
            from .auth import create_account

            acct, api_key, api_secret = create_account(store, time.time_ns() // 1_000_000)
            with store.tx() as tx:
                tx.execute("UPDATE accounts SET name=? WHERE id=?", (name, acct))
            print(
                json.dumps(
                    {"account": acct, "name": name, "apiKey": api_key, "apiSecret": api_secret}
                ),
                flush=True,
            )
            print(
                "oms-sandbox: the secret is shown only now (stored hashed); keep it safe",
                file=sys.stderr,
            )
        else:
            for row in store.all("SELECT id, name, api_key FROM accounts ORDER BY created_ms"):
                print(json.dumps({"account": row[0], "name": row[1], "apiKey": row[2]}))
    finally:
        store.close()
    return 0
