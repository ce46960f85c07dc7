"""Issue 20 item 4: the console's ``/metrics`` exports every figure the issue lists."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.web.app import create_app
from tests.unit.test_notify_metrics_names import missing


def test_the_console_exports_every_listed_metric(settings: Settings) -> None:
    with TestClient(
        create_app(settings), base_url="http://127.0.0.1", client=("127.0.0.1", 40000)
    ) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert missing(response.text) == []
