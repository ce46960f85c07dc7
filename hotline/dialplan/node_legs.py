"""Operator-bound calls across nodes (issue 20 item 1): the names the dialplan and the engine
agree on, and what a node's render needs to send its callers to the queue node.

A caller on any node who reaches the operator step ([hotline-operator]: the operator key,
silence, the fallback when Python fails) is dialled over an inter-node PJSIP trunk to the
queue node (``cluster.queue.node``), then to its standby, then queued on its own node (never
dead air).  The call's context travels in ``X-Hotline-*`` SIP headers; the queue node's
inbound context reads them into the same channel variables and raises NODE_LEG_EVENT, by
which the engine files the leg's queue events under the caller's original call (one call
row, counted once).  Pure: settings in, the template's context out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from hotline.dialplan.names import ChannelVar
from hotline.settings import Settings
from hotline.settings.cluster import ClusterNode

# [hotline-node-legs] on the caller's node: Dial the queue node, then the standby.
CONTEXT_NODE_LEGS: Final = "hotline-node-legs"
# Its pre-dial handler (Dial option b) on the outbound leg: adds the headers.
NODE_LEG_HEADERS_EXTEN: Final = "headers"
# [hotline-node-leg-in] on a queue node: a leg from another node.
CONTEXT_NODE_LEG_IN: Final = "hotline-node-leg-in"
# The PJSIP endpoint (and identify) on a queue node that takes the other nodes' legs.
LEG_IN_ENDPOINT: Final = "hotline-node-legs-in"
# The trunk endpoint (and aor) on the caller's node to queue node NAME.
TRUNK_PREFIX: Final = "hotline-node-"
# The UserEvent a queue node raises for each leg: the leg's channel names the caller's
# uniqueid (ORIGIN) on its node (NODE).
NODE_LEG_EVENT: Final = "HotlineNodeLeg"
ORIGIN_HEADER: Final = "Origin"
NODE_HEADER: Final = "Node"
CALL_ID_HEADER: Final = "CallId"
# Set on the caller's channel once the legs were tried: [hotline-operator] queues locally.
LEGS_TRIED_VAR: Final = "HOTLINE_NODE_LEGS_TRIED"
# The caller's uniqueid and node, inherited by the outbound leg for its headers.
ORIGIN_VAR: Final = "HOTLINE_NODE_LEG_ORIGIN"
NODE_VAR: Final = "HOTLINE_NODE_LEG_NODE"
# The caller's uniqueid as a leg carries it ("n1-1796336284.162"): it came in a SIP header,
# so anything else is ignored (the leg then stays a call of its own).
_UNIQUEID: Final = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# A queue node answers a leg at once (its queue rings with option r): a leg unanswered this
# long goes to the next node.  A dead node's trunk is unreachable (qualify) and not tried.
LEG_ANSWER_SECONDS: Final = 5
# SIP header -> the channel variable it carries (the operator's screen pop, the queue, the
# recording: a caller already told «Разговор записывается» and recorded is not told again).
SIP_HEADERS: Final[tuple[tuple[str, str], ...]] = (
    ("X-Hotline-Origin", ORIGIN_VAR),
    ("X-Hotline-Node", NODE_VAR),
    ("X-Hotline-Call-Id", ChannelVar.CALL_ID),
    ("X-Hotline-Path", ChannelVar.PATH),
    ("X-Hotline-Reason", ChannelVar.OPERATOR_REASON),
    ("X-Hotline-Account", ChannelVar.ACCOUNT),
    ("X-Hotline-Reading", ChannelVar.READING),
    ("X-Hotline-Answer-Target", ChannelVar.ANSWER_TARGET),
    ("X-Hotline-Contact", ChannelVar.CONTACT),
    ("X-Hotline-Department", ChannelVar.DEPARTMENT),
    ("X-Hotline-Recording", ChannelVar.RECORDING),
    ("X-Hotline-Recording-Notice", ChannelVar.RECORDING_NOTICE),
    ("X-Hotline-Dnid", ChannelVar.DNID),
)


@dataclass(frozen=True)
class Trunk:
    node: str
    endpoint: str
    contact: str


def origin_uniqueid(value: str | None) -> str | None:
    """The caller's uniqueid a leg names (ORIGIN_VAR, the UserEvent's ORIGIN_HEADER), or
    None if it names none (not a leg) or something that is no uniqueid."""
    return value if value and _UNIQUEID.match(value) else None


def trunk_endpoint(node: str) -> str:
    return f"{TRUNK_PREFIX}{node}"


def _sip_uri(node: ClusterNode) -> str:
    host = f"[{node.sip_host}]" if ":" in node.sip_host else node.sip_host
    return f"sip:{host}:{node.sip_port}"


def node_legs(settings: Settings) -> dict[str, object]:
    """The template context of this node's legs (``settings`` as the node sees them: its own
    SIP address picks it out of ``cluster.nodes``).  ``trunks``: the queue node and the
    standby this node sends its operator-bound callers to, in order (none on the queue node
    itself, or without ``cluster.queue.node``); ``leg_in``: this node is a queue node and takes
    the other nodes' legs, from their SIP addresses (``leg_in_match``)."""
    cluster = settings.cluster
    me = cluster.node_at(settings.sandbox.sip_host, settings.sandbox.sip_port)
    queue_nodes = cluster.queue_nodes() if me is not None else []
    names = [n.name for n in queue_nodes]
    trunks: list[Trunk] = []
    if me is not None and me.name != cluster.queue.node:
        trunks = [
            Trunk(n.name, trunk_endpoint(n.name), _sip_uri(n)) for n in queue_nodes if n is not me
        ]
    leg_in = me is not None and me.name in names
    others = [n.sip_host for n in cluster.nodes if me is not None and n.name != me.name]
    return {
        "node": me.name if me is not None else "",
        "trunks": trunks,
        "qualify": cluster.queue.qualify_seconds,
        "leg_in": leg_in,
        "leg_in_match": list(dict.fromkeys(others)),
        "ctx_out": CONTEXT_NODE_LEGS,
        "ctx_in": CONTEXT_NODE_LEG_IN,
        "headers_exten": NODE_LEG_HEADERS_EXTEN,
        "in_endpoint": LEG_IN_ENDPOINT,
        "event": NODE_LEG_EVENT,
        "origin_header": ORIGIN_HEADER,
        "node_header": NODE_HEADER,
        "call_id_header": CALL_ID_HEADER,
        "tried_var": LEGS_TRIED_VAR,
        "origin_var": ORIGIN_VAR,
        "node_var": NODE_VAR,
        "answer_seconds": LEG_ANSWER_SECONDS,
        "headers": SIP_HEADERS,
    }
