"""Structured logging with the call's uniqueid on every line and personal data masked."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from logging.handlers import WatchedFileHandler
from typing import TYPE_CHECKING, Any, Final

from hotline.core.log_writer import BackgroundHandler, FileDestination, LineWriter, to_stderr
from hotline.core.masking import has_nine_digits, mask_phone

if TYPE_CHECKING:
    from hotline.settings import LogSettings

# The Asterisk uniqueid of the call being served by the current task (FastAGI session).
NO_CALL: Final = "-"
call_uniqueid: contextvars.ContextVar[str] = contextvars.ContextVar(
    "call_uniqueid", default=NO_CALL
)


def mask_account(number: str | None) -> str:
    """Account numbers show only their last four digits."""
    if not number:
        return "-"
    return "*" * max(len(number) - 4, 0) + number[-4:]


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of the record (test runners and
    embedding applications swap it), never to a stream that has since been closed."""

    def handle(self, record: logging.LogRecord) -> bool:
        # Handler.handle() without its Python-level filter, acquire and release calls when
        # there is no filter (configure_logging adds none): the lock taken as a context.
        if self.filters and not self.filter(record):
            return False
        with self.lock:  # type: ignore[union-attr]  # createLock() made it in __init__
            self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        # StreamHandler.emit() flattened (issue 19 item 2, two lines per FastAGI call): its
        # flush() takes the handler's lock again, which handle() already holds.
        try:
            formatter = self.formatter
            text = (
                formatter.format(record) if formatter else self.format(record)
            ) + self.terminator
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
            return
        self._write(text, record)

    def write_line(self, text: str, urgent: bool = False) -> None:
        """A line :func:`log_line` joined (with its line end), written as ``emit`` writes a
        record's (at once, urgent or not)."""
        with self.lock:  # type: ignore[union-attr]
            self._write(text, None)

    def _write(self, text: str, record: logging.LogRecord | None) -> None:
        try:
            self.stream = stream = sys.stderr
            stream.write(text)
            stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record or logging.makeLogRecord({"msg": text}))


class _RecordFilter(logging.Filter):
    """One filter for both jobs (one call per record, issue 19 item 2): the call's uniqueid on
    every record, and uvicorn's access log without query strings, which carry phones and
    account numbers (``/recordings?caller=...``).  uvicorn's record args are (client, method,
    path with query, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.uniqueid = call_uniqueid.get()
        if record.name == "uvicorn.access":
            _strip_query(record)
        return True


def _strip_query(record: logging.LogRecord) -> None:
    """uvicorn's access log without query strings, which carry phones and account numbers
    (``/recordings?caller=...``).  Its record args are (client, method, path with query,
    HTTP version, status)."""
    args = record.args
    if isinstance(args, tuple) and len(args) >= 3:
        path = args[2]
        if isinstance(path, str) and "?" in path:
            record.args = (*args[:2], path.split("?", 1)[0] + "?…", *args[3:])


_STAMP: Final = _RecordFilter()
# What Logger._log passes as the source file once configure_logging turns findCaller off.
_NO_SOURCE: Final = "(unknown file)"
_START_TIME: Final[float] = getattr(logging, "_startTime", 0.0)
# The attributes set below are Python 3.11's (3.12 adds taskName): elsewhere, the stdlib's own.
_LEAN_RECORDS: Final = sys.version_info[:2] == (3, 11)


class CallRecord(logging.LogRecord):
    """The record factory configure_logging installs: the call's uniqueid stamped once per
    record (not once per handler, as a filter would), uvicorn's access-log queries stripped,
    and, in the usual case (no source lookup, no thread or process fields, the settings
    configure_logging makes), the stdlib's attributes set without its two path functions
    and level lookup per record (issue 19 item 2: an INFO line per FastAGI call).  The
    attributes are the stdlib's; ``tests/unit/test_agi2_fastagi_floor.py`` compares them."""

    def __init__(
        self,
        name: str,
        level: int,
        pathname: str,
        lineno: int,
        msg: object,
        args: Any,
        exc_info: Any,
        func: str | None = None,
        sinfo: str | None = None,
        **kwargs: Any,
    ) -> None:
        if (
            pathname != _NO_SOURCE
            or not _LEAN_RECORDS
            or logging.logThreads
            or logging.logProcesses
            or logging.logMultiprocessing
            or (args and len(args) == 1 and isinstance(args[0], Mapping) and args[0])
        ):
            super().__init__(name, level, pathname, lineno, msg, args, exc_info, func, sinfo)
        else:
            ct = time.time()
            self.name = name
            self.msg = msg
            self.args = args
            self.levelname = _LEVEL_NAMES.get(level) or logging.getLevelName(level)
            self.levelno = level
            self.pathname = self.filename = self.module = pathname  # no "/" and no "."
            self.exc_info = exc_info
            self.exc_text = None
            self.stack_info = sinfo
            self.lineno = lineno
            self.funcName = func  # type: ignore[assignment]  # as the stdlib stores it
            self.created = ct
            self.msecs = int((ct - int(ct)) * 1000) + 0.0
            self.relativeCreated = (ct - _START_TIME) * 1000
            self.thread = self.threadName = self.processName = self.process = None
        self.uniqueid = call_uniqueid.get()
        if name == "uvicorn.access":
            _strip_query(self)


