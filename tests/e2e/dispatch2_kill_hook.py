"""``python -m tests.e2e.dispatch2_kill_hook N[:after] ARGS...``: ``hotline ARGS...`` that kills
itself (SIGKILL, nothing cleaned up) the moment its dispatcher is about to mark the first
attempt of its N-th committed batch (or of the first batch after it that it marks) as sent,
before any of that batch's Originates goes out: the window of a worker killed inside a tick,
made deterministic (tests/e2e/test_dispatch2_killed_in_batch.py).  The moment is the mark, not
the batch's commit: the batch after is written while the one before is still being sent
(issue 19 item 6), so at its commit the one before may not be out.  With ``:after`` it dies
once that mark is committed, before its Originate: an attempt marked sent that Asterisk never
saw."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from dialer.repository.attempts import Attempts


def _install(batch: int, after_the_mark: bool) -> None:
    begin_many, mark_sent = Attempts.begin_many, Attempts.mark_sent
    begun = 0
    doomed: set[str] = set()  # the N-th batch's attempts

    async def begin(self: Attempts, *args: Any, **kwargs: Any) -> Any:
        nonlocal begun
        records = await begin_many(self, *args, **kwargs)  # committed on return
        if records:
            begun += 1
            # From the N-th batch on: a batch withdrawn unmarked (the worker's heartbeat late,
            # its lease lost) leaves the kill to the next one.
            if begun >= batch:
                doomed.update(record.id for record in records)
        return records

    async def mark(self: Attempts, attempt_id: str) -> bool:
        if attempt_id in doomed and not after_the_mark:
            os.kill(os.getpid(), signal.SIGKILL)
        marked = await mark_sent(self, attempt_id)  # committed on return
        if attempt_id in doomed:
            os.kill(os.getpid(), signal.SIGKILL)
        return marked

    Attempts.begin_many = begin  # type: ignore[method-assign]
    Attempts.mark_sent = mark  # type: ignore[method-assign]


if __name__ == "__main__":
    batch, _, when = sys.argv[1].partition(":")
    _install(int(batch), when == "after")
    sys.argv = ["hotline", *sys.argv[2:]]
    from hotline.cli.main import main

    main()
