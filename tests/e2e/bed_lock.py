"""One test bed at a time on this machine.  The beds (``hotline cluster up`` in a test: two
Asterisk nodes on 127.0.0.2 and 127.0.0.3, Kamailio, two workers) share those addresses and, six
processes each, the two cores: with two or three at once, callers' failovers and node takeovers
missed their windows.  An ``xdist_group`` cannot keep them on one worker: with pytest 9,
pytest-xdist's ``loadgroup`` no longer groups (a module of three marked tests ran on three
workers), so the beds wait for each other on a file lock instead."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from hotline.sandbox.lock import exclusive

LOCK: Final = Path(tempfile.gettempdir()) / "hotline-test-bed.lock"
# The longest a bed waits for the others (each runs about a minute and a half).
WAIT_SECONDS: Final = 900.0


@contextmanager
def one_bed_at_a_time() -> Iterator[None]:
    with exclusive(LOCK, WAIT_SECONDS):
        yield
