"""`hotline kamailio render`: Kamailio 5.6 (Debian's) parses the configuration for both
balancing algorithms, and the dispatcher list names every node with its capacity."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hotline.dialplan.kamailio_config import (
    CONFIG_FILE,
    DISPATCHER_FILE,
    KamailioConfigError,
    render_kamailio,
)
from hotline.settings import Settings, SettingsError, load_settings

NODES = [
    {"name": "pbx1", "sip_host": "10.0.0.11", "ami_host": "10.0.0.11", "channels": 120},
    {"name": "pbx2", "sip_host": "10.0.0.12", "sip_port": 5070, "ami_host": "10.0.0.12"},
]


def cluster(**kamailio: object) -> Settings:
    return load_settings(overrides={"cluster": {"nodes": NODES, "kamailio": kamailio}})


def kamailio_check(folder: Path) -> str:
    binary = shutil.which("kamailio")
    # make test installs it (scripts/install-system-deps.sh).
    assert binary, "kamailio not found: install Debian's kamailio package"
    done = subprocess.run(
        [binary, "-c", "-f", str(folder / CONFIG_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("algorithm", [10, 4])
def test_kamailio_parses_the_rendered_configuration(tmp_path: Path, algorithm: int) -> None:
    files = render_kamailio(cluster(algorithm=algorithm), str(tmp_path / DISPATCHER_FILE))
    (tmp_path / CONFIG_FILE).write_text(files.config, encoding="utf-8")
    (tmp_path / DISPATCHER_FILE).write_text(files.dispatcher, encoding="utf-8")

    out = kamailio_check(tmp_path)

    assert "config file ok" in out
    assert f'ds_select_dst("1", "{algorithm}")' in files.config
    assert ("ds_load_update();" in files.config) is (algorithm == 10)


def test_dispatcher_list_has_every_node_with_its_capacity() -> None:
    files = render_kamailio(cluster(), "/etc/kamailio/dispatcher.list")

    lines = [line for line in files.dispatcher.splitlines() if not line.startswith("#")]
    assert sorted(lines) == [
        "1 sip:10.0.0.11:5060 0 1 duid=pbx1;maxload=120",
        "1 sip:10.0.0.12:5070 0 0 duid=pbx2;maxload=100",
    ]
    assert 'modparam("dispatcher", "list_file", "/etc/kamailio/dispatcher.list")' in files.config


def test_bad_values_never_reach_the_configuration() -> None:
    with pytest.raises(KamailioConfigError, match=r"no cluster\.nodes"):
        render_kamailio(load_settings(), "/etc/kamailio/dispatcher.list")
    bad = [{**NODES[0], "sip_host": 'pbx1";\nexit;'}]
    with pytest.raises(KamailioConfigError, match="not a host name"):
        render_kamailio(
            load_settings(overrides={"cluster": {"nodes": bad}}), "/etc/kamailio/d.list"
        )
    with pytest.raises(KamailioConfigError, match="dispatcher list path"):
        render_kamailio(cluster(), '/tmp/x"\n')
    with pytest.raises(SettingsError, match="unique"):
        load_settings(overrides={"cluster": {"nodes": [NODES[0], NODES[0]]}})
    with pytest.raises(SettingsError, match="algorithm"):
        cluster(algorithm=7)


def test_operators_register_with_the_queue_node_then_its_standby(tmp_path: Path) -> None:
    """Issue 20 (cluster.queue): a second dispatcher set, the queue node first by priority;
    REGISTERs go there and fail over to the standby; Kamailio parses it."""
    settings = load_settings(
        overrides={"cluster": {"nodes": NODES, "queue": {"node": "pbx2", "standby": "pbx1"}}}
    )
    files = render_kamailio(settings, str(tmp_path / DISPATCHER_FILE))
    (tmp_path / CONFIG_FILE).write_text(files.config, encoding="utf-8")
    (tmp_path / DISPATCHER_FILE).write_text(files.dispatcher, encoding="utf-8")

    assert "config file ok" in kamailio_check(tmp_path)
    lines = [line for line in files.dispatcher.splitlines() if line.startswith("2 ")]
    assert sorted(lines) == [
        "2 sip:10.0.0.11:5060 0 0 duid=pbx1",
        "2 sip:10.0.0.12:5070 0 1 duid=pbx2",
    ]
    register = files.config.index('is_method("REGISTER")')
    assert files.config.index('ds_select_dst("2", "8")', register) < files.config.index(
        'ds_select_dst("1"'
    )
    assert 't_on_failure("QUEUE_FAILOVER")' in files.config
    # Without a queue node: one set, no REGISTER route (as before).
    plain = render_kamailio(cluster(), str(tmp_path / DISPATCHER_FILE))
    assert "REGISTER" not in plain.config and "\n2 " not in plain.dispatcher
