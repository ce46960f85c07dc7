"""Numbers a call site forgot to mask are masked by the log formatter itself, in the text and
the JSON format, in the message and in the traceback; Asterisk uniqueids, dates and short
figures stay readable (the log audit of `make test` failed on exactly such a message)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from hotline.core.logs import configure_logging
from hotline.settings import LogSettings

PHONE = "79131234567"
ACCOUNT = "240000123456"
log = logging.getLogger("hotline.test_message_masking")


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level


def _log_everything() -> None:
    log.warning("not an AGI header line: 'agi_callerid: %s' account %s", PHONE, ACCOUNT)
    try:
        raise ValueError(f"dial string PJSIP/+{PHONE}@carrier refused")
    except ValueError:
        log.exception("originate failed for call 1764761234.56 at 2026-12-03, 300 s, 45 rub")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_unmasked_numbers_in_messages_and_tracebacks_are_masked(
    log_format: str, capsys: pytest.CaptureFixture[str], restore_root: None
) -> None:
    configure_logging(LogSettings(format=log_format))
    _log_everything()
    written = capsys.readouterr().err
    assert PHONE not in written
    assert ACCOUNT not in written
    assert "791******67" in written
    assert "+791******67@carrier" in written
    # What is not personal stays as it was.
    for kept in ("1764761234.56", "2026-12-03", "300 s", "45 rub"):
        assert kept in written
    if log_format == "json":
        records = [json.loads(line) for line in written.splitlines()]
        assert [record["level"] for record in records] == ["WARNING", "ERROR"]
        assert "ValueError" in str(records[1]["exc"])
