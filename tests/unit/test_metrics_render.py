"""`hotline prometheus render`: Debian's promtool accepts the configuration and the rules, and
the alerts fire on the series they are written for (promtool's rule unit tests)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from hotline.dialplan.prometheus_config import (
    ALERT_AMI_DROPS,
    ALERT_ENGINE_DOWN,
    ALERT_NODE_DOWN,
    ALERT_SERVICE_LEVEL,
    CONFIG_FILE,
    JOB_CONSOLE,
    JOB_ENGINE,
    RULES_FILE,
    render_config,
    render_rules,
)
from hotline.settings import load_settings


def promtool() -> str:
    found = shutil.which("promtool")
    # make test installs it (scripts/install-system-deps.sh: Debian's prometheus).
    assert found, "promtool not found: install Debian's prometheus package"
    return found


def run(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    settings = load_settings(
        overrides={"metrics": {"engine_targets": ["10.0.0.5:9470", "10.0.0.6:9470"]}}
    )
    (tmp_path / CONFIG_FILE).write_text(render_config(settings), encoding="utf-8")
    (tmp_path / RULES_FILE).write_text(render_rules(settings), encoding="utf-8")
    return tmp_path


def test_promtool_accepts_the_configuration_and_rules(rendered: Path) -> None:
    out = run("check", "config", CONFIG_FILE, cwd=rendered)
    assert "6 rules found" in out
    config = yaml.safe_load((rendered / CONFIG_FILE).read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs[JOB_ENGINE]["static_configs"][0]["targets"] == ["10.0.0.5:9470", "10.0.0.6:9470"]
    web = load_settings().web
    assert jobs[JOB_CONSOLE]["static_configs"][0]["targets"] == [f"{web.host}:{web.port}"]


RULE_TESTS = {
    "rule_files": [RULES_FILE],
    "evaluation_interval": "1m",
    "tests": [
        {
            "interval": "1m",
            "input_series": [
                {"series": f'up{{job="{JOB_ENGINE}", instance="w1"}}', "values": "1 0 0 0 0"},
                {"series": f'up{{job="{JOB_ENGINE}", instance="w2"}}', "values": "1 1 1 1 1"},
                {
                    "series": 'hotline_ami_connected{job="e", instance="w2", node="pbx1:5038"}',
                    "values": "1 0 0 0 0",
                },
                {
                    "series": 'hotline_ami_events_dropped_total{job="e", instance="w2"}',
                    "values": "0 0 3 3 3",
                },
            ],
            "alert_rule_test": [
                {
                    "eval_time": "4m",
                    "alertname": ALERT_ENGINE_DOWN,
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "critical",
                                "job": JOB_ENGINE,
                                "instance": "w1",
                            },
                            "exp_annotations": {
                                "summary": "Engine worker w1 is down",
                                "description": (
                                    "Calls to this worker's FastAGI fall back to the operator "
                                    "queue; campaigns on it stop until it is back or another "
                                    "worker adopts them."
                                ),
                            },
                        }
                    ],
                },
                # Down for one minute only: not yet.
                {"eval_time": "2m", "alertname": ALERT_ENGINE_DOWN, "exp_alerts": []},
                {
                    "eval_time": "4m",
                    "alertname": ALERT_NODE_DOWN,
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "critical",
                                "job": "e",
                                "instance": "w2",
                                "node": "pbx1:5038",
                            },
                            "exp_annotations": {
                                "summary": "Asterisk node pbx1:5038 unreachable from w2",
                                "description": (
                                    "No AMI connection: the engine cannot see the node's "
                                    "queue or dial through it."
                                ),
                            },
                        }
                    ],
                },
                {
                    "eval_time": "2m",
                    "alertname": ALERT_AMI_DROPS,
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "warning", "job": "e", "instance": "w2"},
                            "exp_annotations": {
                                "summary": "w2 dropped AMI events",
                                "description": (
                                    "A consumer of AMI events fell behind; call and queue "
                                    "records may miss events."
                                ),
                            },
                        }
                    ],
                },
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                {
                    "series": 'hotline_queue_service_level_ratio{job="e", instance="w", '
                    'queue="ops"}',
                    "values": "0.6x30",
                },
                {
                    "series": 'hotline_queue_service_level_target_ratio{job="e", '
                    'instance="w", queue="ops"}',
                    "values": "0.8x30",
                },
                {
                    "series": 'hotline_queue_service_level_ratio{job="e", instance="w", '
                    'queue="disp"}',
                    "values": "0.9x30",
                },
                {
                    "series": 'hotline_queue_service_level_target_ratio{job="e", '
                    'instance="w", queue="disp"}',
                    "values": "0.8x30",
                },
            ],
            "alert_rule_test": [
                {"eval_time": "10m", "alertname": ALERT_SERVICE_LEVEL, "exp_alerts": []},
                {
                    "eval_time": "20m",
                    "alertname": ALERT_SERVICE_LEVEL,
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "warning",
                                "job": "e",
                                "instance": "w",
                                "queue": "ops",
                            },
                            "exp_annotations": {
                                "summary": "Queue ops answers 60% within target",
                                "description": (
                                    "Fewer calls answered within the answer target than the "
                                    "service level asks (R-026): add operators or switch on "
                                    "emergency mode."
                                ),
                            },
                        }
                    ],
                },
            ],
        },
    ],
}


def test_alerts_fire_on_the_series_they_watch(rendered: Path) -> None:
    tests = rendered / "alerts.test.yml"
    tests.write_text(yaml.safe_dump(RULE_TESTS, sort_keys=False), encoding="utf-8")

    out = run("test", "rules", tests.name, cwd=rendered)

    assert "SUCCESS" in out
