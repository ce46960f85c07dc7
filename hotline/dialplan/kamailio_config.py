"""``hotline kamailio render``: Kamailio in front of the Asterisk nodes (issue 20).

Kamailio's dispatcher module spreads new calls over the nodes (call load, algorithm 10, or
round robin, 4), probes each with OPTIONS and takes a silent one out until it answers again,
and fails a call over to the next node when its INVITE is not answered within
``cluster.kamailio.invite_timeout_ms`` or is refused with 408/5xx.  Kamailio stays in the
signalling path (Record-Route) and out of the media: RTP flows between the caller and the
node.  Pure: settings in, file texts out; every value is checked before it reaches the
configuration (``kamailio -c`` parses the result in tests/unit/test_kamailio_render.py).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final

from hotline.settings import Settings
from hotline.settings.cluster import ClusterNode

CONFIG_FILE: Final = "kamailio.cfg"
DISPATCHER_FILE: Final = "dispatcher.list"
# The dispatcher set of the Asterisk nodes.
NODE_SET: Final = 1
# The queue node and its standby (cluster.queue, issue 20): operators' REGISTERs go to the
# first that answers, by priority (algorithm 8: the queue node first).
QUEUE_SET: Final = 2
ALGORITHM_PRIORITY: Final = 8
# Kamailio's log line when the probes take a node out ("node sip:HOST:PORT is down...").
NODE_DOWN_LOG: Final = "node {uri} is down"
ALGORITHM_CALL_LOAD: Final = 10
# Probe replies that prove a node alive besides 2xx: redirects and the refusals a live
# Asterisk sends a prober it does not know.  Never 408 (tm's own reply when nobody answered).
PROBE_ALIVE_CODES: Final = (
    "class=2", "class=3", "code=401", "code=403", "code=404", "code=405", "code=407",
)  # fmt: skip
_HOST: Final = re.compile(r"^[A-Za-z0-9.-]{1,253}$")


class KamailioConfigError(ValueError):
    pass


@dataclass(frozen=True)
class KamailioFiles:
    config: str
    dispatcher: str


def _host(value: str, what: str) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        if not _HOST.match(value):
            raise KamailioConfigError(f"{what}: {value!r} is not a host name or address") from None
        return value
    return f"[{address}]" if address.version == 6 else str(address)


def dispatcher_list(nodes: list[ClusterNode], algorithm: int) -> str:
    """One line per node: set, SIP URI, flags, priority, attributes.  Call-load balancing
    needs each node's ``duid`` and ``maxload`` (its channels)."""
    lines = ["# setid destination flags priority attributes (rendered by hotline)"]
    for priority, node in enumerate(reversed(nodes)):
        uri = f"sip:{_host(node.sip_host, f'node {node.name}')}:{node.sip_port}"
        attributes = f"duid={node.name};maxload={node.channels}"
        if algorithm != ALGORITHM_CALL_LOAD:
            attributes = f"duid={node.name}"
        lines.append(f"{NODE_SET} {uri} 0 {priority} {attributes}")
    return "\n".join(lines) + "\n"


def queue_set_lines(queue_nodes: list[ClusterNode]) -> str:
    """Set QUEUE_SET: the queue node (the higher priority), then its standby."""
    lines = []
    for priority, node in enumerate(reversed(queue_nodes)):
        uri = f"sip:{_host(node.sip_host, f'node {node.name}')}:{node.sip_port}"
        lines.append(f"{QUEUE_SET} {uri} 0 {priority} duid={node.name}\n")
    return "".join(lines)


def render_kamailio(settings: Settings, dispatcher_path: str) -> KamailioFiles:
    cluster = settings.cluster
    if not cluster.nodes:
        raise KamailioConfigError("no cluster.nodes: list the Asterisk nodes in the settings")
    kam = cluster.kamailio
    if any(char in dispatcher_path for char in '"\n\r\0'):
        raise KamailioConfigError(f"unusable dispatcher list path {dispatcher_path!r}")
    listen = _host(kam.listen_host, "cluster.kamailio.listen_host")
    queue_nodes = cluster.queue_nodes()
    load = kam.algorithm == ALGORITHM_CALL_LOAD
    config = _TEMPLATE.format(
        listen=f"{listen}:{kam.listen_port}",
        dispatcher_path=dispatcher_path,
        ping_interval=kam.probe_interval,
        alive_codes=";".join(PROBE_ALIVE_CODES),
        threshold=kam.probe_threshold,
        invite_timeout=kam.invite_timeout_ms,
        node_set=NODE_SET,
        algorithm=kam.algorithm,
        hash_size=8 if load else 0,
        on_bye=_ON_BYE if load else "",
        track_reply=_TRACK_REPLY if load else "",
        reply_route=_REPLY_ROUTE if load else "",
        load_unset=_LOAD_UNSET if load else "",
        load_unset_failed=_LOAD_UNSET.replace("\n", "\n    ") if load else "",
        track_reply_again=_TRACK_REPLY.replace("    ", "            ") if load else "",
        operators=_OPERATORS.format(queue_set=QUEUE_SET, priority=ALGORITHM_PRIORITY)
        if queue_nodes
        else "",
        operators_route=_OPERATORS_ROUTE if queue_nodes else "",
    )
    dispatcher = dispatcher_list(cluster.nodes, kam.algorithm) + queue_set_lines(queue_nodes)
    return KamailioFiles(config, dispatcher)


