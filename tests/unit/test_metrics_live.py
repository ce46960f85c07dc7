"""The queue and channel figures parsed from scripted AMI events, the AGI latency histogram
and the loop-lag probe (issue 20, metrics)."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from prometheus_client import generate_latest

from hotline.contact_center.live_metrics import channel_endpoints, queue_samples
from hotline.core.metrics import REGISTRY, observe_agi_command, watch_loop_lag
from hotline.protocol.ami import AmiEvent


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


QUEUE = "hotline-operators"
STATUS = [
    event("QueueParams", Queue=QUEUE, Completed="8", ServicelevelPerf="75.0", ServiceLevel="40"),
    event("QueueMember", Queue=QUEUE, Location="PJSIP/op1", Status="1", Paused="0"),
    event("QueueMember", Queue=QUEUE, Location="PJSIP/op2", Status="2", Paused="0"),
    event("QueueMember", Queue=QUEUE, Location="PJSIP/op3", Status="1", Paused="1"),
    event("QueueMember", Queue=QUEUE, Location="PJSIP/op4", Status="5", Paused="0"),
    event("QueueMember", Queue=QUEUE, Location="PJSIP/op5", Status="6", Paused="0"),
    event("QueueEntry", Queue=QUEUE, Position="1", Wait="31", Uniqueid="a"),
    event("QueueEntry", Queue=QUEUE, Position="2", Wait="4", Uniqueid="b"),
    event("QueueParams", Queue="hotline-dispatcher", Completed="0", ServicelevelPerf="0.0"),
    event("QueueEntry", Queue="hotline-dispatcher", Position="1", Wait="99", Uniqueid="c"),
]


def test_queue_sample_counts_waiting_callers_operators_and_service_level() -> None:
    operators, dispatcher = queue_samples(STATUS, [QUEUE, "hotline-dispatcher"])

    assert operators.queue == QUEUE
    assert operators.waiting == 2
    assert operators.longest_wait == 31
    assert operators.service_level == 0.75
    assert operators.operators == {
        "available": 1,
        "busy": 1,
        "ringing": 1,
        "paused": 1,
        "unavailable": 1,
    }
    # Another queue's callers are its own; no completed call yet: no service level at all
    # (Asterisk's 0.0 would read as "nobody answered in time").
    assert dispatcher.waiting == 1 and dispatcher.longest_wait == 99
    assert dispatcher.service_level is None
    assert sum(dispatcher.operators.values()) == 0


def test_channels_are_counted_per_endpoint() -> None:
    channels = [
        event("CoreShowChannel", Channel="PJSIP/sim-trunk-0000000a"),
        event("CoreShowChannel", Channel="PJSIP/sim-trunk-0000000b"),
        event("CoreShowChannel", Channel="PJSIP/op1-0000000c"),
        event("CoreShowChannel", Channel="Local/100@hotline-operator-00000001;1"),
        event("CoreShowChannel", Channel=""),
    ]

    assert channel_endpoints(channels) == {"sim-trunk": 2, "op1": 1, "local": 1}


def _sample(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {line_start!r} in:\n{text}")


def test_agi_command_latency_is_a_cumulative_histogram_per_verb() -> None:
    verb = "TEST VERB METRICS"
    for seconds in (0.0005, 0.003, 0.003, 0.2, 7.0):
        observe_agi_command(verb, seconds)

    text = generate_latest(REGISTRY).decode()
    name = 'hotline_fastagi_command_seconds_bucket{le="%s",verb="%s"}'
    assert _sample(text, name % ("0.001", verb)) == 1
    assert _sample(text, name % ("0.005", verb)) == 3
    assert _sample(text, name % ("0.25", verb)) == 4
    assert _sample(text, name % ("5.0", verb)) == 4
    assert _sample(text, name % ("+Inf", verb)) == 5
    assert _sample(text, f'hotline_fastagi_command_seconds_count{{verb="{verb}"}}') == 5
    assert _sample(text, f'hotline_fastagi_command_seconds_sum{{verb="{verb}"}}') == (
        pytest.approx(0.0005 + 0.003 + 0.003 + 0.2 + 7.0)
    )


async def test_loop_lag_probe_sees_a_blocked_loop() -> None:
    text = generate_latest(REGISTRY).decode()
    before = _sample(text, 'hotline_event_loop_lag_seconds_bucket{le="0.1"}')
    before_all = _sample(text, "hotline_event_loop_lag_seconds_count")
    probe = asyncio.create_task(watch_loop_lag(0.01))
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # noqa: ASYNC251 - blocking the loop is what the probe must see
    await asyncio.sleep(0.05)
    probe.cancel()
    text = generate_latest(REGISTRY).decode()
    observed = _sample(text, "hotline_event_loop_lag_seconds_count") - before_all
    within = _sample(text, 'hotline_event_loop_lag_seconds_bucket{le="0.1"}') - before
    # At least one wake-up came more than 0.1 s late (the blocked one), others on time.
    assert observed > within >= 1


def test_a_taken_metrics_port_is_a_warning_not_a_failure() -> None:
    from hotline.transport.metrics_http import MetricsListener

    first = MetricsListener("127.0.0.1", 0)
    assert first.start()
    try:
        port = first.bound_port
        assert port
        second = MetricsListener("127.0.0.1", port)
        assert not second.start()
        assert second.bound_port is None
        second.stop()
    finally:
        first.stop()


def test_the_listener_serves_a_scrape_quietly_and_stops_its_thread(
    capfd: pytest.CaptureFixture[str],
) -> None:
    import urllib.request

    from hotline.transport.metrics_http import MetricsListener

    listener = MetricsListener("127.0.0.1", 0)
    assert listener.start()
    thread = listener._thread
    try:
        url = f"http://127.0.0.1:{listener.bound_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
        assert response.status == 200 and "hotline_" in body
    finally:
        listener.stop()
    assert thread is not None and not thread.is_alive()
    assert listener.bound_port is None
    # No access line per scrape (the engine's log has its own format).
    assert "GET /metrics" not in capfd.readouterr().err


def test_the_listener_binds_the_address_family_of_its_host() -> None:
    from hotline.transport.metrics_http import _server_class

    assert _server_class("127.0.0.1", 0).address_family == socket.AF_INET
    assert _server_class("::1", 0).address_family == socket.AF_INET6
