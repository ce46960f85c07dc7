"""Attacks on files and exports (issue 14, items 5 and 6; review M5, S7, L2, L7).

A meter name from the billing import that is a formula comes out of ``hotline readings
export`` as text, in XLSX and CSV.  A symlink in the recordings folder that points outside it
is not served by the console (its own process), not exported and not purged; recording
folders, the database file, uploads and export archives give other users nothing."""

from __future__ import annotations

import asyncio
import csv
import http.cookiejar
import io
import os
import stat
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hotline.contact_center import recordings as recording
from hotline.contact_center.recordings import make_dirs, recordings_root
from hotline.core.files import write_private
from hotline.settings import Settings, load_settings
from hotline.store.accounts import ReadingDraft, ReadingStore
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.recordings import Recordings
from tests.cli_support import hermetic_store_url, run_hotline
from tests.e2e.web_support import web_console
from tests.web.conftest import PASSWORD, hidden

FORMULA = '=HYPERLINK("http://x","y")'
ACCOUNT = "100000000001"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def test_formula_meter_name_is_exported_as_text(url: str, tmp_path: Path) -> None:
    quoted = '"' + FORMULA.replace('"', '""') + '"'
    billing = tmp_path / "billing.csv"
    billing.write_text(
        "account;phones;name;meter;zones;reading_1;reading_2;balance;due_date\n"
        f"{ACCOUNT};+79131234567;=1+1;{quoted};1;12345;;0;\n",
        encoding="utf-8",
    )
    code, out, err = run_hotline(url, "accounts", "import", str(billing))
    assert code == 0, out + err

    async def reading() -> None:
        async with Database(url) as db:
            await ReadingStore(db).submit(
                ReadingDraft("c1", ACCOUNT, FORMULA, 1, "2026-11", 12400, 12345)
            )

    asyncio.run(reading())

    target = tmp_path / "readings.xlsx"
    code, _out, err = run_hotline(url, "readings", "export", "--format", "xlsx", "-o", str(target))
    assert code == 0, err
    sheet = load_workbook(target).worksheets[0]
    meter = sheet["B2"]
    assert (meter.value, meter.data_type) == (FORMULA, "s")
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]

    code, out, err = run_hotline(url, "readings", "export", "--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out.removeprefix("\ufeff")), delimiter=";"))
    assert rows[1][1] == "'" + FORMULA
    assert rows[1][4] == "12400"  # the reading itself stays a number


# --- files: the recordings folder, the database, exports (M5, S7, L7) ------------------------
SECRET = 'secret = "ami-secret-do-not-leak"'


def _console_settings(tmp_path: Path) -> Settings:
    return load_settings(
        overrides={
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'hotline.db'}"},
            "paths": {"recordings_dir": str(tmp_path / "recordings")},
            "sandbox": {"enabled": False},
        }
    )


async def _index(settings: Settings, paths: dict[str, Path]) -> dict[str, int]:
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        recordings = Recordings(db)
        at = datetime.now(UTC) - timedelta(days=settings.recording.retention_days + 1)
        return {
            name: await recordings.started(name, str(path), caller="79131234567", at=at)
            for name, path in paths.items()
        }


def _fetch_as(url: str, name: str, paths: list[str]) -> list[tuple[int, bytes]]:
    """Log in to the console at ``url`` as ``name`` (a real HTTP client with a cookie jar),
    then GET each path: status and body."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{url}/login") as form:
        token = hidden(form.read().decode("utf-8"), "csrf_token")
    data = urllib.parse.urlencode({"name": name, "password": PASSWORD, "csrf_token": token})
    with opener.open(f"{url}/login", data=data.encode()) as response:
        assert response.status == 200
    out = []
    for path in paths:
        try:
            with opener.open(url + path) as response:
                out.append((response.status, response.read()))
        except urllib.error.HTTPError as exc:
            out.append((exc.code, exc.read()))
    return out


def _wav(path: Path) -> None:
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", str(path), "synth", "1", "sine", "440"],
        check=True,
    )


async def test_symlink_out_of_the_recordings_folder_is_not_served_exported_or_purged(
    tmp_path: Path,
) -> None:
    settings = _console_settings(tmp_path)
    outside = tmp_path / "hotline.toml"
    outside.write_text(SECRET + "\n", encoding="utf-8")
    root = recordings_root(settings)
    day = root / "2026" / "03" / "01"
    make_dirs(day, root)
    real = day / "call-real.wav"
    await asyncio.to_thread(_wav, real)
    link = day / "call-link.wav"
    link.symlink_to(outside)
    dotdot = root / ".." / "hotline.toml"
    ids = await _index(settings, {"real": real, "link": link, "dotdot": dotdot})

    refused = [
        f"/recordings/{ids[name]}/{route}"
        for name in ("link", "dotdot")
        for route in ("audio", "download")
    ]
    extra = ("sandbox.enabled=false", f"paths.recordings_dir={root}")
    async with web_console(settings, *extra) as url:
        got = await asyncio.to_thread(
            _fetch_as, url, "boris", [f"/recordings/{ids['real']}/audio", *refused]
        )
    assert got[0] == (200, real.read_bytes())  # a recording inside the folder plays
    for path, (code, body) in zip(refused, got[1:], strict=True):
        assert code == 404, path
        assert b"ami-secret" not in body

    async with Database.from_settings(settings) as db:
        recordings = Recordings(db)
        target = tmp_path / "exports" / "all.zip"
        result = await recording.export(recordings, settings, target, by=Actor("test", "cli"))
        assert sorted(result.missing) == sorted([ids["link"], ids["dotdot"]])
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        with zipfile.ZipFile(target) as archive:
            assert not any(b"ami-secret" in archive.read(n) for n in archive.namelist())

        purged = await recording.purge(
            recordings,
            settings.recording.retention_days,
            by=Actor("test", "cli"),
            root=root,
        )
    assert ids["real"] in purged and not real.exists()
    assert outside.read_text(encoding="utf-8") == SECRET + "\n"  # nothing outside touched


def test_recording_folders_give_other_users_nothing(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    make_dirs(root / "2026" / "03" / "01", root)
    for folder in (root, root / "2026", root / "2026" / "03", root / "2026" / "03" / "01"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750, folder
    # A root shared with Asterisk's group passes the group and setgid on, never world bits.
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    make_dirs(shared / "2026" / "03", shared)
    for folder in (shared / "2026", shared / "2026" / "03"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o2770, folder
        assert folder.stat().st_gid == shared.stat().st_gid


async def test_the_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "hotline.db"
    async with Database(f"sqlite+aiosqlite:///{path}") as db:
        await db.upgrade()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o666)  # a file an older version left world-readable is tightened
    async with Database(f"sqlite+aiosqlite:///{path}") as db:
        await db.upgrade()
    assert stat.S_IMODE(path.stat().st_mode) & 0o027 == 0


def test_private_files_refuse_symlinks_and_are_0600(tmp_path: Path) -> None:
    target = tmp_path / "upload.csv"
    write_private(target, b"phone\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(OSError):
        write_private(link, b"x")
    assert not (tmp_path / "elsewhere.csv").exists()
