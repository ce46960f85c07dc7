"""The suite-wide log audit (issue 14, Done-when: no test phone or account number in clear in
any log written during the suite) finds what it must and fails the session."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.core.logs import mask_account
from hotline.core.phones import mask_channel, mask_phone
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.settings import load_settings
from tests import conftest, log_audit


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """Outside the session's temp folder: these fake logs are meant to hold clear numbers, and
    the session's own audit must not find them."""
    folder = Path(tempfile.mkdtemp(prefix="hotline-s14-audit-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def test_the_numbers_come_from_the_sample_data_and_the_fixtures() -> None:
    values = log_audit.sensitive_values()
    # samples/accounts.csv: "8 913 765-43-21" read the importer's way, and its accounts.
    assert {"79137654321", "9137654321", "100000000003", "79130000003"} <= values
    # The end-to-end accounts fixture.
    assert {"79131234567", "100000000001"} <= values


def _audit(tmp_path: Path, **folders: Path | None) -> list[log_audit.Finding]:
    kwargs: dict[str, Any] = {"asterisk_dir": None, "log_dir": None, "temp_dir": None}
    kwargs.update(folders)
    return log_audit.audit(log_audit.sensitive_values(), asterisk_offsets={}, **kwargs)


def test_a_clear_number_in_any_kind_of_log_is_found(tmp_path: Path) -> None:
    asterisk, logs, temp = tmp_path / "asterisk", tmp_path / "logs", tmp_path / "temp"
    for folder in (asterisk, logs, temp / "test_x0"):
        folder.mkdir(parents=True)
    (asterisk / "full").write_text("[x] NOTICE: call from '79131234567'\n")
    (logs / "engine-1.log").write_text("ok\nINFO call start account=100000000001\n")
    (temp / "test_x0" / "console.log").write_text("GET /calls?caller=+7 9137654321 x\n")
    (temp / "test_x0" / "accounts.csv").write_text("100000000001;79131234567\n")  # an input
    found = _audit(tmp_path, asterisk_dir=asterisk, log_dir=logs, temp_dir=temp)
    assert sorted((f.path.name, f.line_no, f.value) for f in found) == [
        ("console.log", 1, "9137654321"),
        ("engine-1.log", 2, "100000000001"),
        ("full", 1, "79131234567"),
    ]
    assert "79131234567" not in str(found[0]) + str(found[1]) + str(found[2])


def test_masked_numbers_and_what_came_before_the_session_are_not_hits(tmp_path: Path) -> None:
    asterisk, logs = tmp_path / "asterisk", tmp_path / "logs"
    asterisk.mkdir()
    logs.mkdir()
    old = "old line 79131234567\n"
    (asterisk / "full").write_text(old)
    offsets = log_audit.offsets(asterisk)
    with (asterisk / "full").open("a") as handle:
        handle.write("new line, nothing personal\n")
    (logs / "engine.log").write_text(
        f"{mask_phone('79131234567')} {mask_account('100000000001')} "
        f"{mask_channel('Local/79131234567@hotline-sim-caller-00000001;2')} 1791312345670\n"
    )
    found = log_audit.audit(
        log_audit.sensitive_values(),
        asterisk_dir=asterisk,
        asterisk_offsets=offsets,
        log_dir=logs,
        temp_dir=None,
    )
    assert found == []


def test_a_hit_fails_the_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "console.log").write_text("INFO GET /recordings?account=100000000002\n")
    monkeypatch.setenv(log_audit.LOG_DIR_ENV, str(logs))
    monkeypatch.setattr(log_audit, "asterisk_log_dir", lambda: tmp_path / "none")
    lines: list[str] = []
    reporter = SimpleNamespace(
        section=lambda *a, **k: lines.append(a[0]), write_line=lambda text: lines.append(text)
    )
    config = SimpleNamespace(
        stash={},
        _tmp_path_factory=SimpleNamespace(getbasetemp=lambda: tmp_path / "none"),
        pluginmanager=SimpleNamespace(get_plugin=lambda name: reporter),
    )
    session: Any = SimpleNamespace(config=config, exitstatus=pytest.ExitCode.OK)
    found = conftest.finish(session)
    assert [f.value for f in found] == ["100000000002"]
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    assert "console.log:1" in lines[-1] and "100000000002" not in lines[-1]

    (logs / "console.log").write_text("INFO GET /recordings?…\n")
    session.exitstatus = pytest.ExitCode.OK
    assert conftest.finish(session) == []
    assert session.exitstatus == pytest.ExitCode.OK


@pytest.mark.parametrize("sandbox", [False, True])
def test_asterisk_logs_no_verbose_lines_and_no_queue_log_in_the_sandbox_either(
    sandbox: bool,
) -> None:
    # The sandbox's verbose log and queue_log carried every simulated caller's number.
    files = render_configs(
        load_settings(),
        RenderOptions(ami_secret="s", console_secret="c", cli_secret="l", sandbox=sandbox),
    )
    general, logfiles = files["logger.conf"].split("[logfiles]", 1)
    assert "queue_log = no" in general
    channels = [line for line in logfiles.splitlines() if line and not line.startswith(";")]
    assert channels == ["full => notice,warning,error"]
