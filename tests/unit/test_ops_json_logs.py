"""JSON log lines (issue 24, item 6): `log.format = "json"` writes one object per line with
time, level, logger, message, the call id where one is known and the record's extra fields,
phone and account numbers masked as in the text format; `log.file` also writes them to a
file that logrotate may move away."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from hotline.core.logs import call_uniqueid, configure_logging
from hotline.core.phones import mask_phone
from hotline.settings import LogSettings, SettingsError, load_settings

PHONE = "+79131234567"
ACCOUNT = "240000123456"
UNIQUEID = "1764761234.56"
log = logging.getLogger("ivr.test_ops")


class Captured:
    """What the handlers wrote to stderr (pytest's capture: the handler writes to whatever
    sys.stderr is at the time of the record)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._seen = ""

    def getvalue(self) -> str:
        self._seen += self._capsys.readouterr().err
        return self._seen


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Captured]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield Captured(capsys)
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level


def _lines(buffer: Captured) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_one_object_per_line_with_the_call_id_and_personal_data_masked(
    stderr: Captured,
) -> None:
    configure_logging(LogSettings(format="json"))
    token = call_uniqueid.set(UNIQUEID)
    try:
        log.info("call start: caller=%s", mask_phone(PHONE))
        log.warning("reading refused", extra={"caller": PHONE, "account": ACCOUNT, "zone": 2})
    finally:
        call_uniqueid.reset(token)
    start, refused = _lines(stderr)
    assert start["message"] == "call start: caller=+791******67"
    assert start["level"] == "INFO" and start["logger"] == "ivr.test_ops"
    assert start["call_id"] == UNIQUEID and refused["call_id"] == UNIQUEID
    assert datetime.fromisoformat(str(start["time"])).utcoffset() is not None
    assert refused["caller"] == "+791******67"
    assert refused["account"] == "240*******56"
    assert refused["zone"] == 2
    text = stderr.getvalue()
    assert PHONE not in text and PHONE[1:] not in text and ACCOUNT not in text


def test_outside_a_call_there_is_no_call_id_and_a_traceback_stays_on_its_line(
    stderr: Captured,
) -> None:
    configure_logging(LogSettings(format="json"))
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed for %s", mask_phone(PHONE))
    (line,) = _lines(stderr)
    assert "call_id" not in line
    assert "RuntimeError: boom" in str(line["exc"])
    assert line["message"] == "failed for +791******67"


def test_text_stays_the_default_format(stderr: Captured) -> None:
    configure_logging(LogSettings())
    log.info("hello")
    assert stderr.getvalue().rstrip().endswith("ivr.test_ops [-] hello")


def test_log_file_is_reopened_after_logrotate_moves_it(stderr: Captured, tmp_path: Path) -> None:
    target = tmp_path / "engine.log"
    configure_logging(LogSettings(format="json", file=target))
    log.info("first")
    target.rename(tmp_path / "engine.log.1")
    log.info("second")
    assert json.loads(target.read_text(encoding="utf-8"))["message"] == "second"
    assert "first" in (tmp_path / "engine.log.1").read_text(encoding="utf-8")
    assert len(_lines(stderr)) == 2


def test_log_format_setting() -> None:
    assert load_settings(overrides={"log": {"format": "json"}}, environ={}).log.format == "json"
    # The earlier switch still works.
    assert load_settings(overrides={"log": {"json_format": "true"}}, environ={}).log.format == (
        "json"
    )
    with pytest.raises(SettingsError, match=r"log\.format"):
        load_settings(overrides={"log": {"format": "yaml"}}, environ={})
