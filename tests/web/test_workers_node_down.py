"""Issue 20 item 3: the wallboard says which cluster node no live engine worker reaches."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi.testclient import TestClient

from hotline.core.clock import utc_now
from hotline.settings import ClusterSettings, Settings
from hotline.store.db import Database
from hotline.store.workers import WorkerRegistry
from hotline.web.app import create_app
from tests.web.conftest import log_in

NODES = ClusterSettings.model_validate(
    {
        "nodes": [
            {"name": "pbx1", "sip_host": "127.0.0.2", "ami_host": "127.0.0.2"},
            {"name": "pbx2", "sip_host": "127.0.0.3", "ami_host": "127.0.0.3"},
        ]
    }
)


async def workers(settings: Settings, rows: list[tuple[str, str, bool, float]]) -> None:
    db = Database.from_settings(settings)
    registry = WorkerRegistry(db)
    now = utc_now()
    for name, node, ami_up, age in rows:
        await registry.register(name, "host", 1, node, now - timedelta(seconds=age))
        await registry.heartbeat(name, now - timedelta(seconds=age), ami_up=ami_up)
    await db.dispose()


def board(settings: Settings) -> str:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        log_in(client, "boris")
        return client.get("/wallboard").text


def test_the_wallboard_says_a_node_is_down(settings: Settings) -> None:
    cluster = settings.model_copy(update={"cluster": NODES})
    # w1 reaches pbx1; w2 on pbx2 lost its AMI; w3 on pbx2 stopped beating a minute ago.
    asyncio.run(workers(cluster, [("w1", "pbx1", True, 0), ("w2", "pbx2", False, 0)]))
    asyncio.run(workers(cluster, [("w3", "pbx2", True, 60)]))
    html = board(cluster)
    assert 'id="node-down-pbx2"' in html and "Узел АТС pbx2 недоступен" in html
    assert 'id="node-down-pbx1"' not in html
    asyncio.run(workers(cluster, [("w2", "pbx2", True, 0)]))
    assert 'id="node-down-pbx2"' not in board(cluster)
    # One machine (no cluster nodes): no node alarms at all.
    assert "node-down" not in board(settings)
