"""``hotline prometheus render``: a Prometheus configuration that scrapes every engine worker
and the console, and the alert rules a contact center is run by (issue 20).

Pure: settings in, file texts out (YAML, built as data and dumped, so no value can break the
format).  ``promtool check config`` / ``check rules`` / ``test rules`` accept them
(tests/unit/test_prometheus_render.py runs Debian's promtool on the output).
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from hotline.settings import Settings

CONFIG_FILE: Final = "prometheus.yml"
RULES_FILE: Final = "hotline-alerts.yml"
JOB_ENGINE: Final = "hotline-engine"
JOB_CONSOLE: Final = "hotline-console"

# Alert names: the runbook in the README names them too.
ALERT_ENGINE_DOWN: Final = "HotlineEngineDown"
ALERT_CONSOLE_DOWN: Final = "HotlineConsoleDown"
ALERT_NODE_DOWN: Final = "HotlineAsteriskNodeDown"
ALERT_SERVICE_LEVEL: Final = "HotlineServiceLevelBelowTarget"
ALERT_AMI_DROPS: Final = "HotlineAmiEventsDropped"
ALERT_LOOP_LAG: Final = "HotlineEventLoopLag"


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def engine_targets(settings: Settings) -> list[str]:
    metrics = settings.metrics
    return list(metrics.engine_targets) or [_host_port(metrics.host, metrics.port)]


def render_config(settings: Settings, rules_path: str = RULES_FILE) -> str:
    metrics = settings.metrics
    interval = f"{metrics.scrape_interval_seconds}s"
    console = _host_port(settings.web.host, settings.web.port)
    config: dict[str, Any] = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [rules_path],
        "scrape_configs": [
            {
                "job_name": JOB_ENGINE,
                "static_configs": [{"targets": engine_targets(settings)}],
            },
            {
                "job_name": JOB_CONSOLE,
                "scheme": "http",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [console]}],
            },
        ],
    }
    return _dump(config)


def render_rules(settings: Settings) -> str:
    after = f"{settings.metrics.alert_after_minutes}m"
    rules = [
        _alert(
            ALERT_ENGINE_DOWN,
            f'up{{job="{JOB_ENGINE}"}} == 0',
            after,
            "critical",
            "Engine worker {{ $labels.instance }} is down",
            "Calls to this worker's FastAGI fall back to the operator queue; campaigns on it "
            "stop until it is back or another worker adopts them.",
        ),
        _alert(
            ALERT_CONSOLE_DOWN,
            f'up{{job="{JOB_CONSOLE}"}} == 0',
            after,
            "warning",
            "The console {{ $labels.instance }} is down",
            "Operators and supervisors cannot open the console; calls are not affected.",
        ),
        _alert(
            ALERT_NODE_DOWN,
            "hotline_ami_connected == 0",
            after,
            "critical",
            "Asterisk node {{ $labels.node }} unreachable from {{ $labels.instance }}",
            "No AMI connection: the engine cannot see the node's queue or dial through it.",
        ),
        _alert(
            ALERT_SERVICE_LEVEL,
            "hotline_queue_service_level_ratio < on(instance, job, queue) "
            "hotline_queue_service_level_target_ratio",
            "15m",
            "warning",
            "Queue {{ $labels.queue }} answers {{ $value | humanizePercentage }} within target",
            "Fewer calls answered within the answer target than the service level asks "
            "(R-026): add operators or switch on emergency mode.",
        ),
        _alert(
            ALERT_AMI_DROPS,
            "increase(hotline_ami_events_dropped_total[5m]) > 0",
            "0m",
            "warning",
            "{{ $labels.instance }} dropped AMI events",
            "A consumer of AMI events fell behind; call and queue records may miss events.",
        ),
        _alert(
            ALERT_LOOP_LAG,
            "histogram_quantile(0.99, rate(hotline_event_loop_lag_seconds_bucket[5m])) > 0.05",
            "5m",
            "warning",
            "{{ $labels.instance }}'s event loop lags",
            "Something blocks the engine's event loop; callers may hear pauses.",
        ),
    ]
    return _dump({"groups": [{"name": "hotline", "rules": rules}]})


def _alert(
    name: str, expr: str, after: str, severity: str, summary: str, description: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": after,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def _dump(data: dict[str, Any]) -> str:
    header = "# Rendered by `hotline prometheus render`; edit the settings, not this file.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
