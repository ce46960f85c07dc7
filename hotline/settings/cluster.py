"""Several Asterisk nodes behind Kamailio (issue 20): the nodes and the SIP proxy in front.

Empty ``nodes`` is the single-machine default: the engine's own Asterisk (``ami``) and no
proxy.  In ``hotline.toml`` each node is a table::

    [[cluster.nodes]]
    name = "pbx1"
    sip_host = "10.0.0.11"
    ami_host = "10.0.0.11"
    channels = 120
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from hotline.settings.base import SECTION_CONFIG

NODE_NAME = r"^[a-z][a-z0-9-]{0,31}$"


class ClusterNode(BaseModel):
    model_config = SECTION_CONFIG

    name: str = Field(pattern=NODE_NAME)
    sip_host: str
    sip_port: int = Field(default=5060, ge=1, le=65535)
    ami_host: str
    ami_port: int = Field(default=5038, ge=1, le=65535)
    # Calls the node may carry at once (its trunk and CPU capacity): Kamailio's call-load
    # balancing stops sending it calls at this many, the dialer never exceeds it.
    channels: int = Field(default=100, gt=0)
    # The test bed's sandbox instance of this node ("": a real host): where a worker taking
    # the node over finds the AMI secret the sandbox generated for it.
    sandbox_instance: str = ""


class KamailioSettings(BaseModel):
    model_config = SECTION_CONFIG

    # Where callers (the carrier's trunk) send their INVITEs.
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=5064, ge=1, le=65535)
    # Kamailio dispatcher algorithm: 10 = call load (the node with the fewest calls in
    # progress, up to its channels), 4 = round robin.
    algorithm: Literal[4, 10] = 10
    # OPTIONS probe period, seconds; a node that fails ``probe_threshold`` probes in a row is
    # taken out until it answers again.
    probe_interval: int = Field(default=5, gt=0)
    probe_threshold: int = Field(default=2, gt=0)
    # A node that has not answered an INVITE (not even 100 Trying) within this many
    # milliseconds is skipped: the call goes to the next node (failover).
    invite_timeout_ms: int = Field(default=2000, ge=500)
    # Files of a Debian installation; `hotline kamailio render DIR` writes them into DIR.
    config_dir: str = "/etc/kamailio"


class ClusterBedSettings(BaseModel):
    """``hotline cluster up`` (issue 20 item 5; no seed requirement): Kamailio, the nodes and
    one engine worker per node on this one machine, every address on the loopback.  Without
    ``cluster.nodes`` the bed has two nodes, n1 on 127.0.0.2 and n2 on 127.0.0.3, with SIP on
    sandbox.sip_port + port_offset, AMI on ami.port + port_offset, and Kamailio on
    127.0.0.1, sandbox.sip_port + port_offset + 4.  The worker of the k-th node (k from 1)
    serves FastAGI on fastagi.port + port_offset + k and /metrics on
    metrics.port + port_offset + k."""

    model_config = SECTION_CONFIG

    port_offset: int = Field(default=100, ge=1, le=1000)
    # How long `up` waits for each part (an Asterisk's start, a worker's listeners).
    start_timeout: float = Field(default=90.0, gt=0)


class ClusterQueueSettings(BaseModel):
    """Where operator-bound calls go (issue 20 item 1; no seed requirement): one node holds
    the operators' queues, with a standby.  One queue keeps one FIFO order, one service
    level and one place operators register; queues on every node would split the waiting
    callers and need balancing between nodes.  A caller on another node who reaches the
    operator step is sent over an inter-node SIP trunk to ``node``, then to ``standby``,
    then to its own node's queue (never dead air)."""

    model_config = SECTION_CONFIG

    # The queue node ("": no cross-node legs, every node queues its own callers).
    node: str = ""
    # Where the legs and the operators' REGISTERs go when ``node`` does not answer ("": none).
    standby: str = ""
    # PJSIP qualify period (and timeout) of the trunks to them, seconds: a dead queue node's
    # trunk is marked unreachable within about this, and its legs are not even tried.
    qualify_seconds: int = Field(default=2, gt=0, le=60)


class ClusterSettings(BaseModel):
    model_config = SECTION_CONFIG

    nodes: list[ClusterNode] = Field(default_factory=list)
    kamailio: KamailioSettings = Field(default_factory=KamailioSettings)
    bed: ClusterBedSettings = Field(default_factory=ClusterBedSettings)
    queue: ClusterQueueSettings = Field(default_factory=ClusterQueueSettings)

    @model_validator(mode="after")
    def _unique(self) -> ClusterSettings:
        names = [node.name for node in self.nodes]
        if len(set(names)) != len(names):
            raise ValueError("cluster node names must be unique")
        queue = self.queue
        for key, value in (("node", queue.node), ("standby", queue.standby)):
            # Without nodes the test bed supplies its own (n1, n2): checked by its plan.
            if value and names and value not in names:
                known = ", ".join(names) or "none"
                raise ValueError(f"cluster.queue.{key} {value!r} is not a cluster node ({known})")
        if queue.standby and not queue.node:
            raise ValueError("cluster.queue.standby needs cluster.queue.node")
        if queue.standby and queue.standby == queue.node:
            raise ValueError("cluster.queue.standby must be another node than cluster.queue.node")
        return self

    def queue_nodes(self) -> list[ClusterNode]:
        """The queue node, then its standby (none without ``queue.node``, or while the
        nodes are not listed: the test bed's defaults)."""
        by_name = {node.name: node for node in self.nodes}
        names = (self.queue.node, self.queue.standby)
        return [by_name[name] for name in names if name in by_name]

    def node_at(self, sip_host: str, sip_port: int) -> ClusterNode | None:
        """The node whose SIP address this is (a node's own render knows itself by it)."""
        for node in self.nodes:
            if (node.sip_host, node.sip_port) == (sip_host, sip_port):
                return node
        return None

    def node(self, name: str) -> ClusterNode:
        for node in self.nodes:
            if node.name == name:
                return node
        known = ", ".join(n.name for n in self.nodes) or "none"
        raise KeyError(f"no cluster node {name!r} (known: {known})")

    def fastagi_peers(self, ami_host: str) -> tuple[str, ...]:
        """Who may connect to FastAGI: the host whose AMI the engine drives and every node,
        by its AMI and SIP address (any worker serves FastAGI from any node, issue 20)."""
        peers = (ami_host, *(n.ami_host for n in self.nodes), *(n.sip_host for n in self.nodes))
        return tuple(dict.fromkeys(peers))
