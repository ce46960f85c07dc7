"""``hotline ivr stats`` through the real command, against a SQLite file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from tests.cli_support import hermetic_store_url, run_hotline

# 2026-03-01 10:00 in Krasnoyarsk (hours.timezone default, UTC+7).
T0 = datetime(2026, 3, 1, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def hotline(url: str, *args: str) -> tuple[int, str, str]:
    return run_hotline(url, *args, settings=("hours.timezone=Asia/Krasnoyarsk",))


async def _calls(url: str) -> None:
    async with Database(url) as db:
        await db.upgrade()
        log = CallLog(db)

        async def walk(
            uniqueid: str,
            start: datetime,
            steps: list[tuple[int, str, str]],
            outcome: CallOutcome,
            *,
            end: int,
            reason: str | None = None,
            simulated: bool = False,
        ) -> None:
            await log.open(
                uniqueid=uniqueid,
                direction=CallDirection.INBOUND,
                started_at=start,
                simulated=simulated,
            )
            for second, kind, value in steps:
                await log.add_event(uniqueid, kind, value, at=start + timedelta(seconds=second))
            await log.set_outcome(uniqueid, outcome, operator_reason=reason)
            await log.ended(uniqueid, at=start + timedelta(seconds=end))

        await walk(
            "1.1",
            T0,
            [(0, "node", "main"), (4, "digits", "2"), (4, "node", "balance")],
            CallOutcome.COMPLETED,
            end=14,
        )
        await walk(
            "1.2",
            T0 + timedelta(hours=1),
            [(0, "node", "main"), (6, "digits", "0"), (6, "node", "operator")],
            CallOutcome.OPERATOR,
            end=66,
            reason="menu",
        )
        await walk(
            "1.3", T0 + timedelta(hours=2), [(0, "node", "main")], CallOutcome.ABANDONED, end=5
        )
        await walk(
            "1.4",
            T0 + timedelta(hours=3),
            [(0, "node", "main")],
            CallOutcome.ABANDONED,
            end=2,
            simulated=True,
        )
        # The next local day: outside --to 2026-03-01.
        await walk(
            "2.1", T0 + timedelta(days=1), [(0, "node", "main")], CallOutcome.COMPLETED, end=1
        )


def test_ivr_stats_json(url: str) -> None:
    asyncio.run(_calls(url))
    code, out, err = hotline(
        url, "ivr", "stats", "--from", "2026-03-01", "--to", "2026-03-01", "--json"
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["from"] == "2026-03-01T00:00:00+07:00"
    assert data["to"] == "2026-03-02T00:00:00+07:00"
    assert data["calls"] == 3
    assert data["containment"] == pytest.approx(1 / 3)
    assert data["exits"] == {"hung up": 1, "operator": 1, "self-served": 1}
    assert data["node_entries"] == {"main": 3, "balance": 1, "operator": 1}
    assert data["keys"] == {"main": {"0": 1, "2": 1}}
    assert data["abandon_points"] == {"main": 1}
    assert data["average_seconds"] == {"main": 5.0, "balance": 10.0, "operator": 60.0}
    assert data["operator_reasons"] == {"menu": 1}

    _, out, _ = hotline(
        url,
        "ivr",
        "stats",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-01",
        "--json",
        "--include-simulated",
    )
    assert json.loads(out)["abandon_points"] == {"main": 2}


def test_ivr_stats_iso_datetimes_and_tables(url: str) -> None:
    asyncio.run(_calls(url))
    # 10:00-11:30 local: the first two calls only.
    code, out, _ = hotline(
        url, "ivr", "stats", "--from", "2026-03-01T10:00", "--to", "2026-03-01T11:30"
    )
    assert code == 0
    assert "containment" in out and "50.0%" in out
    assert "Option usage" in out and "0: 1, 2: 1" in out
    assert "Abandon points" in out


def test_ivr_stats_bad_dates(url: str) -> None:
    code, _, err = hotline(url, "ivr", "stats", "--from", "March", "--to", "2026-03-01")
    assert code == 2 and "bad date 'March'" in err
    code, _, err = hotline(url, "ivr", "stats", "--from", "2026-03-02", "--to", "2026-03-01")
    assert code == 2 and "--to must be after --from" in err


def test_ivr_stats_csv_for_russian_excel_and_xlsx(url: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    asyncio.run(_calls(url))
    period = ("--from", "2026-03-01", "--to", "2026-03-02")
    csv_file, xlsx_file = tmp_path / "ivr.csv", tmp_path / "ivr.xlsx"
    assert hotline(url, "ivr", "stats", *period, "-f", "csv", "-o", str(csv_file))[0] == 0
    raw = csv_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    assert "Звонков в IVR;4" in lines
    assert "Обслужено без оператора, доля;0,5" in lines  # decimal comma
    assert "01.03.2026;3;1;1;1;0,3333" in lines
    assert "02.03.2026;1;1;0;0;1" in lines

    code, _, err = hotline(url, "ivr", "stats", *period, "-f", "xlsx")
    assert code == 2 and "needs --output" in err
    assert hotline(url, "ivr", "stats", *period, "-f", "xlsx", "-o", str(xlsx_file))[0] == 0
    book = load_workbook(xlsx_file)
    assert book.sheetnames == ["Итоги", "Пункты меню", "По дням"]
    daily = list(book["По дням"].iter_rows(values_only=True))
    assert daily[0][:2] == ("Дата", "Звонков")
    assert daily[1][0] == datetime(2026, 3, 1) and daily[1][1:5] == (3, 1, 1, 1)
