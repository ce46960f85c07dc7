"""The engine's log lines written by a thread of its own, a batch at a time.

A log handler writes on the thread that logs: for the engine that is the event loop, and a
write to a log file is blocking I/O (a file system busy with the database's fsyncs can hold
it for a long time), and with ``WatchedFileHandler`` a ``stat`` per line besides.  The FastAGI
server's one INFO line per call was also one ``write`` per call to stderr (issue 19 item 2).
So ``hotline run`` hands its lines to :class:`LineWriter`: the loop only formats a line and
appends it to a deque; the writer thread wakes once per batch, waits ``log.batch_seconds``
for more, and writes the batch with one ``write`` per destination.  This is the logging
cookbook's QueueHandler/QueueListener pattern, batched: the listener would write (and wake)
once per record.

A WARNING or worse cuts the wait short; ``flush()`` (``logging.shutdown`` at exit calls it)
writes what is waiting from the caller's thread.  A process killed outright loses at most
the last ``log.batch_seconds`` of lines; past ``log.max_waiting_lines`` waiting, new lines are
dropped and counted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import TextIO

Destination = Callable[[str], None]


def to_stderr(text: str) -> None:
    """Whatever ``sys.stderr`` is when the batch is written (test runners swap it)."""
    stream = sys.stderr
    if stream is not None:
        stream.write(text)
        stream.flush()


class FileDestination:
    """A log file, appended to and reopened when logrotate has moved it away (what
    ``WatchedFileHandler`` does per record, here one ``stat`` per batch).  Opened at the
    first batch; ``close()`` closes it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._stream: TextIO | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the open file

    def __call__(self, text: str) -> None:
        try:
            found = os.stat(self.path)
            identity: tuple[int, int] | None = (found.st_dev, found.st_ino)
        except FileNotFoundError:
            identity = None
        if self._stream is None or identity != self._identity:
            self.close()
            self._stream = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
            opened = os.fstat(self._stream.fileno())
            self._identity = (opened.st_dev, opened.st_ino)
        self._stream.write(text)
        self._stream.flush()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class LineWriter:
    """Lines from any thread, written in order by one thread, a batch at a time."""

    def __init__(
        self,
        destinations: Sequence[Destination],
        *,
        linger: float,
        max_waiting: int,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._destinations = tuple(destinations)
        self._on_close = on_close  # after the last batch: the destinations' files closed
        self._linger = linger  # a batch's window (log.batch_seconds)
        # Past it new lines are dropped and counted (log.max_waiting_lines); the count is
        # written once the destination takes lines again.
        self._max_waiting = max_waiting
        self._lines: deque[str] = deque()  # append and popleft are atomic: no lock to add
        self._wake = threading.Event()  # lines are waiting
        self._hurry = threading.Event()  # an urgent line: no lingering
        self._writing = threading.Lock()  # one batch written at a time, in order
        self._closed = False
        self.failures = 0  # batches a destination refused (reported once, on stderr)
        self.dropped = 0  # lines dropped while max_waiting lines waited
        self._dropped_told = 0
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def put(self, line: str, *, urgent: bool = False) -> None:
        """Queue ``line`` (with its line end); never blocks and never does I/O itself."""
        if self._closed:  # after close(): written at once, as a plain handler would
            self._lines.append(line)
            self._drain()
            return
        if len(self._lines) >= self._max_waiting:
            self.dropped += 1
            return
        self._lines.append(line)
        if urgent:
            self._hurry.set()
            self._wake.set()
        elif not self._wake.is_set():  # the batch's first line wakes the writer
            self._wake.set()

    def flush(self) -> None:
        """Write every line queued so far, from this thread."""
        self._drain()

    def close(self) -> None:
        """Write what is queued and stop the thread; later lines are written at once."""
        if self._closed:
            return
        self._closed = True
        self._hurry.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()
        if self._on_close is not None:
            self._on_close()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._hurry.wait(self._linger)
            # Cleared before the lines are taken: a line added after this wakes the next
            # round, one added before it is in this batch.
            self._wake.clear()
            self._hurry.clear()
            self._drain()

    def _take(self) -> list[str]:
        lines = []
        popleft = self._lines.popleft
        try:
            while True:
                lines.append(popleft())
        except IndexError:
            pass
        dropped = self.dropped
        if dropped != self._dropped_told:  # said where the gap is, after the lines before it
            lines.append(
                f"--- hotline logging: {dropped - self._dropped_told} line(s) dropped: "
                f"{self._max_waiting} were waiting to be written\n"
            )
            self._dropped_told = dropped
        return lines

    def _drain(self) -> None:
        # Taken and written under one lock: whoever drains (the thread, flush(), a line after
        # close()) writes its lines after those taken before them.
        with self._writing:
            lines = self._take()
            if not lines:
                return
            text = "".join(lines)
            for destination in self._destinations:
                try:
                    destination(text)
                except Exception as exc:  # a full disk must not stop the other destination
                    self.failures += 1
                    if self.failures == 1:
                        _report(f"log lines not written ({type(exc).__name__}: {exc})")


def _report(text: str) -> None:
    stream = sys.__stderr__
    if stream is not None:
        with contextlib.suppress(Exception):  # nowhere left to say it
            stream.write(f"--- hotline logging: {text}\n")


class BackgroundHandler(logging.Handler):
    """The root handler of ``hotline run`` (``configure_logging(background=True)``): each
    record formatted on the thread that logs it, written by a :class:`LineWriter`."""

    def __init__(self, writer: LineWriter) -> None:
        super().__init__()
        self.writer = writer

    def handle(self, record: logging.LogRecord) -> bool:
        # No lock: formatting touches only the record, and the writer's deque is thread-safe.
        if self.filters and not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
            return
        self.writer.put(line, urgent=record.levelno >= logging.WARNING)

    def write_line(self, text: str, urgent: bool = False) -> None:
        """A line :func:`hotline.core.logs.log_line` joined (with its line end)."""
        self.writer.put(text, urgent=urgent)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
        super().close()
