"""Issue 19: each pytest-xdist worker gets its own ports, sandbox instance, SQLite dir and
PostgreSQL database; outside xdist nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.sandbox.layout import SandboxLayout
from hotline.settings import Settings
from hotline.settings.sections import SandboxSettings
from tests.xdist_support import (
    MAX_WORKERS,
    PORT_STEP,
    PORTS,
    isolate_worker,
    worker_database_url,
)

BASE = {
    "HOTLINE_AMI__PORT": "6038",
    "HOTLINE_FASTAGI__PORT": "6573",
    "HOTLINE_SANDBOX__SIP_PORT": "6060",
    "HOTLINE_SANDBOX__SIM_TRUNK_PORT": "6070",
    "HOTLINE_WEB__PORT": "6080",
    "HOTLINE_SMS__ADMIN_PORT": "6090",
    "HOTLINE_SMS__BOX_PORT": "6091",
    "HOTLINE_SMS__SENDSMS_PORT": "6092",
    "HOTLINE_SMS__FAKE_SMSC_PORT": "6093",
    "HOTLINE_SMS__DLR_PORT": "6094",
    "HOTLINE_METRICS__PORT": "6095",
    "HOTLINE_METRICS__PROMETHEUS_PORT": "6096",
    "PG_TEST_URL": "postgresql+psycopg://u:p@127.0.0.1:5432/hotline_test_perf",
}


def test_outside_xdist_nothing_changes() -> None:
    env = dict(BASE)
    assert isolate_worker(env) is None
    assert env == BASE


@pytest.mark.parametrize("index", [0, 1, 3, 7])
def test_a_worker_gets_its_own_ports_instance_files_and_database(index: int) -> None:
    env = {**BASE, "PYTEST_XDIST_WORKER": f"gw{index}"}
    assert isolate_worker(env) == f"gw{index}"
    for var in PORTS:
        assert int(env[var]) == int(BASE[var]) + PORT_STEP * index
    assert env["HOTLINE_SANDBOX__INSTANCE"] == f"gw{index}"
    assert env["HOTLINE_PATHS__DATA_DIR"] == f"var/xdist/gw{index}"
    assert env["HOTLINE_PATHS__RECORDINGS_DIR"].startswith(env["HOTLINE_PATHS__DATA_DIR"])
    assert env["PG_TEST_URL"].endswith(f"/hotline_test_perf_gw{index}")


def test_a_configured_instance_keeps_its_name_as_a_prefix() -> None:
    env = {**BASE, "HOTLINE_SANDBOX__INSTANCE": "int", "PYTEST_XDIST_WORKER": "gw2"}
    isolate_worker(env)
    assert env["HOTLINE_SANDBOX__INSTANCE"] == "int-gw2"
    SandboxSettings(instance=env["HOTLINE_SANDBOX__INSTANCE"])


def test_workers_never_share_a_port() -> None:
    seen: set[int] = set()
    for index in range(MAX_WORKERS):
        env = {**BASE, "PYTEST_XDIST_WORKER": f"gw{index}"}
        isolate_worker(env)
        ports = {int(env[var]) for var in PORTS}
        assert not ports & seen
        seen |= ports


def test_defaults_are_offset_too_and_a_worker_beyond_the_last_is_refused() -> None:
    env = {"PYTEST_XDIST_WORKER": "gw2"}
    isolate_worker(env)
    assert env["HOTLINE_AMI__PORT"] == str(5038 + 2 * PORT_STEP)
    with pytest.raises(RuntimeError, match=f"at most {MAX_WORKERS}"):
        isolate_worker({"PYTEST_XDIST_WORKER": f"gw{MAX_WORKERS}"})


def test_database_url_keeps_credentials_and_options() -> None:
    url = worker_database_url("postgresql+psycopg://u:p@h:5/db?connect_timeout=5", "gw1")
    assert url == "postgresql+psycopg://u:p@h:5/db_gw1?connect_timeout=5"


def test_an_instance_lives_under_the_shared_sandbox(tmp_path: Path) -> None:
    # Sections built here, not from the environment (an xdist worker's names an instance).
    settings = Settings()
    shared = settings.model_copy(update={"sandbox": SandboxSettings(cache_dir=tmp_path)})
    worker = settings.model_copy(
        update={"sandbox": SandboxSettings(cache_dir=tmp_path, instance="gw1")}
    )
    base, layout = SandboxLayout.of(shared), SandboxLayout.of(worker)
    assert base.shared is None and base.template == base
    assert layout.shared == base.base and layout.template == base
    assert layout.base == base.base / "instances" / "gw1"
    assert layout.root != base.root and layout.lock_file != base.lock_file
    assert base.instances() == []
    layout.root.mkdir(parents=True)
    assert base.instances() == [layout] and layout.instances() == []


@pytest.mark.parametrize("name", ["../x", "a/b", "A", "-x", "x" * 40])
def test_instance_names_are_plain(name: str) -> None:
    with pytest.raises(ValueError):
        SandboxSettings(instance=name)
