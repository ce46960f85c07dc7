"""The wallboard's node state with node ownership on PostgreSQL (issue 20): a node whose
configured worker died is not down while another worker drives it under a live lease with
its AMI up; it is down when that lease lapses or that AMI is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from hotline.core.clock import utc_now
from hotline.settings import ClusterSettings, Settings
from hotline.store.db import Database
from hotline.store.leases import NodeLeases
from hotline.store.workers import WorkerRegistry
from hotline.web.wallboard_model import nodes_down
from tests.store.conftest import PG_TEST_URL, clean_postgres

pytestmark = [pytest.mark.postgres]

NODES = ClusterSettings.model_validate(
    {
        "nodes": [
            {"name": "n1", "sip_host": "127.0.0.2", "ami_host": "127.0.0.2"},
            {"name": "n2", "sip_host": "127.0.0.3", "ami_host": "127.0.0.3"},
        ]
    }
)


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    await clean_postgres(PG_TEST_URL)
    db = Database(PG_TEST_URL)
    await db.upgrade()
    yield db
    await db.dispose()


async def test_a_node_taken_over_is_not_down(pg: Database) -> None:
    settings = Settings().model_copy(update={"cluster": NODES})
    now = utc_now()
    registry = WorkerRegistry(pg)
    # w1 lives on n1; w2 (n2's configured worker) stopped beating a minute ago.
    await registry.register("w1", "h", 1, "n1", now)
    await registry.heartbeat("w1", now, ami_up=True)
    await registry.register("w2", "h", 2, "n2", now - timedelta(minutes=1))
    assert await nodes_down(pg, settings, now) == ["n2"]
    leases = NodeLeases(pg)
    taken = await leases.acquire("n2", "w1", 30.0)
    assert taken is not None
    # Taken over, AMI to n2 not up yet: still down.
    assert await leases.renew(taken, 30.0, ami_up=False) is not None
    assert await nodes_down(pg, settings, now) == ["n2"]
    assert await leases.renew(taken, 30.0, ami_up=True) is not None
    assert await nodes_down(pg, settings, now) == []
    # The lease lapses (its owner died too): down again.
    async with pg.session() as session:
        await session.execute(text("UPDATE node_leases SET expires_at = expires_at - 3600"))
    assert await nodes_down(pg, settings, now) == ["n2"]
