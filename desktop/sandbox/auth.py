"""API keys, accounts (tenancy, D15) and bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from pydantic import StrictStr

from . import schemas
from .api import Body, json_response
from .clock import iso_ms
from .errors import ApiError
from .ids import new_id
from .runtime import RT
from .store import Store

router = APIRouter(tags=["Auth"])

# Bearer token -> (account, expiry ms), in memory only. On disk a token exists only as its
# SHA-256 (tokens.token), so a copy of the database grants nothing.
_token_cache: dict[str, tuple[str, int]] = {}
TOKEN_PREFIX = "oms_sdbx_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def drop_plaintext_tokens(store: Store) -> None:
    """Start-up: tokens written in plain text by older versions are removed (their holders get
    a 401 and exchange their key again, D15)."""
    with store.tx() as tx:
        tx.execute("DELETE FROM tokens WHERE token LIKE ?", (TOKEN_PREFIX + "%",))


def create_account(store: Store, now_ms: int) -> tuple[str, str, str]:
    """A new empty account. Returns (account id, api key, api secret)."""
    api_key = "sk_sdbx_" + secrets.token_hex(16)
    api_secret = secrets.token_urlsafe(32)
    acct = new_id("acct_", now_ms)
    with store.tx() as tx:
        tx.execute(
            "INSERT INTO accounts(id, api_key, secret_hash, created_ms) VALUES(?,?,?,?)",
            (acct, api_key, _hash(api_secret), now_ms),
        )
    return acct, api_key, api_secret


def ensure_default_account(store: Store, data_dir: Path, now_ms: int) -> str:
    """credentials.json (mode 0600) is made on first start and kept; returns its account id."""
    path = data_dir / "credentials.json"
    if path.exists():
        creds = json.loads(path.read_text())
        row = store.one("SELECT id FROM accounts WHERE api_key=?", (creds["apiKey"],))
        if row:
            return row[0]
        acct = new_id("acct_", now_ms)
        with store.tx() as tx:
            tx.execute(
                "INSERT INTO accounts(id, api_key, secret_hash, created_ms) VALUES(?,?,?,?)",
                (acct, creds["apiKey"], _hash(creds["apiSecret"]), now_ms),
            )
        return acct
    acct, api_key, api_secret = create_account(store, now_ms)
    tmp = data_dir / "credentials.json.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"apiKey": api_key, "apiSecret": api_secret}, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return acct


def account_for_token(store: Store, token: str, now_ms: int) -> str:
    """The account of a bearer token, or ApiError 401 (unauthorized / token_expired)."""
    hit = _token_cache.get(token)
    if hit is None:
        row = store.one("SELECT account, expires_ms FROM tokens WHERE token=?", (_hash(token),))
        if row is None:
            raise ApiError(401, "unauthorized", "Invalid bearer token")
        hit = (row[0], row[1])
        if len(_token_cache) > 10_000:
            _token_cache.clear()
        _token_cache[token] = hit
    if now_ms >= hit[1]:
        raise ApiError(401, "token_expired", "The access token has expired")
    return hit[0]


class TokenRequest(Body):
    apiKey: StrictStr
    apiSecret: StrictStr


@router.post(
    "/auth/token",
    response_model=schemas.TokenOut,
    summary="Exchange an API key and secret for a bearer token",
)
async def issue_token(body: TokenRequest, request: Request):
    store = RT.store
    row = store.one("SELECT id, secret_hash FROM accounts WHERE api_key=?", (body.apiKey,))
    if row is None or not hmac.compare_digest(row[1], _hash(body.apiSecret)):
        raise ApiError(401, "invalid_credentials", "Unknown API key or wrong secret")
    now = RT.now_ms()
    ttl_ms = round(RT.token_ttl_s * 1000)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.tx() as tx:
        tx.execute(
            "INSERT INTO tokens(token, account, expires_ms) VALUES(?,?,?)",
            (_hash(token), row[0], now + ttl_ms),
        )
        tx.execute("DELETE FROM tokens WHERE expires_ms < ?", (now - 86_400_000,))
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    _token_cache[token] = (row[0], now + ttl_ms)
    return json_response(
        {
            "accessToken": token,
            "tokenType": "bearer",
            "expiresIn": int(RT.token_ttl_s),
            "expiresAt": iso_ms(now + ttl_ms),
        }
    )
