"""The console's /metrics: Prometheus' text format for an allowed client, without a log-in;
refused to other addresses and to anything that came through a proxy (issue 20)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.web.app import create_app


def test_loopback_scraper_reads_metrics_without_logging_in(settings: Settings) -> None:
    with TestClient(
        create_app(settings), base_url="http://127.0.0.1", client=("127.0.0.1", 40000)
    ) as client:
        response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE hotline_fastagi_sessions_total counter" in response.text
    assert "# TYPE hotline_fastagi_command_seconds histogram" in response.text
    assert "process_cpu_seconds_total" in response.text


def test_other_addresses_and_proxied_requests_are_refused(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1", client=("192.0.2.7", 40000)) as client:
        assert client.get("/metrics").status_code == 403
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 40000)) as client:
        proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 403
        assert "hotline_" not in proxied.text
