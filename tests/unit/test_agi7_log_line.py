"""FastAGI at the floor, seventh pass (issue 19 item 2): ``log_line`` writes the engine's
text line without a LogRecord when configure_logging's stderr handler is the only way out,
the same text as ``logging`` writes, masked the same; any other set-up goes through
``logging``."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from hotline.core.logs import call_uniqueid, configure_logging, log_line
from hotline.settings import LogSettings

STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
MESSAGE = "call end: done after 1.234 s: route=ivr caller=79131234567 channel=PJSIP/x-1"


class _Stderr:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def getvalue(self) -> str:
        return self._capsys.readouterr().err


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[_Stderr]:
    """What went to stderr (the handler writes to sys.stderr as it is at each line); the
    root logger's set-up and the record factory restored after."""
    root = logging.getLogger()
    handlers, level, srcfile = root.handlers[:], root.level, logging._srcfile
    factory = logging.getLogRecordFactory()
    flags = (logging.logThreads, logging.logProcesses, logging.logMultiprocessing)
    capsys.readouterr()
    try:
        yield _Stderr(capsys)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging._srcfile = srcfile
        logging.setLogRecordFactory(factory)
        logging.logThreads, logging.logProcesses, logging.logMultiprocessing = flags


@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING, logging.ERROR])
def test_the_direct_line_is_the_line_logging_writes(
    stderr: _Stderr, level: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_logging(LogSettings(level="INFO"))
    logger = logging.getLogger("hotline.transport.fastagi")
    made: list[logging.LogRecord] = []
    make = logger.makeRecord

    def counted(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made.append(make(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(logger, "makeRecord", counted)
    token = call_uniqueid.set("1700000000.77")
    try:
        logger.log(level, "%s", MESSAGE)
        log_line(logger, level, MESSAGE)
    finally:
        call_uniqueid.reset(token)
    assert len(made) == 1  # logging's; the direct line made none

    written = stderr.getvalue()
    through_logging, direct = written.splitlines()
    assert STAMP.match(direct), direct
    assert direct[24:] == through_logging[24:]
    assert "[1700000000.77]" in direct and "791******67" in direct
    assert "79131234567" not in written


def test_below_the_level_nothing_is_written(stderr: _Stderr) -> None:
    configure_logging(LogSettings(level="WARNING"))
    log_line(logging.getLogger("hotline.transport.fastagi"), logging.INFO, MESSAGE)
    assert stderr.getvalue() == ""


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_second_handler_on_the_way_gets_the_record(stderr: _Stderr) -> None:
    configure_logging(LogSettings(level="INFO"))
    capture = _Capture()
    logger = logging.getLogger("hotline.transport.fastagi")
    logging.getLogger("hotline").addHandler(capture)
    try:
        log_line(logger, logging.INFO, MESSAGE)
    finally:
        logging.getLogger("hotline").removeHandler(capture)
    assert capture.messages == [MESSAGE]
    (line,) = (
        stderr.getvalue().splitlines()
    )  # and the stderr handler wrote it, masked, through logging
    assert line.endswith(MESSAGE.replace("79131234567", "791******67"))


def test_a_filter_on_the_logger_is_applied(stderr: _Stderr) -> None:
    configure_logging(LogSettings(level="INFO"))
    logger = logging.getLogger("hotline.transport.fastagi")
    refuse = logging.Filter("somewhere.else")
    logger.addFilter(refuse)
    try:
        log_line(logger, logging.INFO, MESSAGE)
    finally:
        logger.removeFilter(refuse)
    assert stderr.getvalue() == ""


def test_the_json_format_goes_through_logging(stderr: _Stderr) -> None:
    configure_logging(LogSettings(level="INFO", format="json"))
    log_line(logging.getLogger("hotline.transport.fastagi"), logging.INFO, MESSAGE)
    payload = json.loads(stderr.getvalue())
    assert payload["logger"] == "hotline.transport.fastagi"
    assert payload["message"] == MESSAGE.replace("79131234567", "791******67")
