"""Operator-bound calls across nodes (issue 20): `hotline asterisk render --node` gives a
node the trunks to the queue node and its standby and sends its operator-bound callers over
them; the queue nodes take the other nodes' legs; ``cluster.queue`` names known nodes."""

from __future__ import annotations

import re

import pytest

from hotline.cli.asterisk_cmd import for_node
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import CONTEXT_OPERATOR
from hotline.dialplan.node_legs import (
    CONTEXT_NODE_LEG_IN,
    CONTEXT_NODE_LEGS,
    LEG_IN_ENDPOINT,
    NODE_LEG_EVENT,
    SIP_HEADERS,
    trunk_endpoint,
)
from hotline.settings import SettingsError, load_settings

NODES = [
    {"name": "pbx1", "sip_host": "10.0.0.11", "ami_host": "10.0.0.11"},
    {"name": "pbx2", "sip_host": "10.0.0.12", "ami_host": "10.0.0.12"},
    {"name": "pbx3", "sip_host": "10.0.0.13", "sip_port": 5070, "ami_host": "10.0.0.13"},
]
QUEUE = {"node": "pbx1", "standby": "pbx2"}
OPTIONS = RenderOptions(
    ami_secret="s", console_secret="c", cli_secret="l", sip_match=("10.0.0.2",)
)


def render(node: str, queue: dict[str, object] | None = QUEUE) -> dict[str, str]:
    cluster: dict[str, object] = {"nodes": NODES, "kamailio": {"listen_host": "10.0.0.2"}}
    if queue is not None:
        cluster["queue"] = queue
    return render_configs(for_node(load_settings(overrides={"cluster": cluster}), node), OPTIONS)


def section(text: str, name: str) -> str:
    found = re.search(rf"^\[{re.escape(name)}\]\n(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    assert found is not None, name
    return found[1]


def test_a_node_sends_its_operator_bound_callers_to_the_queue_node_then_the_standby() -> None:
    files = render("pbx3")
    pjsip, dialplan = files["pjsip.conf"], files["extensions.conf"]

    for name, contact in (("pbx1", "sip:10.0.0.11:5060"), ("pbx2", "sip:10.0.0.12:5060")):
        assert f"contact = {contact}\nqualify_frequency = 2\n" in pjsip
        assert f"aors = {trunk_endpoint(name)}\n" in pjsip
    assert LEG_IN_ENDPOINT not in pjsip  # not a queue node: takes no legs
    operator = section(dialplan, CONTEXT_OPERATOR)
    assert f"?{CONTEXT_NODE_LEGS},s,1)" in operator.split("Queue(")[0]
    legs = section(dialplan, CONTEXT_NODE_LEGS)
    dials = re.findall(r"Dial\(PJSIP/([a-z0-9-]+),", legs)
    assert dials == [trunk_endpoint("pbx1"), trunk_endpoint("pbx2")]
    assert legs.index("Dial(") < legs.index(f"Goto({CONTEXT_OPERATOR},s,1)")
    for header, var in SIP_HEADERS:
        assert f"Set(PJSIP_HEADER(add,{header})=${{{var}}})" in legs
    assert CONTEXT_NODE_LEG_IN not in dialplan


def test_the_queue_node_takes_the_other_nodes_legs_and_queues_them_itself() -> None:
    files = render("pbx1")
    pjsip, dialplan = files["pjsip.conf"], files["extensions.conf"]

    identify = section(pjsip, f"{LEG_IN_ENDPOINT}-identify")
    assert re.findall(r"^match = (.+)$", identify, re.MULTILINE) == ["10.0.0.12", "10.0.0.13"]
    assert "qualify_frequency" not in pjsip  # it dials no other node
    assert CONTEXT_NODE_LEGS not in section(dialplan, CONTEXT_OPERATOR)
    leg_in = section(dialplan, CONTEXT_NODE_LEG_IN)
    for header, var in SIP_HEADERS:
        assert f"Set(__{var}=${{PJSIP_HEADER(read,{header})}})" in leg_in
    assert f"UserEvent({NODE_LEG_EVENT}," in leg_in
    code = [line for line in leg_in.splitlines() if line and not line.startswith(";")]
    assert code[-1].endswith(f"Goto({CONTEXT_OPERATOR},s,1)")


def test_the_standby_takes_legs_and_sends_its_own_callers_to_the_queue_node() -> None:
    files = render("pbx2")

    assert LEG_IN_ENDPOINT in files["pjsip.conf"]
    legs = section(files["extensions.conf"], CONTEXT_NODE_LEGS)
    assert re.findall(r"Dial\(PJSIP/([a-z0-9-]+),", legs) == [trunk_endpoint("pbx1")]


def test_without_a_queue_node_every_node_queues_its_own_callers() -> None:
    files = render("pbx3", queue=None)

    assert CONTEXT_NODE_LEGS not in files["extensions.conf"]
    assert CONTEXT_NODE_LEG_IN not in files["extensions.conf"]
    assert "qualify_frequency" not in files["pjsip.conf"]


@pytest.mark.parametrize(
    ("queue", "message"),
    [
        ({"node": "pbx9"}, "cluster.queue.node 'pbx9' is not a cluster node"),
        ({"node": "pbx1", "standby": "pbx9"}, "cluster.queue.standby 'pbx9'"),
        ({"standby": "pbx2"}, "cluster.queue.standby needs cluster.queue.node"),
        ({"node": "pbx1", "standby": "pbx1"}, "must be another node"),
    ],
)
def test_the_queue_nodes_must_be_cluster_nodes(queue: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(overrides={"cluster": {"nodes": NODES, "queue": queue}})
