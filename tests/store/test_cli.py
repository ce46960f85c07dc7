"""``hotline db`` and ``hotline calls`` through the real command, against a SQLite file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.store.calllog import CallLog
from hotline.store.db import Database, head_revision
from hotline.store.enums import CallDirection, CallOutcome
from tests.cli_support import hermetic_store_url, run_hotline

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def hotline(url: str, *args: str) -> tuple[int, str, str]:
    return run_hotline(url, *args)


async def _two_calls(url: str) -> None:
    async with Database(url) as db:
        await db.upgrade()
        log = CallLog(db)
        await log.open(
            uniqueid="1700000000.1",
            direction=CallDirection.INBOUND,
            started_at=T0,
            caller="+79131234567",
        )
        for node in ("main", "readings"):
            await log.add_event("1700000000.1", "node", node, at=T0 + timedelta(seconds=1))
        await log.add_event("1700000000.1", "digits", "2", {"timeout": False}, at=T0)
        await log.set_outcome("1700000000.1", CallOutcome.OPERATOR, operator_reason="menu")
        await log.ended("1700000000.1", at=T0 + timedelta(seconds=75))
        await log.open(
            uniqueid="1700000000.9",
            direction=CallDirection.INBOUND,
            started_at=T0 + timedelta(minutes=5),
            simulated=True,
        )


def test_db_upgrade_and_current(url: str) -> None:
    # The newest migration, whichever it is (tests/store/test_migrations.py pins the chain).
    head = asyncio.run(head_revision())
    assert hotline(url, "db", "current") == (
        0,
        f"none (head is {head}; run: hotline db upgrade)\n",
        "",
    )
    code, out, _ = hotline(url, "db", "upgrade")
    assert (code, out) == (0, f"{head}\n")
    assert hotline(url, "db", "current")[:2] == (0, f"{head} (head)\n")


def test_calls_list_json_on_an_empty_new_database(url: str) -> None:
    # The database file does not exist yet: the command creates and migrates it.
    assert hotline(url, "calls", "list", "--json")[:2] == (0, "[]\n")


def test_calls_list_json(url: str) -> None:
    asyncio.run(_two_calls(url))
    code, out, _ = hotline(url, "calls", "list", "--json")
    assert code == 0
    calls = json.loads(out)
    assert [c["uniqueid"] for c in calls] == ["1700000000.9", "1700000000.1"]
    first = calls[1]
    assert first["caller"] == "+79131234567"  # staff see numbers in full
    assert first["outcome"] == "operator"
    assert first["path"] == ["main", "readings"]
    assert first["started_at"] == "2026-03-01T09:00:00+00:00"
    assert [e["kind"] for e in first["events"]] == ["digits", "node", "node"]
    assert calls[0]["simulated"] is True

    code, out, _ = hotline(url, "calls", "list", "--json", "--limit", "1")
    assert [c["uniqueid"] for c in json.loads(out)] == ["1700000000.9"]


def test_calls_list_table(url: str) -> None:
    asyncio.run(_two_calls(url))
    code, out, _ = hotline(url, "calls", "list")
    assert code == 0
    assert "main > readings" in out
    assert "+79131234567" in out
    assert "1:15" in out  # duration
    assert "входящий (sim)" in out


def test_calls_show(url: str) -> None:
    asyncio.run(_two_calls(url))
    code, out, _ = hotline(url, "calls", "show", "1700000000.1", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["path"] == ["main", "readings"]

    code, out, _ = hotline(url, "calls", "show", shown["id"])
    assert code == 0
    assert "readings" in out and '{"timeout": false}' in out and "operator" in out

    code, _, err = hotline(url, "calls", "show", "no-such-call")
    assert code == 1
    assert "no call no-such-call" in err
