"""The desk's own webhook receiver (issue 16): verify deliveries, keep a bounded log, and
feed verified events to the tracker as hints.

Qt-free (an import-linter contract says so) and independent of the sandbox: it meets the
sandbox only over HTTP, like a customer's backend would. Modules:

* ``verify``   — the D14 event list, filters, URL rule, and ``check_delivery`` (standardwebhooks)
* ``log``      — the bounded per-profile SQLite log of received deliveries and the endpoint id
* ``server``   — the loopback HTTP receiver (uvicorn + starlette in a thread of its own)
* ``listener`` — register/clean up the endpoint, run the receiver, forward events
"""