_LEVEL_NAMES: Final = {
    level: logging.getLevelName(level)
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)
}


# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_FIELDS: Final = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", (), None).__dict__
) | {"message", "asctime", "uniqueid", "taskName"}
# Digit runs that can be a phone or an account number (not an Asterisk uniqueid such as
# 1764761234.56, nor a date or an amount).
_PERSONAL_NUMBER: Final = re.compile(r"(?<![\d.])\+?\d{9,15}(?![\d.])")


def mask_numbers(text: str) -> str:
    """``text`` with every digit run that can be a phone or an account number masked."""
    # Nine digits in a row: what every match of _PERSONAL_NUMBER holds.  Most lines have
    # none, and this test is several times cheaper than the masking pass (issue 19 item 2).
    if not has_nine_digits(text):
        return text
    return _PERSONAL_NUMBER.sub(lambda found: mask_phone(found.group()), text)


def _masked(value: object) -> object:
    """An extra field's value with phone and account numbers masked (``791******67``): call
    sites mask what they format into the message, this covers what they pass as fields."""
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, bool | float | type(None)):
        return value
    if isinstance(value, int):
        return _masked(str(value)) if len(str(abs(value))) >= 9 else value
    if isinstance(value, dict):
        return {str(key): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(item) for item in value]
    return _masked(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the call's
    Asterisk uniqueid as ``call_id`` where one is known, the record's extra fields (phone
    and account numbers masked) and the traceback as ``exc``.  The message and the traceback
    are masked too: a call site that forgets to mask what it formats in leaks nothing."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_numbers(record.getMessage()),
        }
        call_id = getattr(record, "uniqueid", NO_CALL)
        if call_id != NO_CALL:
            payload["call_id"] = call_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in payload:
                payload[key] = _masked(value)
        if record.exc_info:
            payload["exc"] = mask_numbers(self.formatException(record.exc_info))
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


TEXT_FORMAT: Final = "%(asctime)s %(levelname)-7s %(name)s [%(uniqueid)s] %(message)s"
# What "%-7s" makes of the standard level names, and ",%03d" of the milliseconds: looked up
# rather than formatted per line.
_PADDED_LEVELS: Final = {name: f"{name:<7}" for name in _LEVEL_NAMES.values()}
_MSECS: Final = tuple(f",{ms:03d}" for ms in range(1000))


