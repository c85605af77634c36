"""Demo data (--demo) and bulk customers (--demo-customers N).

The demo is built through the same service functions as the HTTP API, replayed over the last
30 days of the sandbox clock, so every record (ledger included) is one the API could have made.
"""

from __future__ import annotations

import random

from . import cashins, locations_data, payouts, settlement, virtual_accounts
from .clock import iso_ms
from .customers import ENDORSEMENTS, IDENTITY_FIELDS, create_customer, set_status
from .extras import deposit
from .ids import bulk_id
from .money import parse_amount
from .quotes import create_quote
from .store import Store, dumps
from .transactions import create_transaction
from .wallets import create_wallet

DAY_MS = 86_400_000

PEOPLE = [
    ("Jane", "Smith", "NY", "New York", "10001"),
    ("Carlos", "Mendoza", "TX", "Houston", "77002"),
    ("Aisha", "Okafor", "GA", "Atlanta", "30303"),
    ("Wei", "Zhang", "CA", "San Francisco", "94105"),
    ("Maria", "Garcia", "FL", "Miami", "33130"),
    ("Tom", "Becker", "IL", "Chicago", "60601"),
    ("Priya", "Natarajan", "NJ", "Jersey City", "07302"),
    ("Luis", "Hernandez", "AZ", "Phoenix", "85004"),
    ("Emily", "Johnson", "WA", "Seattle", "98101"),
    ("Kwame", "Mensah", "MD", "Baltimore", "21201"),
    ("Sofia", "Rossi", "MA", "Boston", "02108"),
    ("Daniel", "Kim", "CA", "Los Angeles", "90012"),
    ("Fatima", "Al-Sayed", "MI", "Dearborn", "48126"),
    ("Jake", "Miller", "OH", "Columbus", "43215"),
    ("Ana", "Pereira", "NJ", "Newark", "07102"),
    ("Hiroshi", "Tanaka", "HI", "Honolulu", "96813"),
    ("Grace", "Oduya", "TX", "Dallas", "75201"),
    ("Mateo", "Silva", "NV", "Las Vegas", "89101"),
    ("Olivia", "Brown", "CO", "Denver", "80202"),
    ("Ibrahim", "Diallo", "NY", "Bronx", "10451"),
    # pending: identity incomplete
    ("Chloe", "Martin", None, None, None),
    ("Ravi", "Patel", None, None, None),
    ("Nora", "Lindqvist", None, None, None),
    ("Sam", "Wright", None, None, None),
    # rejected: the D17 test name
    ("Victor", "Reject", "PA", "Philadelphia", "19103"),
]
EXTERNAL = [
    "0xabC1230000000000000000000000000000DEf456",
    "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
]
STREETS = ["Main", "Oak", "Pine", "Elm", "Maple", "Cedar"]
DEAD = "0x000000000000000000000000000000000000dEaD"


def _birth_date(rnd: random.Random) -> str:
    return f"{rnd.randint(1960, 2003)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"


def _identity(first: str, last: str, state, city, zip_code, rnd: random.Random) -> dict:
    fields = {
        "type": "individual",
        "firstName": first,
        "lastName": last,
        "email": f"{first.lower()}.{last.lower().replace('-', '')}@example.com",
        "phone": f"+1{rnd.randint(201, 989)}555{rnd.randint(1000, 9999)}",
        "nationality": "US",
        "externalId": f"usr_{rnd.randint(10000, 99999)}",
        "signedAgreement": True,
        "ipAddress": f"203.0.113.{rnd.randint(1, 254)}",
        "endorsements": list(ENDORSEMENTS),
    }
    if state:
        fields.update(
            birthDate=_birth_date(rnd),
            residentialAddress={
                "line1": f"{rnd.randint(10, 9999)} {rnd.choice(STREETS)} St",
                "city": city,
                "state": state,
                "country": "US",
                "zipCode": zip_code,
            },
            identifyingInformation=[
                {
                    "type": "ssn",
                    "issuingCountry": "US",
                    "number": f"{rnd.randint(100000000, 899999999)}",
                }
            ],
        )
    else:
        fields["birthDate"] = f"{rnd.randint(1960, 2003)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
    return fields


SEEDED_META = "demo_seeded"


def _has_data(store: Store, account: str) -> bool:
    return store.one("SELECT 1 FROM resources WHERE account=? LIMIT 1", (account,)) is not None


def seed_if_empty(store: Store, account: str, now: int) -> bool:
    """Seed the demo into an empty database only. Returns True if it seeded.

    One database transaction, marker included: a failure anywhere leaves the database as empty
    as it was, so the next `--demo` start seeds it again."""
    with store.tx() as tx:
        if tx.get_meta(SEEDED_META) is not None or _has_data(tx, account):
            return False
        _seed(tx, account, now)
        tx.set_meta(SEEDED_META, str(now))
    return True


