"""The engine's log lines written by a thread of their own (hotline/core/log_writer.py, issue
19 item 2): in order, a batch at a time, never lost at a clean stop, a warning without the
batch's wait, a file reopened after logrotate moved it, and one refusing destination not
stopping the other."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hotline.core.log_writer import BackgroundHandler, FileDestination, LineWriter
from hotline.core.logs import configure_logging, log_line
from hotline.core.masking import mask_phone
from hotline.settings import LogSettings

WAIT_SECONDS = 10.0  # upper bound for the writer thread to get a batch out (shared machines)


class Sink:
    def __init__(self) -> None:
        self.batches: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, text: str) -> None:
        self.batches.append(text)
        self.threads.add(threading.current_thread().name)

    @property
    def lines(self) -> list[str]:
        return "".join(self.batches).splitlines()


def wait_until(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():
        assert time.monotonic() < deadline, "the writer thread wrote nothing"
        time.sleep(0.01)


@pytest.fixture
def writers() -> Iterator[list[LineWriter]]:
    made: list[LineWriter] = []
    yield made
    for writer in made:
        writer.close()


def test_lines_come_out_in_order_a_batch_at_a_time_from_the_writer_thread(
    writers: list[LineWriter],
) -> None:
    sink = Sink()
    writer = LineWriter([sink], linger=1.0, max_waiting=10_000)
    writers.append(writer)
    for n in range(1000):
        writer.put(f"line {n}\n")
    wait_until(lambda: len(sink.lines) == 1000)
    assert sink.lines == [f"line {n}" for n in range(1000)]
    # One write per batch, not per line: the 1000 lines came within one linger.
    assert len(sink.batches) <= 3
    assert sink.threads == {"log-writer"}


def test_a_line_waits_for_its_batch_but_a_warning_does_not(writers: list[LineWriter]) -> None:
    sink = Sink()
    writer = LineWriter([sink], linger=60.0, max_waiting=1000)
    writers.append(writer)
    writer.put("info\n")
    time.sleep(0.3)
    assert sink.lines == []  # lingering for more lines
    writer.put("warning\n", urgent=True)
    wait_until(lambda: len(sink.lines) == 2)
    assert sink.lines == ["info", "warning"]


def test_flush_and_close_write_what_is_queued_and_later_lines_are_written_at_once(
    writers: list[LineWriter],
) -> None:
    sink = Sink()
    writer = LineWriter([sink], linger=60.0, max_waiting=1000)
    writer.put("one\n")
    writer.flush()
    assert sink.lines == ["one"]
    writer.put("two\n")
    writer.close()
    assert sink.lines == ["one", "two"]
    writer.put("three\n")
    assert sink.lines == ["one", "two", "three"]
    assert not writer._thread.is_alive()


def test_a_refusing_destination_does_not_stop_the_other(
    writers: list[LineWriter], capsys: pytest.CaptureFixture[str]
) -> None:
    def full_disk(text: str) -> None:
        raise OSError(28, "No space left on device")

    sink = Sink()
    writer = LineWriter([full_disk, sink], linger=0.01, max_waiting=1000)
    writers.append(writer)
    writer.put("kept\n")
    writer.flush()
    writer.put("kept too\n")
    writer.flush()
    assert sink.lines == ["kept", "kept too"]
    assert writer.failures == 2


def test_the_file_is_reopened_when_logrotate_moved_it(tmp_path: Path) -> None:
    target = tmp_path / "engine.log"
    file = FileDestination(target)
    file("first\n")
    target.rename(tmp_path / "engine.log.1")
    file("second\n")
    file.close()
    assert (tmp_path / "engine.log.1").read_text(encoding="utf-8") == "first\n"
    assert target.read_text(encoding="utf-8") == "second\n"


@pytest.fixture
def root_handlers() -> Iterator[None]:
    root = logging.getLogger()
    kept, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in kept:
            handler.close()
    root.handlers[:] = kept
    root.setLevel(level)


def test_the_engines_lines_reach_stderr_and_its_file_as_the_plain_handlers_write_them(
    root_handlers: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "engine.log"
    configure_logging(
        LogSettings(level="INFO", file=target, batch_seconds=0.2, max_waiting_lines=500),
        background=True,
    )
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, BackgroundHandler)
    assert (handler.writer._linger, handler.writer._max_waiting) == (0.2, 500)
    log = logging.getLogger("hotline.test")
    log.info("call from %s", "79131234567")
    log_line(log, logging.INFO, "call end: done caller=79131234567")  # the FastAGI fast path
    handler.flush()
    written = capsys.readouterr().err.splitlines()
    masked = mask_phone("79131234567")
    assert [line.split(" [-] ")[1] for line in written] == [
        f"call from {masked}",
        f"call end: done caller={masked}",
    ]
    assert all(" INFO    hotline.test " in line for line in written)
    # Configured again (as tests and `hotline run` do): the old writer's lines are out first.
    log.info("last")
    configure_logging(LogSettings(level="INFO", file=target))
    assert target.read_text(encoding="utf-8").splitlines()[-1].endswith("last")
    assert not handler.writer._thread.is_alive()


def test_a_blocked_destination_does_not_grow_memory_without_end(
    writers: list[LineWriter],
) -> None:
    released = threading.Event()
    sink = Sink()

    def stalled(text: str) -> None:  # journald not reading
        released.wait(WAIT_SECONDS)
        sink(text)

    writer = LineWriter([stalled], linger=0.0, max_waiting=3)
    writers.append(writer)
    writer.put("in the stalled batch\n")
    wait_until(lambda: writer._writing.locked())
    for n in range(10):
        writer.put(f"line {n}\n")
    assert writer.dropped == 7
    released.set()
    writer.flush()
    assert sink.lines == [
        "in the stalled batch",
        "line 0",
        "line 1",
        "line 2",
        "--- hotline logging: 7 line(s) dropped: 3 were waiting to be written",
    ]


def test_hotline_run_writes_its_lines_in_the_background_and_leaves_logging_as_it_found_it(
    root_handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from hotline.cli import engine_cmd
    from hotline.cli.main import app

    seen: list[type[logging.Handler]] = []

    class _Engine:
        def __init__(self, settings: object) -> None:
            pass

        async def run_until_signalled(self) -> None:
            seen.extend(type(h) for h in logging.getLogger().handlers)
            logging.getLogger("hotline.test").warning("engine running")

    monkeypatch.setattr(engine_cmd, "Engine", _Engine)
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 0, result.output
    assert seen == [BackgroundHandler]
    assert "engine running" in result.stderr
    assert not any(isinstance(h, BackgroundHandler) for h in logging.getLogger().handlers)
