"""`hotline asterisk render --node NAME`: a node of cluster.nodes gets its own SIP and AMI
addresses and accepts calls from Kamailio only (issue 20)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotline.cli.asterisk_cmd import for_node
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.settings import load_settings
from tests.cli_support import hermetic_store_url, run_hotline

NODES = [
    {"name": "pbx1", "sip_host": "10.0.0.11", "ami_host": "10.0.0.11"},
    {"name": "pbx2", "sip_host": "10.0.0.12", "sip_port": 5070, "ami_host": "10.0.0.12"},
]
CLUSTER = {"nodes": NODES, "kamailio": {"listen_host": "10.0.0.2"}}


def test_a_node_binds_its_own_addresses() -> None:
    settings = for_node(load_settings(overrides={"cluster": CLUSTER}), "pbx2")
    files = render_configs(
        settings,
        RenderOptions(ami_secret="s", console_secret="c", cli_secret="l", sip_match=("10.0.0.2",)),
    )

    assert re.search(r"^bind = 10\.0\.0\.12:5070$", files["pjsip.conf"], flags=re.MULTILINE)
    assert re.search(r"^match = 10\.0\.0\.2$", files["pjsip.conf"], flags=re.MULTILINE)
    assert re.search(r"^bindaddr = 10\.0\.0\.12$", files["manager.conf"], flags=re.MULTILINE)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    yield from hermetic_store_url(tmp_path, monkeypatch)


TOML = """
[ami]
secret = "s"
console_secret = "c"
cli_secret = "l"

[cluster.kamailio]
listen_host = "10.0.0.2"

[[cluster.nodes]]
name = "pbx1"
sip_host = "10.0.0.11"
ami_host = "10.0.0.11"

[[cluster.nodes]]
name = "pbx2"
sip_host = "10.0.0.12"
sip_port = 5070
ami_host = "10.0.0.12"
"""


def test_the_cli_renders_a_node_and_names_the_known_ones(url: str, tmp_path: Path) -> None:
    config = tmp_path / "hotline.toml"
    config.write_text(TOML, encoding="utf-8")
    cli = ("--config", str(config), "asterisk", "render")

    code, out, err = run_hotline(url, *cli, str(tmp_path / "pbx1"), "--node", "pbx1")

    assert code == 0, out + err
    pjsip = (tmp_path / "pbx1" / "pjsip.conf").read_text(encoding="utf-8")
    assert re.search(r"^bind = 10\.0\.0\.11:5060$", pjsip, flags=re.MULTILINE)
    assert re.search(r"^match = 10\.0\.0\.2$", pjsip, flags=re.MULTILINE)

    code, out, err = run_hotline(url, *cli, str(tmp_path / "x"), "--node", "pbx9")

    assert code == 2
    assert "no cluster node 'pbx9' (known: pbx1, pbx2)" in err
