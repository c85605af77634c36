"""Scheduled work on the sandbox clock (D21).

Other modules register `JOB_HANDLERS[kind] = fn(store, job)`; `fn` runs inside one database
transaction together with the removal of its job, with `job.due_ms` as "now", so a crash never
applies a step twice or loses it. `run_due(store, now_ms)` applies every job due up to `now_ms`
in time order, including jobs that earlier jobs schedule within the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

from .store import Store

log = logging.getLogger("desktop.sandbox.settlement")


class Job(NamedTuple):
    id: int
    due_ms: int
    kind: str
    ref_id: str | None
    account: str | None


JobHandler = Callable[[Store, Job], None]
JOB_HANDLERS: dict[str, JobHandler] = {}
# Set by the app while the rails (whose modules register the handlers) are not mounted yet:
# run_due calls it before applying a due job, so no job is ever run without its rail.
prepare: Callable[[], None] | None = None


def run_due(store: Store, now_ms: int, max_jobs: int | None = None, batch: int = 64) -> int:
    """Apply due jobs in (due time, creation) order. Returns how many ran.

    Up to `batch` jobs share one database transaction (fewer commits); each job runs in its
    own savepoint, so a failing job is rolled back alone, logged and dropped."""
    if prepare is not None:
        due = next_due_ms(store)
        if due is None or due > now_ms:
            return 0
        prepare()  # imports and mounts the rails: every handler is registered
    done = 0
    while max_jobs is None or done < max_jobs:
        ran = 0
        with store.tx() as tx:
            queue: list[Job] = []  # due jobs read ahead, next one last
            seen = -1
            while ran < batch and (max_jobs is None or done < max_jobs):
                if not queue or tx.jobs_scheduled != seen:
                    # (Re)read the next due jobs in one query; again whenever a job scheduled
                    # another, which may be due before the ones already read.
                    seen = tx.jobs_scheduled
                    want = batch - ran if max_jobs is None else min(batch - ran, max_jobs - done)
                    queue = [
                        Job(*row)
                        for row in tx.all(
                            "SELECT id, due_ms, kind, ref_id, account FROM jobs"
                            " WHERE due_ms<=? ORDER BY due_ms, id LIMIT ?",
                            (now_ms, want),
                        )
                    ]
                    queue.reverse()
                    if not queue:
                        break
                job = queue.pop()
                tx.execute("SAVEPOINT job")
                try:
                    handler = JOB_HANDLERS.get(job.kind)
                    if handler is None:
                        log.warning("no handler for job kind %s", job.kind)
                    else:
                        handler(tx, job)
                except Exception:
                    log.exception("job %s failed; dropped", job)
                    tx.execute("ROLLBACK TO job")
                tx.execute("RELEASE job")
                tx.execute("DELETE FROM jobs WHERE id=?", (job.id,))
                ran += 1
                done += 1
        if ran < batch:
            return done
    return done


def next_due_ms(store: Store) -> int | None:
    row = store.one("SELECT MIN(due_ms) FROM jobs")
    return row[0] if row else None
