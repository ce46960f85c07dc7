"""``hotline hours`` through the real command, against a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import hermetic_store_url, run_hotline


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("USER", "tester")
    monkeypatch.delenv("LOGNAME", raising=False)
    yield from hermetic_store_url(tmp_path, monkeypatch)


def hotline(url: str, *args: str) -> tuple[int, str, str]:
    return run_hotline(url, *args)


def rows(out: str) -> dict[str, list[str]]:
    """Table rows by date: the cells after the date."""
    found = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells and cells[0][:4].isdigit():
            found[cells[0].rstrip(" *")] = cells[1:]
    return found


def test_show_explains_each_day(url: str) -> None:
    code, out, _ = hotline(url, "hours", "show", "--from", "2025-10-31", "--days", "5")
    assert code == 0
    assert "Asia/Krasnoyarsk" in out
    assert rows(out) == {
        "2025-10-31": ["Fri", "08:00-20:00", "weekly:friday"],
        "2025-11-01": ["Sat", "08:00-20:00", "working-day"],
        "2025-11-02": ["Sun", "08:00-18:00", "weekly:sunday"],
        "2025-11-03": ["Mon", "08:00-18:00", "holiday:Day off (substituted from 11/01/2025)"],
        "2025-11-04": ["Tue", "08:00-18:00", "holiday:Unity Day"],
    }


def test_override_and_clear(url: str) -> None:
    code, out, _ = hotline(url, "hours", "override", "2026-02-18", "closed", "--note", "Shagaa")
    assert (code, out) == (0, "2026-02-18 Wed: closed (override:Shagaa)\n")
    code, out, _ = hotline(
        url, "hours", "override", "2026-02-19", "09:00-13:00,14:00-16:00", "--by", "alice"
    )
    assert (code, out) == (0, "2026-02-19 Thu: 09:00-13:00,14:00-16:00 (override:)\n")

    code, out, _ = hotline(url, "hours", "show", "--from", "2026-02-17", "--days", "3")
    assert rows(out) == {
        "2026-02-17": ["Tue", "08:00-20:00", "weekly:tuesday"],
        "2026-02-18": ["Wed", "closed", "override:Shagaa (by tester)"],
        "2026-02-19": ["Thu", "09:00-13:00,14:00-16:00", "override: (by alice)"],
    }

    code, out, _ = hotline(url, "hours", "clear", "2026-02-18")
    assert (code, out) == (0, "2026-02-18 Wed: 08:00-20:00 (weekly:wednesday)\n")
    code, _, err = hotline(url, "hours", "clear", "2026-02-18")
    assert (code, err) == (1, "hours: no override on 2026-02-18\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("override", "2026-02-18", "9-18"), "override 2026-02-18: bad hours '9-18'"),
        (("override", "18.02.2026", "closed"), "bad date '18.02.2026'"),
        (("clear", "tomorrow"), "bad date 'tomorrow'"),
        (("now", "--at", "noon"), "bad time 'noon'"),
    ],
)
def test_bad_input_exits_2(url: str, args: tuple[str, ...], message: str) -> None:
    code, _, err = hotline(url, "hours", *args)
    assert code == 2
    assert message in err


def test_bad_settings_exit_2(url: str) -> None:
    code, _, err = hotline(url, "--set", "hours.monday=8-20", "hours", "now")
    assert code == 2
    assert "hours.monday: bad hours '8-20'" in err


def test_now(url: str) -> None:
    code, out, _ = hotline(url, "hours", "now", "--at", "2026-01-12T10:00")
    assert code == 0
    assert out.splitlines() == [
        "Mon 2026-01-12 10:00 +0700 (Asia/Krasnoyarsk); today 08:00-20:00 (weekly:monday)",
        "open: operators work until 20:00",
    ]
    # From UTC: 13:00 UTC is 20:00 in Krasnoyarsk, closing time (exclusive).
    code, out, _ = hotline(url, "hours", "now", "--at", "2026-01-12T13:00:00+00:00")
    assert (
        out.splitlines()[1] == "closed: next opening Tue 2026-01-13 08:00 +0700 (weekly:tuesday)"
    )


def test_now_uses_overrides_and_holidays(url: str) -> None:
    hotline(url, "--set", "hours.holiday_hours=", "hours", "override", "2026-01-12", "closed")
    code, out, _ = hotline(
        url, "--set", "hours.holiday_hours=", "hours", "now", "--at", "2026-01-01T12:00"
    )
    assert code == 0
    assert out.splitlines() == [
        "Thu 2026-01-01 12:00 +0700 (Asia/Krasnoyarsk); today closed (holiday:New Year Holidays)",
        "closed: next opening Sat 2026-01-10 08:00 +0700 (weekly:saturday)",
    ]
    code, out, _ = hotline(
        url,
        *("--set", "hours.holiday_hours=", "--set", "hours.saturday=", "--set", "hours.sunday="),
        *("hours", "now", "--at", "2026-01-01T12:00"),
    )
    assert (
        out.splitlines()[1] == "closed: next opening Tue 2026-01-13 08:00 +0700 (weekly:tuesday)"
    )
