"""The wallboard without a PBX: stored figures, the PBX-down notice, and the SSE stream."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import log_in


def test_wallboard_page_without_pbx(client: TestClient) -> None:
    log_in(client, "anna")  # every role sees the board
    html = client.get("/wallboard").text
    assert 'id="pbx-down"' in html
    # The stream keeps the page's «включая тестовые звонки» switch (off by default).
    assert 'sse-connect="/wallboard/stream?test=0"' in html
    assert "цель ≤ 40 с" in html  # the normal answer target
    assert 'id="tile-sl"' in html and "—" in html  # no calls today: no service level yet


def test_wallboard_stream_sends_a_board_at_once(client: TestClient) -> None:
    log_in(client, "boris")
    with client.stream("GET", "/wallboard/stream") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith("data:") and "tile-waiting" in line:
                break
    assert "event: wallboard" in lines


def test_wallboard_needs_a_session(client: TestClient) -> None:
    assert client.get("/wallboard/stream", follow_redirects=False).status_code == 303
