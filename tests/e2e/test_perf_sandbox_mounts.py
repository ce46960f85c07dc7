"""Issue 19: parallel workers run their own Asterisk in an overlay of the one chroot, and
neither `down` nor a test session leaves a mount behind (stale binds of /dev, the sounds and
the recordings once filled a disk when a cache directory was copied)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.sandbox import Sandbox, SandboxLayout
from hotline.sandbox.mounts import mounts_under
from hotline.settings import Settings, load_settings
from tests.xdist_support import PORTS, WORKER_VAR

pytestmark = [pytest.mark.e2e]

# Beside this worker's ports (xdist workers are 200 apart): free for a probe instance.
PROBE_OFFSET = 100
PROBE_SECTIONS = {
    "HOTLINE_AMI__PORT": ("ami", "port"),
    "HOTLINE_FASTAGI__PORT": ("fastagi", "port"),
    "HOTLINE_SANDBOX__SIP_PORT": ("sandbox", "sip_port"),
    "HOTLINE_SANDBOX__SIM_TRUNK_PORT": ("sandbox", "sim_trunk_port"),
    "HOTLINE_WEB__PORT": ("web", "port"),
    "HOTLINE_SMS__ADMIN_PORT": ("sms", "admin_port"),
    "HOTLINE_SMS__BOX_PORT": ("sms", "box_port"),
    "HOTLINE_SMS__SENDSMS_PORT": ("sms", "sendsms_port"),
    "HOTLINE_SMS__FAKE_SMSC_PORT": ("sms", "fake_smsc_port"),
    "HOTLINE_METRICS__PORT": ("metrics", "port"),
    "HOTLINE_METRICS__PROMETHEUS_PORT": ("metrics", "prometheus_port"),
    "HOTLINE_SMS__DLR_PORT": ("sms", "dlr_port"),
}


def probe_name(what: str) -> str:
    return f"perf-{what}-{os.environ.get(WORKER_VAR, 'main')}"


def probe_environ(instance: str) -> dict[str, str]:
    base = load_settings()
    env = dict(os.environ)
    for var, (section, key) in PROBE_SECTIONS.items():
        env[var] = str(getattr(getattr(base, section), key) + PROBE_OFFSET)
    env["HOTLINE_SANDBOX__INSTANCE"] = instance
    env.pop(WORKER_VAR, None)  # a plain session: it must not re-derive a worker's world
    return env


def probe_settings(instance: str) -> Settings:
    env = probe_environ(instance)
    overrides: dict[str, dict[str, object]] = {"sandbox": {"instance": instance}}
    for var, (section, key) in PROBE_SECTIONS.items():
        overrides.setdefault(section, {})[key] = int(env[var])
    return load_settings(overrides=overrides)


def mounted(layout: SandboxLayout) -> list[str]:
    return mounts_under(layout.base)


def test_an_instance_runs_its_own_asterisk_in_an_overlay_and_down_unmounts_it() -> None:
    assert set(PROBE_SECTIONS) == set(PORTS)
    box = Sandbox(probe_settings(probe_name("instance")))
    layout = box.layout
    assert layout.shared is not None
    try:
        status = box.up()
        assert status.running, status.describe()
        points = mounted(layout)
        assert os.path.realpath(layout.root) in points  # the overlay itself
        assert os.path.realpath(layout.root / "proc") in points
        assert os.path.realpath(layout.root / "dev") in points
        pid = box.control.pid()
        assert pid is not None
        assert os.readlink(f"/proc/{pid}/root") == os.path.realpath(layout.root)
        assert layout.template.stamp.read_bytes() == layout.stamp.read_bytes()
        # The shared chroot is the lower layer: nothing the instance writes lands in it.
        assert not layout.template.in_root(f"/var/tmp/{layout.base.name}").exists()
        layout.in_root(f"/var/tmp/{layout.base.name}").write_text("x")
        assert not layout.template.in_root(f"/var/tmp/{layout.base.name}").exists()
    finally:
        stopped = box.down()
    assert stopped
    assert mounted(layout) == []
    assert box.control.pid() is None and box.control.chroot_processes() == []


def test_a_test_session_leaves_no_mount_and_no_asterisk_behind(tmp_path: Path) -> None:
    instance = probe_name("session")
    layout = Sandbox(probe_settings(instance)).layout
    here = Path(__file__).resolve()
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
            f"--basetemp={tmp_path / 'pytest'}",
            f"{here.parent / 'test_sandbox.py'}::test_status_is_running",
        ],
        cwd=here.parents[2], env=probe_environ(instance), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
    assert layout.root.is_dir()  # the session did use this instance
    assert mounted(layout) == []
    ids = os.path.realpath(layout.root)
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _root_of(p) == ids]


def _root_of(pid: str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/root")
    except OSError:
        return None