# Kamailio 5.6 configuration language; {{ }} are literal braces.
_TEMPLATE: Final = """#!KAMAILIO
# Rendered by `hotline kamailio render`; edit the settings (cluster.*), not this file.
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=4
auto_aliases=no
listen=udp:{listen}

loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "sanity.so"
loadmodule "xlog.so"
loadmodule "dispatcher.so"

# A node that has not answered (not even 100 Trying) within this time is skipped.
modparam("tm", "fr_timer", {invite_timeout})
modparam("tm", "fr_inv_timer", 120000)
modparam("rr", "enable_full_lr", 0)
modparam("dispatcher", "list_file", "{dispatcher_path}")
# Failover: keep the other candidates of a selection for ds_next_dst().
modparam("dispatcher", "flags", 2)
# OPTIONS every {ping_interval} s to every node, not only to those marked down; a reply the
# node sent (even 401/403/404 from a node that does not know the prober) means it is alive.
# Not all of class 4: tm answers a probe nobody answered with a local 408, which must count
# as a failure, or a dead node would never be taken out.
modparam("dispatcher", "ds_ping_interval", {ping_interval})
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_probing_threshold", {threshold})
modparam("dispatcher", "ds_inactive_threshold", {threshold})
modparam("dispatcher", "ds_ping_reply_codes", "{alive_codes}")
modparam("dispatcher", "ds_ping_from", "sip:kamailio@hotline.invalid")
# Call-load tracking (algorithm 10): calls in progress per node, by Call-ID.
modparam("dispatcher", "ds_hash_size", {hash_size})

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (!sanity_check("17895", "7")) {{
        exit;
    }}
    if (is_method("OPTIONS") && uri == myself && !has_totag()) {{
        sl_send_reply("200", "Alive");
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{{on_bye}
            route(RELAY);
            exit;
        }}
        if (is_method("ACK") && t_check_trans()) {{
            route(RELAY);
        }}
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            route(RELAY);
        }}
        exit;
    }}
    t_check_trans();
{operators}    if (!is_method("INVITE")) {{
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }}
    record_route();
    if (!ds_select_dst("{node_set}", "{algorithm}")) {{
        xlog("L_WARN", "no Asterisk node available for $ci\\n");
        sl_send_reply("503", "Service Unavailable");
        exit;
    }}
{track_reply}    t_on_failure("FAILOVER");
    route(RELAY);
}}

# The probes' verdicts in the log (an operator's record, and what the tests wait for).
event_route[dispatcher:dst-down] {{
    xlog("L_WARN", "node $ru is down: taken out of the set\\n");
}}

event_route[dispatcher:dst-up] {{
    xlog("L_WARN", "node $ru is up: back in the set\\n");
}}

route[RELAY] {{
    if (!t_relay()) {{
        sl_reply_error();
    }}
    exit;
}}

{operators_route}{reply_route}failure_route[FAILOVER] {{
    if (t_is_canceled()) {{
        exit;
    }}
    if (t_check_status("408|5[0-9][0-9]") || (t_branch_timeout() && !t_branch_replied())) {{
        xlog("L_WARN", "node $du failed ($T_reply_code); failing over\\n");
        ds_mark_dst("ip");{load_unset_failed}
        if (ds_next_dst()) {{
{track_reply_again}            t_on_failure("FAILOVER");
            route(RELAY);
        }}
        send_reply("503", "Service Unavailable");
        exit;
    }}{load_unset}
}}
"""
# Call-load tracking (algorithm 10) only: a call counts against its node from its 200 OK to
# its BYE (or its failure).
_ON_BYE: Final = """
            if (is_method("BYE")) {
                ds_load_unset();
            }"""
_TRACK_REPLY: Final = """    t_on_reply("NODE_REPLY");
"""
_REPLY_ROUTE: Final = """onreply_route[NODE_REPLY] {
    if (status =~ "^2[0-9][0-9]$") {
        ds_load_update();
    }
}

"""
_LOAD_UNSET: Final = """
    ds_load_unset();"""
# cluster.queue (issue 20): the operators' phones register with the queue node, or with its
# standby while it does not answer (the queue is where the operators are).
_OPERATORS: Final = """    if (is_method("REGISTER")) {{
        if (!ds_select_dst("{queue_set}", "{priority}")) {{
            sl_send_reply("503", "Service Unavailable");
            exit;
        }}
        t_on_failure("QUEUE_FAILOVER");
        route(RELAY);
    }}
"""
_OPERATORS_ROUTE: Final = """failure_route[QUEUE_FAILOVER] {
    if (t_check_status("408|5[0-9][0-9]") || (t_branch_timeout() && !t_branch_replied())) {
        xlog("L_WARN", "queue node $du failed ($T_reply_code); failing over\\n");
        ds_mark_dst("ip");
        if (ds_next_dst()) {
            t_on_failure("QUEUE_FAILOVER");
            route(RELAY);
        }
    }
}

"""
