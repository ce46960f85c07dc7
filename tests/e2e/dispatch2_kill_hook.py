"""``python -m tests.e2e.dispatch2_kill_hook N ARGS...``: ``hotline ARGS...`` that kills itself
(SIGKILL, nothing cleaned up) the moment its dispatcher has committed its N-th batch of
attempts, before any of that batch's Originates goes out: the window of a worker killed
inside a tick, made deterministic (tests/e2e/test_dispatch2_killed_in_batch.py)."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from dialer.repository.attempts import Attempts


def _install(batch: int) -> None:
    original = Attempts.begin_many
    begun = 0

    async def begin_many(self: Attempts, *args: Any, **kwargs: Any) -> Any:
        nonlocal begun
        records = await original(self, *args, **kwargs)  # committed on return
        if records:
            begun += 1
            if begun == batch:
                os.kill(os.getpid(), signal.SIGKILL)
        return records

    Attempts.begin_many = begin_many  # type: ignore[method-assign]


if __name__ == "__main__":
    _install(int(sys.argv[1]))
    sys.argv = ["hotline", *sys.argv[2:]]
    from hotline.cli.main import main

    main()
