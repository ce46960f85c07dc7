"""``hotline scenario``, ``hotline dnc`` and ``hotline campaign`` through the real command."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.cli_support import hermetic_store_url, run_hotline

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


PASSWORD = "correct horse battery"


def _console_users(url: str, roles: dict[str, str]) -> None:
    """Console users with PASSWORD: the CLI approves only with a console password."""
    import asyncio

    from hotline.access.users import Role, Users
    from hotline.settings import WebSettings
    from hotline.store.audit import Actor
    from hotline.store.db import Database

    async def work() -> None:
        async with Database(url) as db:
            await db.upgrade()
            users = Users(db, WebSettings())
            for name, role in roles.items():
                await users.add(name, Role(role), PASSWORD, Actor("setup", "cli"))

    asyncio.run(work())


def _password_file(tmp_path: Path) -> str:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return str(path)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_campaign_life_cycle(url: str, tmp_path: Path) -> None:
    def hotline(*args: str) -> tuple[int, str, str]:
        return run_hotline(url, *args, settings=(f"paths.prompts_dir={PROMPTS}",))

    assert hotline("scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    code, out, _ = hotline("scenario", "show", "debt")
    assert code == 0 and "amount" in out and "version 1" in out
    _console_users(url, {"anna": "supervisor", "boris": "supervisor"})
    pw = ("--password-file", _password_file(tmp_path))
    assert hotline("dnc", "add", "8 913 123-45-69", "--by", "anna")[0] == 0
    assert hotline("dnc", "list")[1].split() == ["+79131234569"]
    # A list not taken from the billing contracts: the debt campaign's default rule (numbers
    # from the contract only, R-084) is switched off; tests/store/test_d15_contract.py has it on.
    rules = tmp_path / "rules.yaml"
    rules.write_text("contract_numbers_only: false\n", encoding="utf-8")
    code, _, err = hotline(
        "campaign", "create", "dec", "--scenario", "debt", "--rules", str(rules), "--by", "anna"
    )
    assert code == 0, err

    bad = _csv(
        tmp_path / "bad.csv",
        [
            ["phone", "amount", "due_date", "timezone"],
            ["+79131234561", "100.50", "2026-12-10", "Asia/Krasnoyarsk"],
            ["12", "100", "2026-12-10", ""],
            ["+79131234562", "сто", "10.12.2026", "Mars/Base"],
        ],
    )
    code, _out, err = hotline("campaign", "import", "dec", str(bad))
    assert code == 1
    assert "row 3, phone" in err
    assert "row 4, amount" in err and "row 4, timezone" in err
    assert "nothing imported" in err
    # Nothing half-imported: the campaign still has no list, so it cannot be approved.
    code, _, err = hotline("campaign", "approve", "dec", "--by", "boris", *pw)
    assert code == 1 and "no contacts" in err

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["Телефон", "amount", "due_date", "account"],
        ["+7 913 123-45-61", 100.5, "2026-12-10", "1001"],
        ["89131234561", 7, "2026-12-10", "1002"],
        ["+79131234569", 10, "2026-12-10", "1003"],
        ["+79131234562", 2500, "10.12.2026", ""],
    ):
        sheet.append(row)
    book.save(tmp_path / "good.xlsx")
    code, out, err = hotline("campaign", "import", "dec", str(tmp_path / "good.xlsx"))
    assert code == 0, err
    assert "duplicate removed: row 3" in out
    assert "do-not-call removed: row 4" in out
    assert "2 contact(s) imported of 4 row(s)" in out

    code, _, err = hotline("campaign", "start", "dec")
    assert code == 1 and "only an approved campaign starts" in err
    code, _, err = hotline("campaign", "approve", "dec", "--by", "anna", *pw)
    assert code == 1 and "another user" in err
    assert hotline("campaign", "approve", "dec", "--by", "boris", *pw)[0] == 0
    assert hotline("campaign", "start", "dec")[0] == 0
    code, out, _ = hotline("campaign", "show", "dec")
    assert code == 0 and "approved_by: boris" in out and "scenario: debt version 1" in out
    assert "imported: 2" in out
    code, out, _ = hotline("campaign", "status", "dec")
    assert code == 0 and "0/2 done" in out and "2 pending" in out
    code, out, _ = hotline("campaign", "why", "dec")
    assert code == 0 and "2" in out
    assert hotline("campaign", "pause", "dec")[0] == 0
    code, out, _ = hotline("campaign", "why", "dec")
    assert "кампания приостановлена" in out
    assert hotline("campaign", "resume", "dec")[0] == 0
    code, out, _ = hotline("campaign", "set", "dec", "--max-channels", "2", "--retry", "busy=5")
    assert code == 0 and '"max_channels": 2' in out and '"busy": 5.0' in out
    code, out, _ = hotline("campaign", "limits", "--cps", "3")
    assert "calls_per_second = 3 (set)" in out
    assert hotline("campaign", "stop", "dec")[0] == 0
    code, out, _ = hotline("campaign", "status", "dec", "--watch", "0.1")
    assert code == 0 and "dec: остановлена" in out  # --watch ends with the campaign
    code, out, _ = hotline(
        "campaign",
        "report",
        "dec",
        "--csv",
        str(tmp_path / "out"),
        "--xlsx",
        str(tmp_path / "r.xlsx"),
    )
    assert code == 0 and "кампания закончилась раньше" in out  # the reason's label
    # The Russian-Excel dialect of the console's download: UTF-8 with a BOM, ";" between fields.
    raw = (tmp_path / "out" / "dec-contacts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";")
    assert header[:4] == ["row", "phone", "state", "состояние"]  # a label beside the code
    assert rows[0][header.index("reason") + 1] == "кампания закончилась раньше"
    # Text that starts with "+" is quoted, so Excel does not read a phone number as a number.
    assert [row[header.index("phone")] for row in rows] == ["'+79131234561", "'+79131234562"]
    assert "contacts" in load_workbook(tmp_path / "r.xlsx").sheetnames


def test_only_a_supervisor_approves_once_users_exist(url: str, tmp_path: Path) -> None:
    def hotline(*args: str) -> tuple[int, str, str]:
        return run_hotline(url, *args, settings=(f"paths.prompts_dir={PROMPTS}",))

    assert hotline("scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    assert hotline("campaign", "create", "dec", "--scenario", "debt", "--by", "anna")[0] == 0
    good = _csv(
        tmp_path / "l.csv", [["phone", "amount", "due_date"], ["+79131234561", "5", "2026-12-10"]]
    )
    assert hotline("campaign", "import", "dec", str(good))[0] == 0

    _console_users(url, {"olga": "operator", "boris": "supervisor"})
    pw = ("--password-file", _password_file(tmp_path))
    code, _, err = hotline("campaign", "approve", "dec", "--by", "olga", *pw)
    assert code == 1 and "may not approve" in err
    assert hotline("campaign", "approve", "dec", "--by", "boris", *pw)[0] == 0
    code, out, _ = hotline("audit", "list")
    assert code == 0 and "campaign.approve" in out