class MaskingTextFormatter(logging.Formatter):
    """The text format with every phone- or account-length digit run masked, message and
    traceback alike: call sites mask what they know is personal, this catches the rest
    (a garbage header line quoting a caller ID, an exception carrying a dial string)."""

    def __init__(self, fmt: str = TEXT_FORMAT, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        # Per record, logging searches the format for "%(asctime)" and formats the time with
        # localtime() and strftime(); both are worked out once (issue 19 item 2): the search
        # here, the time text once per second (one tuple, swapped whole: two handlers may
        # share this formatter, each under its own lock).
        self._uses_time = self._style.usesTime()
        self._second: tuple[int, str] = (-1, "")
        # The usual case, formatted in format() itself: a %-style format with no defaults
        # and the default time format (the stdlib's format, usesTime, formatTime,
        # formatMessage and the style object are a Python call each, per record).
        self._flat = (
            type(self._style) is logging.PercentStyle
            and not getattr(self._style, "_defaults", None)
            and datefmt is None
        )
        # TEXT_FORMAT itself, the one the engine runs with: the line joined from its parts
        # (the "%(name)s" mapping format and the "-7" padding cost a third of a line's
        # formatting, issue 19 item 2).
        self._text = self._flat and fmt == TEXT_FORMAT

    def usesTime(self) -> bool:
        return self._uses_time

    def format(self, record: logging.LogRecord) -> str:
        if "uniqueid" not in record.__dict__:  # a record not made by CallRecord
            _STAMP.filter(record)
        if not self._flat or record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        record.message = message = mask_numbers(record.getMessage())
        level = _PADDED_LEVELS.get(record.levelname) if self._text else None
        if level is not None:  # TEXT_FORMAT, as "%" formats it
            record.asctime = asctime = self.formatTime(record)
            return f"{asctime} {level} {record.name} [{record.__dict__['uniqueid']}] {message}"
        if self._uses_time:
            record.asctime = self.formatTime(record)
        try:
            return self._fmt % record.__dict__  # type: ignore[operator]
        except KeyError as exc:  # as PercentStyle.format() reports it
            raise ValueError(f"Formatting field not found in record: {exc}") from None

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt or self.datefmt:
            return super().formatTime(record, datefmt)
        return self._time_text(record.created, int(record.msecs))

    def _time_text(self, created: float, ms: int) -> str:
        second = int(created)
        cached, text = self._second
        if cached != second:
            text = time.strftime(self.default_time_format, self.converter(created))
            self._second = (second, text)
        # The default_msec_format, "%s,%03d".
        return text + (_MSECS[ms] if 0 <= ms < 1000 else f",{ms:03d}")

    def text_line(self, name: str, level: int, message: str) -> str | None:
        """The line ``format`` makes of a record of ``name`` at ``level`` with this
        ``message`` (no arguments, no traceback), stamped now with the call's uniqueid; None
        when this formatter is not the engine's TEXT_FORMAT one."""
        padded = _PADDED_LEVELS.get(_LEVEL_NAMES.get(level, "")) if self._text else None
        if padded is None:
            return None
        created = time.time()
        # As CallRecord sets msecs (the stdlib's arithmetic).
        asctime = self._time_text(created, int((created - int(created)) * 1000))
        return f"{asctime} {padded} {name} [{call_uniqueid.get()}] {mask_numbers(message)}"

    # The message, the traceback and the stack are masked; the rest of the line is ours (time,
    # level, logger name, the call's uniqueid), never a phone, and is not scanned again.
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = mask_numbers(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return mask_numbers(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return mask_numbers(super().formatStack(stack_info))


def log_line(logger: logging.Logger, level: int, message: str) -> None:
    """``logger.log(level, "%s", message)``, written without a LogRecord when its only way
    out is the stderr handler (or the background writer) ``configure_logging`` installs with
    the text format: the line is the one that handler would write, masked the same, for half
    the CPU (issue 19 item 2: the one INFO line of every FastAGI call was 7 % of a session's).
    Any other set-up (a second handler, a filter, the JSON format, a log file written by the
    thread that logs, a test's capture) gets the record through ``logging`` as before."""
    if not logger.isEnabledFor(level):
        return
    sole = _sole_stderr_handler(logger, level)
    line = None if sole is None else sole[1].text_line(logger.name, level, message)
    if sole is None or line is None:
        logger.log(level, "%s", message)
    else:
        sole[0].write_line(line + "\n", urgent=level >= logging.WARNING)


def _sole_stderr_handler(
    logger: logging.Logger, level: int
) -> tuple[_StderrHandler | BackgroundHandler, MaskingTextFormatter] | None:
    """The handler a record of ``logger`` at ``level`` would reach, and its formatter, when
    it is the only handler on the way and configure_logging's own (stderr, or the background
    writer's), unfiltered; else None."""
    if logger.filters or logger.disabled or logging.getLogRecordFactory() is not CallRecord:
        return None
    found: logging.Handler | None = None
    node: logging.Logger | None = logger
    while node is not None:
        for handler in node.handlers:
            if found is not None:
                return None
            found = handler
        node = node.parent if node.propagate else None
    if not (isinstance(found, _OWN_HANDLERS) and type(found) in _OWN_HANDLERS):
        return None  # exactly ours: a subclass may write elsewhere
    if found.filters or level < found.level:
        return None
    formatter = found.formatter
    if type(formatter) is not MaskingTextFormatter:
        return None
    return found, formatter


# The handlers configure_logging installs that log_line may write to directly.
_OWN_HANDLERS: Final = (_StderrHandler, BackgroundHandler)


def configure_logging(settings: LogSettings, *, background: bool = False) -> None:
    """The root logger's handlers: stderr and ``settings.file``, written on the thread that
    logs, or with ``background`` (``hotline run``: the event loop logs) by a writer thread
    a batch at a time (:mod:`hotline.core.log_writer`)."""
    # Our formats never show the pid, thread or process name; skip the syscalls per record.
    logging.logProcesses = False
    logging.logThreads = False
    logging.logMultiprocessing = False
    # Nor the caller's file, line or function: skip findCaller's stack walk per record (the
    # logging HOWTO's "Optimization"; issue 19 item 2, an INFO line per FastAGI call).
    logging._srcfile = None
    formatter = JsonFormatter() if settings.format == "json" else MaskingTextFormatter(TEXT_FORMAT)
    handlers: list[logging.Handler]
    if background:
        # The file is reopened when logrotate moves it away (deploy render's rule).
        file = None if settings.file is None else FileDestination(settings.file)
        writer = LineWriter(
            [to_stderr] if file is None else [to_stderr, file],
            linger=settings.batch_seconds,
            max_waiting=settings.max_waiting_lines,
            on_close=None if file is None else file.close,
        )
        handlers = [BackgroundHandler(writer)]
    else:
        handlers = [_StderrHandler(sys.stderr)]
        if settings.file is not None:
            # Reopened when logrotate moves the file away (deploy render's rule).
            handlers.append(WatchedFileHandler(settings.file, encoding="utf-8", delay=True))
    # The records carry the uniqueid (and uvicorn's are stripped) from their creation on:
    # no filter per handler.
    logging.setLogRecordFactory(CallRecord)
    for handler in handlers:
        handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, BackgroundHandler):  # its lines written, its thread stopped
            old.close()
    root.handlers[:] = handlers
    root.setLevel(settings.level)
    # panoramisk logs every reconnect attempt at ERROR with a traceback; ours says it better.
    logging.getLogger("panoramisk").setLevel(logging.CRITICAL)
