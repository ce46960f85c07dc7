"""`hotline cluster up`'s plan (issue 20 item 5): two nodes on their own loopback addresses as
sandbox instances beside the configured one, one worker per node on PostgreSQL; SQLite and
any address off the loopback are refused; pid files never name a recycled process; Kamailio's
probes take a dead node out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.dialplan.kamailio_config import NODE_DOWN_LOG, render_kamailio
from hotline.sandbox.cluster_bed import _read_pid, _stop_pid, _write_pid
from hotline.sandbox.cluster_plan import BedError, plan_bed
from hotline.settings import Settings, load_settings

PG = "postgresql+psycopg://u:p@127.0.0.1:5432/hotline"


def settings(**sections: dict[str, object]) -> Settings:
    overrides: dict[str, object] = {
        "store": {"url": PG},
        "sandbox": {"instance": "cluster", "sip_port": 4660},
        "ami": {"port": 4638},
        "fastagi": {"port": 4673},
        "metrics": {"port": 4690},
        **sections,
    }
    return load_settings(overrides=overrides)


def test_the_default_bed_is_two_nodes_on_their_own_loopback_addresses() -> None:
    plan = plan_bed(settings())
    assert [(n.spec.name, n.instance) for n in plan.nodes] == [
        ("n1", "cluster-n1"),
        ("n2", "cluster-n2"),
    ]
    assert [(n.spec.sip_host, n.spec.sip_port, n.spec.ami_port) for n in plan.nodes] == [
        ("127.0.0.2", 4760, 4738),
        ("127.0.0.3", 4760, 4738),
    ]
    # Each node's Asterisk binds its own address and sends FastAGI to its own worker.
    first = plan.nodes[0].settings
    assert (first.sandbox.sip_host, first.ami.host, first.fastagi.port) == ("127.0.0.2",) * 2 + (
        4774,
    )
    kamailio = plan.settings.cluster.kamailio
    assert (kamailio.listen_host, kamailio.listen_port) == ("127.0.0.1", 4764)
    # One worker per node, each with its own listeners, on the configured PostgreSQL.
    w1, w2 = plan.workers
    assert (w1.node, w1.fastagi_port, w1.metrics_port) == ("n1", 4774, 4791)
    assert (w2.node, w2.fastagi_port, w2.metrics_port) == ("n2", 4775, 4792)
    assert w2.env["HOTLINE_STORE__URL"] == PG
    assert w2.env["HOTLINE_SANDBOX__INSTANCE"] == "cluster-n2"  # its node's AMI secret
    assert (w2.env["HOTLINE_AMI__HOST"], w2.env["HOTLINE_AMI__PORT"]) == ("127.0.0.3", "4738")
    assert [n["name"] for n in json.loads(w2.env["HOTLINE_CLUSTER__NODES"])] == ["n1", "n2"]
    # `hotline prometheus render` on the plan scrapes both workers.
    assert plan.settings.metrics.engine_targets == ["127.0.0.1:4791", "127.0.0.1:4792"]
    assert plan.run_dir.parts[-3:] == ("instances", "cluster", "cluster")


def test_configured_nodes_are_used_as_they_are() -> None:
    nodes = [{"name": "a", "sip_host": "127.0.0.5", "ami_host": "127.0.0.5"}]
    plan = plan_bed(settings(cluster={"nodes": nodes}))
    assert [(n.instance, n.spec.sip_port) for n in plan.nodes] == [("cluster-a", 5060)]


def test_the_queue_node_must_be_a_bed_node() -> None:
    """cluster.queue names the bed's own nodes, which the settings do not list (issue 20)."""
    plan = plan_bed(settings(cluster={"queue": {"node": "n2", "standby": "n1"}}))
    assert [n.name for n in plan.settings.cluster.queue_nodes()] == ["n2", "n1"]
    with pytest.raises(BedError, match=r"cluster\.queue\.node 'n3' is not a bed node"):
        plan_bed(settings(cluster={"queue": {"node": "n3"}}))


def test_sqlite_and_addresses_off_the_loopback_are_refused() -> None:
    with pytest.raises(BedError, match=r"SQLite holds one engine worker.*PostgreSQL"):
        plan_bed(settings(store={"url": "sqlite+aiosqlite:///x.db"}))
    nodes = [{"name": "a", "sip_host": "10.0.0.11", "ami_host": "127.0.0.5"}]
    with pytest.raises(BedError, match="stays on the loopback"):
        plan_bed(settings(cluster={"nodes": nodes}))
    with pytest.raises(BedError, match="loopback"):
        plan_bed(settings(metrics={"host": "0.0.0.0"}))


def test_the_cli_refuses_sqlite_with_the_clear_message(tmp_path: Path) -> None:
    url = f"store.url=sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    result = CliRunner().invoke(app, ["--set", url, "cluster", "status"])
    assert result.exit_code == 2, result.output
    assert "SQLite holds one engine worker" in result.output


def test_a_pid_file_names_only_the_process_it_was_written_for(tmp_path: Path) -> None:
    pid_file = tmp_path / "w.pid"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_pid(pid_file, child.pid)
        assert _read_pid(pid_file) == child.pid
        # Same pid, another start time: a recycled pid is never signalled.
        pid_file.write_text(f"{child.pid} 1\n")
        assert _read_pid(pid_file) is None
        assert not _stop_pid(pid_file)
        assert child.poll() is None
        _write_pid(pid_file, child.pid)
        assert _stop_pid(pid_file)
        assert child.wait(5) is not None
        assert not pid_file.exists()
    finally:
        child.kill()
        child.wait()


def test_a_probe_nobody_answered_takes_the_node_out() -> None:
    """tm answers an unanswered OPTIONS with a local 408: were all of class 4 "alive", a dead
    node would stay in the set and every call to it would wait for the failover."""
    config = render_kamailio(plan_bed(settings()).settings, "/tmp/d.list").config
    line = next(x for x in config.splitlines() if "ds_ping_reply_codes" in x)
    codes = line.split('"')[5].split(";")
    assert "class=4" not in codes and "code=408" not in codes
    assert {"class=2", "code=401", "code=404"} <= set(codes)
    # The verdict is logged (what an operator reads, and what the e2e test waits for).
    assert "event_route[dispatcher:dst-down]" in config
    assert NODE_DOWN_LOG.format(uri="$ru") in config