def _seed(store: Store, account: str, now: int) -> None:
    rnd = random.Random(20261124)
    t = now - 30 * DAY_MS
    wallets: list[dict] = []
    customers: list[dict] = []
    # The first person is created last: newest first, the desk selects them on first start,
    # and their story (below) shows the product at work.
    for i, person in enumerate([*PEOPLE[1:], PEOPLE[0]]):
        t += rnd.randint(DAY_MS // 4, DAY_MS)
        with store.tx() as tx:
            c = create_customer(tx, account, _identity(*person, rnd), t)
            customers.append(c)
            if all(e["status"] == "ACTIVE" for e in c["endorsements"]):
                w = create_wallet(tx, account, c, "usdc", "polygon", t + 60_000)
                wallets.append(w)
                amount = rnd.choice(["250.00", "500.00", "1200.00", "3000.00", "845.50", "75.25"])
                deposit(tx, account, w, parse_amount(amount, "usdc", "amount"), t + 120_000)
        if i == 13:
            with store.tx() as tx:  # one customer was offboarded by an operator
                set_status(tx, account, c["id"], "inactive", t + 180_000)
    # A history of sends over the last ~10 days: internal, external and a few failures.
    active = [w for w in wallets if w["customerId"] != customers[13]["id"]]
    t = max(t, now - 10 * DAY_MS)
    for n in range(40):
        t += rnd.randint(DAY_MS // 8, DAY_MS // 5)
        if t > now - 60_000:
            break
        src = rnd.choice(active)
        bal = store.balance(src["id"])[0]
        if bal < 30_000_000:
            with store.tx() as tx:
                deposit(tx, account, src, 500_000_000, t - 60_000)
            bal = store.balance(src["id"])[0]
        amount = f"{rnd.randint(5, max(6, min(400, bal // 2_000_000)))}.{rnd.randint(0, 99):02d}"
        roll = rnd.random()
        if n % 9 == 4:
            dest = {"wallet": {"blockchainAddress": DEAD}}
        elif roll < 0.45:
            other = rnd.choice([w for w in active if w["id"] != src["id"]])
            dest = {"wallet": {"id": other["id"]}}
        else:
            dest = {"wallet": {"blockchainAddress": rnd.choice(EXTERNAL)}}
        fixed = "source" if rnd.random() < 0.7 else "destination"
        req = {
            "customerId": src["customerId"],
            "source": {
                "walletId": src["id"],
                "asset": "usdc",
                "network": "polygon",
                "amount": amount if fixed == "source" else None,
            },
            "destination": {
                **dest,
                "asset": "usdc",
                "network": "polygon",
                "amount": amount if fixed == "destination" else None,
            },
            "sponsorGas": rnd.random() < 0.5,
            "metadata": {"note": rnd.choice(["rent", "payroll", "refund", "invoice 1042", "gift"])},
        }
        with store.tx() as tx:
            # Accepted the moment it is quoted: valid whatever --quote-ttl is.
            q = create_quote(tx, account, req, t)
            create_transaction(tx, account, {"quoteId": q["id"], "metadata": {}}, t)
        settlement.run_due(store, t + 60_000)
    settlement.run_due(store, now)
    _story(store, account, customers[-1], wallets, now)


def _send(store: Store, account: str, src: dict, dest: dict, amount: str, at: int) -> None:
    req = {
        "customerId": src["customerId"],
        "source": {"walletId": src["id"], "asset": "usdc", "network": "polygon", "amount": amount},
        "destination": {**dest, "asset": "usdc", "network": "polygon"},
    }
    with store.tx() as tx:
        q = create_quote(tx, account, req, at)
        create_transaction(tx, account, {"quoteId": q["id"], "metadata": {}}, at)


def _story(store: Store, account: str, star: dict, wallets: list[dict], now: int) -> None:
    """The customer the desk selects first: one completed transaction of each kind the desk
    names (Fund with cash, Bank deposit, Receive, Send, Withdraw to bank), one send that failed
    (refunded) and one still in flight (it settles on screen within seconds of the first
    start). Each is made by the rail's own service functions on the sandbox clock, so fees,
    ledger postings and events are those the API would have produced."""
    mine = next((w for w in wallets if w["customerId"] == star["id"]), None)
    others = [w for w in wallets if w["customerId"] != star["id"]]
    if mine is None or not others:
        return
    _fund_with_cash(store, account, star, mine, "100.00", now - 6 * 3_600_000)
    _bank_deposit(store, account, star, mine, "250.00", now - 5 * 3_600_000)
    friend = others[0]
    with store.tx() as tx:
        deposit(tx, account, friend, 200_000_000, now - 3 * 3_600_000)
    _send(store, account, friend, {"wallet": {"id": mine["id"]}}, "125.00", now - 3_000_000)
    _send(
        store,
        account,
        mine,
        {"wallet": {"blockchainAddress": EXTERNAL[1]}},
        "40.00",
        now - 2_400_000,
    )
    _send(store, account, mine, {"wallet": {"id": friend["id"]}}, "15.50", now - 1_800_000)
    _send(store, account, mine, {"wallet": {"blockchainAddress": DEAD}}, "22.00", now - 1_200_000)
    _withdraw_to_bank(store, account, star, mine, "60.00", now - 900_000)
    settlement.run_due(store, now)
    # In flight at the first start: broadcast 2 s and settled 5 s later on the sandbox clock.
    _send(store, account, mine, {"wallet": {"blockchainAddress": EXTERNAL[0]}}, "10.00", now)


def _fund_with_cash(store: Store, account: str, star: dict, wallet: dict, usd: str, at: int):
    """A cash-in at the store nearest the customer's city: code reserved, the cashier's
    barcode authorisation 5 minutes later, committed at once, settled 10 s after that."""
    cents = parse_amount(usd, "usd", "amount")
    store_near = locations_data.nearest(40.7506, -73.9935)[0][0]  # Manhattan
    customer = star
    with store.tx() as tx:
        ci = cashins.reserve_cash_in(tx, account, customer, wallet, store_near, cents, {}, at)
    paid = at + 300_000
    with store.tx() as tx:
        ci, extra = cashins._load(tx, account, ci["id"])
        confirmation = cashins.authorise(tx, account, ci, cents, paid)
        cashins.commit(tx, account, ci, extra, confirmation, cents, paid)
    settlement.run_due(store, paid + cashins.SETTLE_AFTER_MS)


def _bank_deposit(store: Store, account: str, star: dict, wallet: dict, usd: str, at: int):
    """A virtual account (D22) opened for the wallet and an ACH deposit to it a minute later
    from the customer's own bank; it settles on the ACH delay."""
    customer = star
    with store.tx() as tx:
        va = virtual_accounts.open_virtual_account(
            tx, account, customer, wallet, "Paycheck", None, at
        )
    sent = at + 60_000
    sender = {
        "name": f"{customer['firstName']} {customer['lastName']}",
        "routingNumber": "021000021",
    }
    with store.tx() as tx:
        virtual_accounts.simulate(
            tx, account, va, "ach_in", parse_amount(usd, "usd", "amount"), sender, sent
        )
    settlement.run_due(store, sent + virtual_accounts.SETTLE_AFTER_MS["ach_in"])


def _withdraw_to_bank(store: Store, account: str, star: dict, wallet: dict, usd: str, at: int):
    """A checking account registered and a quoted ACH payout to it (D21), settled later by
    the caller's run_due."""
    customer = star
    holder = f"{customer['firstName']} {customer['lastName']}"
    with store.tx() as tx:
        bank = payouts.register_bank_account(
            tx, account, customer, "ach", "Chase", "021000021", "483920174415", holder, at
        )
    req = {
        "customerId": customer["id"],
        "source": {"walletId": wallet["id"], "asset": "usdc", "network": "polygon", "amount": usd},
        "destination": {
            "wallet": {"externalAccount": bank["id"]},
            "asset": "usd",
            "network": "ach",
        },
    }
    with store.tx() as tx:
        q = create_quote(tx, account, req, at + 60_000)
        create_transaction(tx, account, {"quoteId": q["id"], "metadata": {}}, at + 60_000)


def bulk_customers(store: Store, account: str, n: int, now: int) -> None:
    """Insert N plain, fully verified customers in one transaction (100k in a few seconds)."""
    if n <= 0:
        return
    endorsements = [
        {
            "name": name,
            "status": "ACTIVE",
            "rejectionReasons": [],
            "requirements": {
                "complete": list(IDENTITY_FIELDS),
                "pending": [],
                "missing": [],
                "issues": [],
            },
        }
        for name in ENDORSEMENTS
    ]
    firsts = [p[0] for p in PEOPLE[:20]]
    lasts = [p[1] for p in PEOPLE[:20]]
    extra = dumps({"private": {}, "requested": list(ENDORSEMENTS)})
    endorsements_json = dumps(endorsements)
    start = now - n * 1000
    day_cache: dict[int, str] = {}
    rows = []
    for i in range(n):
        ms = start + i * 1000
        cid = bulk_id("cst_", ms)
        first, last = firsts[i % 20], lasts[(i // 20) % 20]
        email = f"{first.lower()}.{last.lower().replace('-', '')}.{i}@example.com"
        ext = f"bulk_{i:07d}"
        day, rem = divmod(ms, DAY_MS)
        date = day_cache.get(day)
        if date is None:
            date = day_cache[day] = iso_ms(day * DAY_MS)[:10]
        secs, milli = divmod(rem, 1000)
        ts = f"{date}T{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.{milli:03d}Z"
        # Every value here is plain ASCII without quotes or backslashes: no escaping needed.
        body = (
            f'{{"id":"{cid}","object":"customer","type":"individual","firstName":"{first}",'
            f'"middleName":null,"lastName":"{last}","email":"{email}","phone":null,'
            f'"nationality":"US","externalId":"{ext}","status":"active",'
            f'"signedAgreement":true,"signedAgreementAt":"{ts}",'
            f'"endorsements":{endorsements_json},"metadata":{{}},'
            f'"createdAt":"{ts}","updatedAt":"{ts}"}}'
        )
        rows.append((cid, account, "customer", "active", email, ext, ms, ms, body, extra))
    with store.tx() as tx:
        tx.executemany(
            "INSERT INTO resources(id, account, kind, status, email, external_id, created_ms,"
            " updated_ms, body, extra) VALUES(?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
