"""The engine below the PBX (issue 19 item 1): `hotline run` lowers its nice to ``engine.nice``
(default 0: as the PBX), and its session's autogroup nice when it leads its session; it never
raises a priority; the systemd unit carries the same share as CPUWeight=.  Each case runs in a
child process, so the test worker keeps its own priority."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.cli.deploy_render import CONSOLE_UNIT, ENGINE_UNIT, render_deploy
from hotline.core.priority import _lower_autogroup, cpu_weight
from hotline.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
# Prints what yield_to_pbx left in effect, and what the kernel says of the process.
_CHILD = """
import json, os, sys
from pathlib import Path
from hotline.core.priority import yield_to_pbx
before = os.nice(0)
done = yield_to_pbx(int(sys.argv[1]))
group = Path("/proc/self/autogroup")
print(json.dumps({
    "before": before,
    "nice": done.nice,
    "autogroup": done.autogroup,
    "kernel_nice": os.nice(0),
    "kernel_autogroup": group.read_text() if group.exists() else None,
}))
"""


def _child(nice: int, *, own_session: bool, start_nice: int = 0) -> dict[str, object]:
    argv = [sys.executable, "-c", _CHILD, str(nice)]
    if start_nice:
        argv = ["nice", "-n", str(start_nice), *argv]
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=own_session,
        check=True,
    )
    found: dict[str, object] = json.loads(result.stdout)
    return found


def _autogroup_nice(text: object) -> int:
    assert isinstance(text, str), text
    return int(text.split("nice")[1])


def test_the_engine_leading_its_session_lowers_itself_and_its_session() -> None:
    found = _child(5, own_session=True)
    assert found["before"] == 0
    assert found["nice"] == found["kernel_nice"] == 5
    if found["kernel_autogroup"] is None:  # a kernel without autogroups
        assert found["autogroup"] is None
    else:
        assert found["autogroup"] == _autogroup_nice(found["kernel_autogroup"]) == 5


def test_inside_another_session_only_the_process_is_lowered() -> None:
    ours = Path("/proc/self/autogroup")
    before = ours.read_text() if ours.exists() else None
    found = _child(5, own_session=False)
    assert found["nice"] == found["kernel_nice"] == 5
    assert found["autogroup"] is None
    # The session it shares (this test's) kept its nice.
    assert (ours.read_text() if ours.exists() else None) == before


def test_a_lower_priority_already_set_is_kept() -> None:
    found = _child(5, own_session=True, start_nice=9)
    assert found["before"] == 9
    assert found["nice"] == found["kernel_nice"] == 9


def test_nice_zero_changes_nothing() -> None:
    found = _child(0, own_session=True)
    assert found["nice"] == found["kernel_nice"] == 0
    if found["kernel_autogroup"] is not None:
        assert found["autogroup"] == _autogroup_nice(found["kernel_autogroup"]) == 0


def test_the_autogroup_file_is_lowered_never_raised(tmp_path: Path) -> None:
    group = tmp_path / "autogroup"
    group.write_text("/autogroup-123 nice 0\n")
    assert _lower_autogroup(group, 5) == 5
    assert group.read_text() == "5\n"
    group.write_text("/autogroup-123 nice 7\n")
    assert _lower_autogroup(group, 5) == 7
    assert group.read_text() == "/autogroup-123 nice 7\n"
    group.write_text("no autogroup here\n")
    assert _lower_autogroup(group, 5) is None
    assert _lower_autogroup(tmp_path / "missing", 5) is None


def test_cpu_weight_is_the_kernel_s_share_of_nice_zero() -> None:
    assert [cpu_weight(n) for n in (0, 1, 5, 10, 19)] == [100, 80, 33, 11, 1]
    for bad in (-1, 20):
        with pytest.raises(ValueError, match="nice"):
            cpu_weight(bad)


def test_the_engine_unit_weighs_what_engine_nice_says() -> None:
    settings = load_settings(environ={})
    assert settings.engine.nice == 0
    files = {item.relative: item.text for item in render_deploy(settings)}
    assert "\nCPUWeight=100\n" in files[f"systemd/{ENGINE_UNIT}"]
    assert "CPUWeight" not in files[f"systemd/{CONSOLE_UNIT}"]
    lowered = load_settings(overrides={"engine": {"nice": 5}}, environ={})
    engine_unit = {i.relative: i.text for i in render_deploy(lowered)}[f"systemd/{ENGINE_UNIT}"]
    assert "\nCPUWeight=33\n" in engine_unit
