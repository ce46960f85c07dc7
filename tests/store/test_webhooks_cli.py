"""``hotline webhooks list / retry / test`` through the real command (issue 22 item 4)."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from hotline.protocol.webhooks import HEADER_SIGNATURE, HEADER_TIMESTAMP, decode, verify
from hotline.store.accounts import ReadingDraft, ReadingStore
from hotline.store.db import Database
from hotline.store.webhooks import WebhookStore
from tests.cli_support import hermetic_store_url, run_hotline

SECRET = "cli-test-secret-0123456789"
AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


class Handler(http.server.BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[bool, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = verify(
            SECRET.encode(), self.headers[HEADER_TIMESTAMP], body, self.headers[HEADER_SIGNATURE]
        )
        Handler.got.append((signed, decode(body).kind.value))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.got = []
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: int) -> Iterator[str]:
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    for url in hermetic_store_url(tmp_path, monkeypatch):
        (tmp_path / "hotline.toml").write_text(
            "[[webhooks.endpoints]]\n"
            'name = "billing"\n'
            f'url = "http://127.0.0.1:{receiver}/hook"\n'
            'secret_env = "TEST_WEBHOOK_SECRET"\n',
            encoding="utf-8",
        )
        yield url


def dead_letter(url: str) -> int:
    async def make() -> int:
        async with Database(url) as db:
            await db.upgrade()
            draft = ReadingDraft(None, "100000000001", "M1", 1, "2026-11", 12400, 12345)
            await ReadingStore(db).submit(draft, at=AT)
            store = WebhookStore(db)
            await store.fan_out({"billing": ()}, AT)
            (delivery,) = await store.heads("billing", 10)
            await store.mark_dead(delivery.id, "HTTP 500: boom", AT)
            return delivery.id

    return asyncio.run(make())


def test_list_retry_and_test(url: str) -> None:
    delivery_id = dead_letter(url)
    code, out, err = run_hotline(url, "webhooks", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert listed["endpoints"][0] | {"oldest_pending": None} == {
        "name": "billing",
        "pending": 0,
        "dead": 1,
        "delivered": 0,
        "oldest_pending": None,
    }
    (dead,) = listed["dead_letters"]
    assert (dead["id"], dead["last_error"], dead["kind"]) == (
        delivery_id,
        "HTTP 500: boom",
        "reading.stored",
    )
    assert "data" not in dead and "body" not in dead  # no personal data in the listing
    code, out, err = run_hotline(url, "webhooks", "list")
    assert code == 0 and "HTTP 500: boom" in out and "показания приняты" in out

    code, out, err = run_hotline(url, "webhooks", "retry", str(delivery_id))
    assert code == 0, err
    code, out, err = run_hotline(url, "webhooks", "retry", str(delivery_id))
    assert code == 1 and f"no dead letter {delivery_id}" in err
    code, out, _err = run_hotline(url, "webhooks", "list", "--json")
    assert json.loads(out)["endpoints"][0]["pending"] == 1

    code, out, err = run_hotline(url, "webhooks", "test", "billing")
    assert code == 0, err
    assert out.strip() == "billing: HTTP 204"
    assert Handler.got == [(True, "ping")]
    code, out, err = run_hotline(url, "webhooks", "test", "crm")
    assert code == 1 and "no endpoint 'crm'" in err
