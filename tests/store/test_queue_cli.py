"""`hotline operators|callbacks|queue stats|recordings` through the real command, against a
SQLite file (the AMI sub-commands run end to end in tests/e2e/test_operator_queue.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.enums import QueueEventKind as K
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.cli_support import hermetic_store_url, period_around, run_hotline


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("USER", "tester")
    yield from hermetic_store_url(tmp_path, monkeypatch)


def seed(url: str) -> None:
    """One answered call (waited 20 s) and one callback request, an hour ago."""

    async def main() -> None:
        async with Database(url) as db:
            await db.upgrade()
            at = datetime.now(UTC) - timedelta(hours=1)
            await CallLog(db).open(uniqueid="a", direction=CallDirection.INBOUND, started_at=at)
            events = QueueEvents(db)
            await events.add(QueueEventRecord(at, K.JOIN, "a", "q"))
            await events.add(QueueEventRecord(at + timedelta(seconds=20), K.CONNECT, "a", "q"))
            await CallbackStore(db).request("79001234567", source="closed", uniqueid="a")

    asyncio.run(main())


def test_operators_add_and_list(url: str) -> None:
    code, out, _ = run_hotline(url, "operators", "add", "ivanova", "--device", "PJSIP/op-ivanova")
    assert code == 0 and "PJSIP/op-ivanova" in out
    code, out, _ = run_hotline(
        url, "operators", "add", "sim1", "--simulated", "--answer-after", "-1"
    )
    assert code == 0 and "Local/never-5-sim1@hotline-sim-operator/n" in out
    code, out, _ = run_hotline(url, "operators", "list", "--json")
    assert [o["name"] for o in json.loads(out)] == ["ivanova", "sim1"]
    code, _, err = run_hotline(url, "operators", "add", "ivanova", "--device", "PJSIP/x")
    assert code == 1 and "already exists" in err
    code, _, err = run_hotline(url, "operators", "add", "Bad Name", "--device", "PJSIP/x")
    assert code == 2 and "invalid operator name" in err
    code, _, err = run_hotline(url, "operators", "add", "x", "--device", "PJSIP/x", "--simulated")
    assert code == 2 and "exactly one" in err


def test_callbacks_list_and_done(url: str) -> None:
    seed(url)
    code, out, _ = run_hotline(url, "callbacks", "list", "--json")
    (item,) = json.loads(out)
    assert item["number"] == "79001234567" and item["status"] == "open"
    code, out, _ = run_hotline(url, "callbacks", "done", str(item["id"]), "--by", "ivanova")
    assert code == 0 and "done by ivanova" in out and "79001234567" not in out  # masked
    code, out, _ = run_hotline(url, "callbacks", "list", "--json")
    assert json.loads(out) == []
    code, out, _ = run_hotline(url, "callbacks", "list", "--all", "--json")
    assert json.loads(out)[0]["done_by"] == "ivanova"
    code, _, err = run_hotline(url, "callbacks", "done", "42")
    assert code == 1 and "no callback request 42" in err


def test_callback_done_is_audited_like_in_the_console(url: str) -> None:
    """Marking a request done touches personal data (the caller's number): audited."""
    seed(url)
    code, out, _ = run_hotline(url, "callbacks", "list", "--json")
    (item,) = json.loads(out)
    code, _, _ = run_hotline(url, "callbacks", "done", str(item["id"]), "--note", "перезвонили")
    assert code == 0
    code, out, _ = run_hotline(url, "audit", "list", "--action", "callback.done", "--json")
    (entry,) = json.loads(out)
    assert (entry["actor"], entry["channel"], entry["target"], entry["detail"]) == (
        "tester",
        "cli",
        str(item["id"]),
        {"note": "перезвонили"},
    )
    # An unknown request changes nothing, so nothing is audited.
    assert run_hotline(url, "callbacks", "done", "999")[0] == 1
    code, out, _ = run_hotline(url, "audit", "list", "--action", "callback.done", "--json")
    assert len(json.loads(out)) == 1


def test_listing_callbacks_is_audited_like_in_the_console(url: str) -> None:
    """The list shows callers' numbers: the CLI audits it as the operator panel does."""
    seed(url)
    assert run_hotline(url, "callbacks", "list", "--json")[0] == 0
    assert run_hotline(url, "callbacks", "list", "--all", "--json")[0] == 0
    code, out, _ = run_hotline(url, "audit", "list", "--action", "callbacks.view", "--json")
    assert code == 0
    entries = json.loads(out)
    assert sorted((e["actor"], e["channel"], json.dumps(e["detail"])) for e in entries) == [
        ("tester", "cli", json.dumps({"all": 1})),
        ("tester", "cli", json.dumps({"open": 1})),
    ]


def test_a_failed_command_names_itself(url: str) -> None:
    """Errors are prefixed with the command typed, not with the module that ran it."""
    code, _, err = run_hotline(url, "callbacks", "done", "999")
    # The last line: migration logging comes first on a fresh database.
    assert (code, err.splitlines()[-1]) == (1, "callbacks: no callback request 999")


def test_queue_stats_formats(url: str, tmp_path: Path) -> None:
    seed(url)
    # Today and yesterday (local): the call an hour ago and the callback request just now,
    # also between midnight and 1 a.m., when they fall on two days (the period around the
    # call missed the request then).
    period = period_around(datetime.now(UTC))
    code, out, _ = run_hotline(url, "queue", "stats", *period, "--format", "json")
    data = json.loads(out)
    assert (data["offered"], data["answered"], data["callbacks_requested"]) == (1, 1, 1)
    kpis = {k["name"]: k for k in data["kpis"]}
    assert kpis["service_level"]["value"] == 1.0 and kpis["service_level"]["met"] is True
    assert kpis["average_wait_answered"]["value"] == 20.0

    # CSV as Russian Excel opens it (hotline.core.spreadsheets): BOM, ";" and decimal commas.
    code, out, _ = run_hotline(url, "queue", "stats", *period, "--format", "csv")
    assert out.startswith("\ufeff")
    rows = {row[0]: row for row in csv.reader(io.StringIO(out[1:]), delimiter=";") if row}
    # The target share is the seed's, every call (R-026; it was 0.9 before issue 15).
    # The KPI's Russian label sits beside its code (issue 18).
    assert rows["service_level"][1].startswith("Уровень сервиса")
    assert rows["service_level"][2:6] == ["1", "1", "share", "да"]
    assert rows["offered"][1:] == ["1"]

    target = tmp_path / "report.xlsx"
    code, out, _ = run_hotline(
        url, "queue", "stats", *period, "--format", "xlsx", "--output", str(target)
    )
    assert code == 0
    book = load_workbook(target)
    assert book.sheetnames == [
        "KPI",
        "Counts",
        "Over 40 s",
        "Queued calls",
        "Operators' pauses",
        "Оценки операторов",
    ]
    kpi_header, *kpi_rows = book["KPI"].iter_rows(values_only=True)
    assert kpi_header[:3] == ("kpi", "показатель", "value")  # the label beside the code
    kpi = {row[0]: row[2] for row in kpi_rows}
    assert kpi["service_level"] == 1.0
    counts = {row[0]: row[1] for row in book["Counts"].iter_rows(values_only=True)}
    assert counts["offered"] == 1
    (header, call) = list(book["Queued calls"].iter_rows(values_only=True))
    assert dict(zip(header, call, strict=True))["wait_s"] == 20

    code, out, _ = run_hotline(url, "queue", "stats", *period)
    assert code == 0 and "Уровень сервиса" in out and "100.0 %" in out
    code, _, err = run_hotline(url, "queue", "stats", *period, "--format", "xlsx")
    assert code == 2 and "--output" in err


def test_recordings_list_export_audit(url: str, tmp_path: Path) -> None:
    code, out, _ = run_hotline(url, "recordings", "list", "--json")
    assert code == 0 and json.loads(out) == []
    code, _, err = run_hotline(url, "recordings", "export", "-o", str(tmp_path / "x.zip"))
    assert code == 2 and "--call" in err
    code, out, _ = run_hotline(url, "recordings", "purge")
    assert code == 0 and "purged 0 recordings" in out
    code, out, _ = run_hotline(url, "recordings", "audit")
    actions = [json.loads(line)["action"] for line in out.splitlines()]
    assert actions == ["list"] and json.loads(out.splitlines()[0])["by"] == "tester"
