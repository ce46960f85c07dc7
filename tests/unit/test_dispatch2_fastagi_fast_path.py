"""FastAGI per-session work cut (issue 19 item 2) without losing strictness: log records skip
the caller's stack walk, masking skips lines with no nine-digit run and still masks exactly
what it did, and a peer's verdict is worked out once.  (The session metrics are plain counts
since, see tests/unit/test_agi2_fastagi_floor.py.)"""

from __future__ import annotations

import logging
import random
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from hotline.core import logs
from hotline.core.logs import MaskingTextFormatter, configure_logging, mask_numbers
from hotline.core.masking import mask_phone
from hotline.settings import FastAgiSettings, LogSettings
from hotline.transport import fastagi
from hotline.transport.fastagi import AgiRoutes, FastAgiServer

# The masking as it was: the whole pattern over the whole text.
_FULL: re.Pattern[str] = logs._PERSONAL_NUMBER


def _old_mask(text: str) -> str:
    return _FULL.sub(lambda found: mask_phone(found.group()), text)


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, srcfile = root.handlers[:], root.level, logging._srcfile
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging._srcfile = srcfile


def test_masking_is_unchanged_over_generated_text() -> None:
    rng = random.Random(19)
    alphabet = "0123456789" * 4 + "+.-() abc:/@;"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert mask_numbers(text) == _old_mask(text), text
    for text in ("+79131234567", "call 89131234567 ok", "1700000000.123", "123456789"):
        assert mask_numbers(text) == _old_mask(text)


def test_text_lines_mask_message_and_traceback_as_before() -> None:
    formatter = MaskingTextFormatter(logs.TEXT_FORMAT)
    try:
        raise ValueError("no route for 79131234567")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "hotline.transport.fastagi", logging.WARNING, "", 0, "caller %s", ("+79131234567",), None
    )
    record.uniqueid = "1700000000.123"
    failed = logging.LogRecord("x", logging.ERROR, "", 0, "failed", (), exc_info)
    failed.uniqueid = "-"
    for item in (record, failed):
        line = formatter.format(item)
        assert "1234567" not in line
        assert line == _old_mask(logging.Formatter(logs.TEXT_FORMAT).format(item))


def test_records_skip_the_callers_stack_walk(root_logging: None) -> None:
    configure_logging(LogSettings(level="INFO"))
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    logging.getLogger().addHandler(Keep())
    logging.getLogger("hotline.test").info("call start: caller=%s", "+79131234567")
    assert seen and seen[0].lineno == 0  # findCaller was not run
    assert seen[0].getMessage() == "call start: caller=+79131234567"


class _Writer:
    def __init__(self, host: str) -> None:
        self.host = host

    def get_extra_info(self, name: str) -> Any:
        return (self.host, 40000) if name == "peername" else None


async def test_a_peers_verdict_is_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FastAgiServer(FastAgiSettings(host="127.0.0.1", port=0), AgiRoutes())
    await server.start()
    try:
        calls: list[str] = []
        original = server._peer_refusal

        def counting(host: str) -> str | None:
            calls.append(host)
            return original(host)

        monkeypatch.setattr(server, "_peer_refusal", counting)
        for _ in range(3):
            assert server._refusal(_Writer("127.0.0.1")) is None  # type: ignore[arg-type]
            assert server._refusal(_Writer("10.9.8.7")) == "not in fastagi.allowed_peers"  # type: ignore[arg-type]
        assert calls == ["127.0.0.1", "10.9.8.7"]
        # Bounded: many strangers make it start over, never grow past the bound.
        for index in range(fastagi._PEER_CACHE_SIZE + 5):
            server._refusal(_Writer(f"10.1.{index // 256}.{index % 256}"))  # type: ignore[arg-type]
        assert len(server._peer_allowed) <= fastagi._PEER_CACHE_SIZE
    finally:
        await server.stop()
