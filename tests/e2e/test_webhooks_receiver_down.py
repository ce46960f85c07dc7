"""Webhooks through the real Asterisk (issue 22 item 4, Done-when): a caller gives a meter
reading and hangs up while the billing receiver is down; the receiver comes back a minute
later and gets every event exactly once, in order, each signed.

The test mostly sleeps (the minute the receiver is down), which costs no CPU."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hotline.app import running_engine
from hotline.protocol.webhooks import (
    HEADER_EVENT_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    verify,
)
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.models import WebhookDeliveryStatus
from hotline.store.webhooks import WebhookStore
from tests.e2e.engine_support import engine_settings, simulate
from tests.e2e.test_readings_calls import SINGLE, SINGLE_PHONE, seed

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sandbox")]

SECRET = "e2e-webhook-secret-0123456789"
SECRET_ENV = "E2E_WEBHOOK_SECRET"
# The Done-when's figure: the receiver is down for a minute.
DOWN_SECONDS = 60.0
# How long the receiver may take to get everything once it is back (retries are 1-3 s).
CATCH_UP_SECONDS = 20.0


class Receiver(http.server.BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, port: int, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    endpoint = {
        "name": "billing",
        "url": f"http://127.0.0.1:{port}/hook",
        "secret_env": SECRET_ENV,
    }
    return engine_settings(
        tmp_path / "hotline.db",
        webhooks={
            "endpoints": [endpoint],
            "retry_min_delay": 1.0,
            "retry_max_delay": 3.0,
            "poll_interval": 0.5,
        },
    )


@pytest.fixture
def receiver(port: int) -> Iterator[Any]:
    """Starts the receiver on ``port`` when called; stops it at the end."""
    servers: list[http.server.ThreadingHTTPServer] = []
    Receiver.got = []

    def start() -> None:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


async def wait_for(predicate: Any, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.25)
    return await predicate()  # type: ignore[no-any-return]


async def test_a_receiver_down_for_a_minute_gets_every_event_once_in_order(
    settings: Settings, receiver: Any
) -> None:
    await seed(settings)
    down_since = time.monotonic()
    async with running_engine(settings) as engine:
        await engine.ami.wait_connected(10)
        # Readings, "yes, my account", 12400 and 1 to confirm; then the caller hangs up.
        transcript = await simulate(settings, "1w1w12400#w1", caller_id=SINGLE_PHONE)
        assert transcript.call_log is not None
        store = WebhookStore(engine.db)

        async def both_failed() -> bool:
            deliveries = await store.deliveries("billing")
            return len(deliveries) == 2 and all(d.last_error for d in deliveries[:1])

        assert await wait_for(both_failed, 15.0), await store.deliveries("billing")
        stored = [event_id for event_id, _kind in await store.events()]
        # The receiver is down for a minute, then comes back on the same address.
        await asyncio.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_since)))
        receiver()

        async def all_delivered() -> bool:
            return all(
                d.status is WebhookDeliveryStatus.DELIVERED
                for d in await store.deliveries("billing")
            )

        assert await wait_for(all_delivered, CATCH_UP_SECONDS)
    # The engine has stopped: nothing more can arrive.
    got = Receiver.got
    ids = [headers[HEADER_EVENT_ID] for headers, _body in got]
    assert ids == stored  # every event exactly once, in order
    bodies = [json.loads(body) for _headers, body in got]
    assert [b["kind"] for b in bodies] == ["reading.stored", "call.inbound.ended"]
    for headers, body in got:
        assert verify(SECRET.encode(), headers[HEADER_TIMESTAMP], body, headers[HEADER_SIGNATURE])
    reading, call = (b["data"] for b in bodies)
    assert (reading["account"], reading["value"], reading["consumption"]) == (SINGLE, 12400, 55)
    assert reading["call_id"] == transcript.call_log["id"]
    assert call["call_id"] == transcript.call_log["id"]
    assert call["outcome"] == "completed" and "readings" in " ".join(call["ivr_path"])
    assert call["accounts"] == [SINGLE]
    async with Database.from_settings(settings) as db:
        first = (await WebhookStore(db).deliveries("billing"))[0]
    assert first.tries >= 2 and first.last_error  # it was tried while the receiver was down
