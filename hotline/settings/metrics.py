"""Prometheus metrics (issue 20): where each process serves ``/metrics`` and what the rendered
Prometheus configuration scrapes and alerts on."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, Field, field_validator

from hotline.settings.base import SECTION_CONFIG


class MetricsSettings(BaseModel):
    model_config = SECTION_CONFIG

    # The engine serves /metrics on its own listener (a thread: scraping never touches the
    # event loop).  Loopback unless configured, like everything else.
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9470, ge=1, le=65535)
    # Queue and channel figures are sampled from Asterisk this often (QueueStatus and
    # CoreShowChannels: two AMI actions per sample).
    sample_interval: float = Field(default=5.0, gt=0.0)
    # The event-loop lag probe's period.
    loop_lag_interval: float = Field(default=0.5, gt=0.0)
    # Who may read the console's /metrics without logging in (aggregate figures only, no
    # personal data): Prometheus' address.
    allowed_clients: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    # `hotline prometheus render`: engine workers' /metrics addresses (host:port); empty: this
    # engine's own host and port.
    engine_targets: list[str] = Field(default_factory=list)
    scrape_interval_seconds: int = Field(default=15, gt=0)
    # The test bed's Prometheus (tests/e2e/test_metrics_prometheus.py); not 9090, which a
    # system Prometheus may hold.
    prometheus_host: str = "127.0.0.1"
    prometheus_port: int = Field(default=9490, ge=1, le=65535)
    # Alerts: how long a condition must hold before it fires, minutes.
    alert_after_minutes: int = Field(default=2, gt=0)

    @field_validator("allowed_clients")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value
