"""Structured logging with the call's uniqueid on every line and personal data masked."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.settings import LogSettings

# The Asterisk uniqueid of the call being served by the current task (FastAGI session).
call_uniqueid: contextvars.ContextVar[str] = contextvars.ContextVar("call_uniqueid", default="-")


def mask_account(number: str | None) -> str:
    """Account numbers show only their last four digits."""
    if not number:
        return "-"
    return "*" * max(len(number) - 4, 0) + number[-4:]


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of the record (test runners and
    embedding applications swap it), never to a stream that has since been closed."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _CallContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.uniqueid = call_uniqueid.get()
        return True


class _AccessLogFilter(logging.Filter):
    """uvicorn's access log without query strings: they carry phones and account numbers
    (``/recordings?caller=...``).  uvicorn's record args are (client, method, path with query,
    HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) >= 3:
            path = args[2]
            if isinstance(path, str) and "?" in path:
                record.args = (*args[:2], path.split("?", 1)[0] + "?…", *args[3:])
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "uniqueid": getattr(record, "uniqueid", "-"),
            "msg": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(settings: LogSettings) -> None:
    # Our formats never show the pid, thread or process name; skip the syscalls per record.
    logging.logProcesses = False
    logging.logThreads = False
    logging.logMultiprocessing = False
    handler = _StderrHandler(sys.stderr)
    handler.addFilter(_CallContextFilter())
    handler.addFilter(_AccessLogFilter())
    if settings.format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s [%(uniqueid)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    # panoramisk logs every reconnect attempt at ERROR with a traceback; ours says it better.
    logging.getLogger("panoramisk").setLevel(logging.CRITICAL)
