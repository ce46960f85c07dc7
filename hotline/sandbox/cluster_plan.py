"""The test bed's plan (``hotline cluster up``, issue 20 item 5): which sandbox instance is
which node, on which loopback address and ports, and which engine worker drives it.

Pure: settings in, the plan out.  Each node is its own sandbox instance
(``<instance>-<node>``, an overlay of the shared chroot) bound to its own loopback address
(127.0.0.2, 127.0.0.3: Linux routes all of 127.0.0.0/8 to ``lo``, and every socket the
rendered Asterisk opens, SIP, RTP and AMI, binds to the node's address), so the two nodes are
two hosts as far as SIP is concerned.  Nothing of the bed may leave the loopback.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hotline.sandbox.layout import SandboxError, SandboxLayout
from hotline.settings import Settings
from hotline.settings.cluster import ClusterNode
from hotline.store.workers import ONE_WORKER_ON_SQLITE

# Without configured nodes: n1 and n2 on their own loopback addresses.
BED_NODES: Final = (("n1", "127.0.0.2"), ("n2", "127.0.0.3"))
# Kamailio's port beside the nodes' SIP port (the nodes' own address holds theirs).
KAMAILIO_PORT_STEP: Final = 4
RUN_DIR: Final = "cluster"


class BedError(SandboxError):
    """The bed cannot be planned or started; the message says why."""


@dataclass(frozen=True)
class BedNode:
    spec: ClusterNode
    # This node's own sandbox: its instance, SIP/AMI addresses, FastAGI -> its worker.
    settings: Settings

    @property
    def instance(self) -> str:
        return self.settings.sandbox.instance


@dataclass(frozen=True)
class BedWorker:
    name: str
    node: str
    fastagi_port: int
    metrics_port: int
    # HOTLINE_* variables of its `hotline run` (the store URL included: not on a command line).
    env: dict[str, str]


@dataclass(frozen=True)
class BedPlan:
    settings: Settings  # with the bed's nodes and Kamailio address
    run_dir: Path  # pid files, Kamailio's configuration, the workers' logs
    nodes: tuple[BedNode, ...]
    workers: tuple[BedWorker, ...]


def _loopback(value: str, what: str) -> None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise BedError(f"{what} is {value!r}: the test bed needs a loopback address") from None
    if not address.is_loopback:
        raise BedError(f"{what} is {value}: the test bed stays on the loopback (127.0.0.0/8)")


def bed_settings(settings: Settings) -> Settings:
    """``settings`` with the bed's default nodes and Kamailio port when no nodes are set."""
    cluster = settings.cluster
    if cluster.nodes:
        return settings
    offset = cluster.bed.port_offset
    sip_port = settings.sandbox.sip_port + offset
    nodes = [
        ClusterNode(
            name=name,
            sip_host=host,
            sip_port=sip_port,
            ami_host=host,
            ami_port=settings.ami.port + offset,
        )
        for name, host in BED_NODES
    ]
    kamailio = cluster.kamailio.model_copy(
        update={"listen_host": "127.0.0.1", "listen_port": sip_port + KAMAILIO_PORT_STEP}
    )
    update = {"nodes": nodes, "kamailio": kamailio}
    return settings.model_copy(update={"cluster": cluster.model_copy(update=update)})


def plan_bed(settings: Settings) -> BedPlan:
    if settings.database_url.startswith("sqlite"):
        raise BedError(f"the test bed runs two engine workers. {ONE_WORKER_ON_SQLITE}")
    settings = bed_settings(settings)
    cluster = settings.cluster
    _loopback(cluster.kamailio.listen_host, "cluster.kamailio.listen_host")
    _loopback(settings.fastagi.host, "fastagi.host")
    _loopback(settings.metrics.host, "metrics.host")
    names = [n.name for n in cluster.nodes]
    for key, value in (("node", cluster.queue.node), ("standby", cluster.queue.standby)):
        if value and value not in names:  # unchecked while the bed's own nodes were unset
            raise BedError(f"cluster.queue.{key} {value!r} is not a bed node ({', '.join(names)})")
    prefix = settings.sandbox.instance or RUN_DIR
    # Each node names its sandbox instance: a worker taking it over finds its AMI secret.
    specs = [
        n
        if n.sandbox_instance
        else n.model_copy(update={"sandbox_instance": f"{prefix}-{n.name}"})
        for n in cluster.nodes
    ]
    cluster = cluster.model_copy(update={"nodes": specs})
    settings = settings.model_copy(update={"cluster": cluster})
    offset = cluster.bed.port_offset
    nodes: list[BedNode] = []
    workers: list[BedWorker] = []
    for k, spec in enumerate(cluster.nodes, start=1):
        _loopback(spec.sip_host, f"node {spec.name}'s sip_host")
        _loopback(spec.ami_host, f"node {spec.name}'s ami_host")
        instance = spec.sandbox_instance
        fastagi_port = settings.fastagi.port + offset + k
        metrics_port = settings.metrics.port + offset + k
        node_settings = settings.model_copy(
            update={
                "sandbox": settings.sandbox.model_copy(
                    update={
                        "instance": instance,
                        "sip_host": spec.sip_host,
                        "sip_port": spec.sip_port,
                    }
                ),
                "ami": settings.ami.model_copy(
                    update={"host": spec.ami_host, "port": spec.ami_port}
                ),
                "fastagi": settings.fastagi.model_copy(update={"port": fastagi_port}),
            }
        )
        nodes.append(BedNode(spec, node_settings))
        name = f"{prefix}-w{k}"
        env = {
            "HOTLINE_STORE__URL": settings.database_url,
            "HOTLINE_SANDBOX__INSTANCE": instance,
            "HOTLINE_SANDBOX__SIP_HOST": spec.sip_host,
            "HOTLINE_SANDBOX__SIP_PORT": str(spec.sip_port),
            "HOTLINE_AMI__HOST": spec.ami_host,
            "HOTLINE_AMI__PORT": str(spec.ami_port),
            "HOTLINE_FASTAGI__PORT": str(fastagi_port),
            "HOTLINE_METRICS__PORT": str(metrics_port),
            "HOTLINE_WORKERS__NAME": name,
            "HOTLINE_WORKERS__NODE": spec.name,
            "HOTLINE_CLUSTER__NODES": json.dumps([n.model_dump() for n in cluster.nodes]),
        }
        workers.append(BedWorker(name, spec.name, fastagi_port, metrics_port, env))
    if not settings.metrics.engine_targets:
        # `hotline prometheus render` on the plan's settings scrapes both workers.
        targets = [f"{settings.metrics.host}:{w.metrics_port}" for w in workers]
        metrics = settings.metrics.model_copy(update={"engine_targets": targets})
        settings = settings.model_copy(update={"metrics": metrics})
    run_dir = SandboxLayout.of(settings).base / RUN_DIR
    return BedPlan(settings, run_dir, tuple(nodes), tuple(workers))
