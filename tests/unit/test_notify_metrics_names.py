"""Issue 20 item 4: every figure the issue lists is exported on ``/metrics`` (the engine's
listener and the console serve the same registry; tests/web/test_notify_console_metrics.py
reads the console's), with the type Prometheus queries expect."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final

import prometheus_client

from hotline.core.metrics import REGISTRY

ROOT: Final = Path(__file__).resolve().parents[2]

# The list -> the families that answer it, and their types.
LISTED: Final = {
    "calls in IVR": [("hotline_fastagi_active_sessions", "gauge")],  # route="ivr"
    "queue waiting per queue": [("hotline_queue_waiting_calls", "gauge")],
    "longest wait per queue": [("hotline_queue_longest_wait_seconds", "gauge")],
    "operators by state": [("hotline_queue_operators", "gauge")],
    "service level": [
        ("hotline_queue_service_level_ratio", "gauge"),
        ("hotline_queue_service_level_target_ratio", "gauge"),
    ],
    "FastAGI sessions": [("hotline_fastagi_sessions_total", "counter")],
    "FastAGI command latency": [("hotline_fastagi_command_seconds", "histogram")],
    "AMI reconnects": [("hotline_ami_reconnects_total", "counter")],
    "AMI event-queue drops": [("hotline_ami_events_dropped_total", "counter")],
    "dialer attempts by result": [("hotline_dialer_attempts_total", "counter")],
    "calls per second": [
        ("hotline_calls_started_total", "counter"),
        ("hotline_dialer_originates_total", "counter"),
    ],
    "channels per trunk and node": [("hotline_channels", "gauge")],
    "event-loop lag": [("hotline_event_loop_lag_seconds", "histogram")],
    "node up": [("hotline_ami_connected", "gauge")],
    "wake-ups": [
        ("hotline_notify_connected", "gauge"),
        ("hotline_notify_wakeups_total", "counter"),
    ],
}


def exported_types(text: str) -> dict[str, str]:
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
    return types


def missing(text: str) -> list[str]:
    types = exported_types(text)
    return [
        f"{item}: {name} ({kind})"
        for item, families in LISTED.items()
        for name, kind in families
        if types.get(name) != kind
    ]


def test_every_listed_metric_is_exported() -> None:
    text = prometheus_client.generate_latest(REGISTRY).decode()
    assert missing(text) == []


def test_the_grafana_dashboard_shows_every_listed_metric_and_no_unknown_one() -> None:
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text("utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\bhotline_\w+", expr)}
    types = exported_types(prometheus_client.generate_latest(REGISTRY).decode())
    # A histogram is queried through its _bucket series.
    known = {*types, *(f"{n}_bucket" for n, kind in types.items() if kind == "histogram")}
    assert used <= known, used - known
    listed = {name for families in LISTED.values() for name, _ in families}
    shown = {name.removesuffix("_bucket") for name in used}
    assert listed - {"hotline_dialer_originates_total"} <= shown, listed - shown
