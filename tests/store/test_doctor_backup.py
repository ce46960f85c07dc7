"""``hotline backup`` and ``hotline restore`` through the real command, on SQLite and
PostgreSQL: the restored store prints the same reports; a damaged backup, a newer schema and a
store with data in it (without --force) are refused before anything is touched."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from hotline.core.vocabulary import label
from hotline.store.calllog import CallLog
from hotline.store.db import Database, alembic_config
from hotline.store.enums import CallDirection, CallOutcome
from hotline.store.enums import QueueEventKind as K
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.cli_support import hermetic_store_url, run_hotline
from tests.store.conftest import clean_postgres

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
PASSWORD = "correct horse battery"
AT = datetime.now(UTC) - timedelta(hours=1)

# The newest migration: a backup is made and restored at the schema the code knows.
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("USER", "tester")
    for _url in hermetic_store_url(tmp_path, monkeypatch):
        yield


async def _seed_calls(url: str) -> None:
    async with Database(url) as db:
        await db.upgrade()
        log, events = CallLog(db), QueueEvents(db)
        for uid in "abc":
            await log.open(
                uniqueid=uid, direction=CallDirection.INBOUND, started_at=AT, caller="+79131234567"
            )
            await log.ended(uid, at=AT + timedelta(seconds=90))
        await log.set_outcome("c", CallOutcome.ABANDONED)
        for uid, connect in (("a", 20), ("b", 70)):
            await events.add(QueueEventRecord(AT, K.JOIN, uid, "q"))
            await events.add(
                QueueEventRecord(AT + timedelta(seconds=connect), K.CONNECT, uid, "q")
            )


async def _supervisor(url: str) -> None:
    from hotline.access.users import Role, Users
    from hotline.settings import WebSettings
    from hotline.store.audit import Actor

    async with Database(url) as db:
        users = Users(db, WebSettings())
        await users.add("boris", Role("supervisor"), PASSWORD, Actor("setup", "cli"))


def _seed(url: str, tmp_path: Path, hotline: object) -> None:
    asyncio.run(_seed_calls(url))
    run = hotline  # the CLI, with this test's settings
    assert callable(run)
    assert run("scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    rules = tmp_path / "rules.yaml"
    rules.write_text("contract_numbers_only: false\n", encoding="utf-8")
    code, _, err = run(
        "campaign", "create", "dec", "--scenario", "debt", "--rules", str(rules), "--by", "anna"
    )
    assert code == 0, err
    contacts = tmp_path / "contacts.csv"
    with contacts.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [
                ["phone", "amount", "due_date"],
                ["+79131234561", "100.50", "2026-12-10"],
                ["+79131234562", "2500", "2026-12-10"],
            ]
        )
    code, _, err = run("campaign", "import", "dec", str(contacts))
    assert code == 0, err
    asyncio.run(_supervisor(url))
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    code, _, err = run(
        "campaign", "approve", "dec", "--by", "boris", "--password-file", str(password)
    )
    assert code == 0, err
    # Started and stopped: every contact is expired, and the report has rows.
    assert run("campaign", "start", "dec")[0] == 0
    assert run("campaign", "stop", "dec")[0] == 0


def _reports(hotline: object) -> list[str]:
    run = hotline
    assert callable(run)
    day = f"{AT:%Y-%m-%d}"
    outputs = []
    # The audit log first: printing the campaign report adds an entry to it.
    for args in (
        ("audit", "list", "--json"),
        ("campaign", "report", "dec"),
        ("queue", "stats", "--from", day, "--to", day, "--format", "json"),
        ("calls", "list"),
    ):
        code, out, err = run(*args)
        assert code == 0, err
        outputs.append(out)
    return outputs


async def _wipe(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    else:
        await clean_postgres(url)


@pytest.mark.usefixtures("hermetic")
def test_backup_and_restore_give_the_same_reports(db_url: str, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    (recordings / "2026" / "01").mkdir(parents=True)
    (recordings / "2026" / "01" / "c1.wav").write_bytes(b"RIFF" + b"\0" * 60)
    settings = (f"paths.prompts_dir={PROMPTS}", f"paths.recordings_dir={recordings}")

    def hotline(*args: str) -> tuple[int, str, str]:
        return run_hotline(db_url, *args, settings=settings)

    _seed(db_url, tmp_path, hotline)
    folder = tmp_path / "backup"
    code, out, err = hotline("backup", str(folder))
    assert code == 0, err
    before = _reports(hotline)  # the store as backed up (the reports only add audit entries)
    assert "campaign.approve" in before[0] and label("Reason", "expired") in before[1]
    assert json.loads(before[2]) and "+79131234567" in before[3]
    assert f"schema {HEAD}" in out
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    dump = "hotline.db" if db_url.startswith("sqlite") else "hotline.pgdump"
    assert set(manifest["files"]) == {dump, "recordings.csv"}
    assert manifest["schema_revision"] == HEAD
    assert manifest["hotline_version"] and manifest["created_at"]
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    index = (folder / "recordings.csv").read_text(encoding="utf-8")
    assert next(csv.DictReader(io.StringIO(index)))["path"] == "2026/01/c1.wav"
    assert (folder.stat().st_mode & 0o777) == 0o700
    # A backup never overwrites one.
    assert hotline("backup", str(folder))[0] == 1

    asyncio.run(_wipe(db_url))
    code, out, err = hotline("restore", str(folder))
    assert code == 0, err
    assert f"schema {HEAD}" in out
    assert _reports(hotline) == before

    # The store has data now: only --force replaces it.
    code, _, err = hotline("restore", str(folder))
    assert code == 1 and "not empty" in err and "--force" in err
    code, _, err = hotline("restore", str(folder), "--force")
    assert code == 0, err
    assert _reports(hotline) == before


@pytest.mark.usefixtures("hermetic")
def test_restore_refuses_a_damaged_or_newer_backup(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'hotline.db'}"
    asyncio.run(_seed_calls(url))
    folder = tmp_path / "backup"
    assert run_hotline(url, "backup", str(folder))[0] == 0
    target = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"

    index = folder / "recordings.csv"
    original = index.read_bytes()
    index.write_bytes(original + b"x,1,2026-01-01\r\n")
    code, _, err = run_hotline(target, "restore", str(folder))
    assert code == 1 and "recordings.csv does not match its sha256" in err
    index.write_bytes(original)

    (folder / "extra.sql").write_text("DROP TABLE calls;", encoding="utf-8")
    code, _, err = run_hotline(target, "restore", str(folder))
    assert code == 1 and "extra.sql not in the manifest" in err
    (folder / "extra.sql").unlink()

    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(
        json.dumps({**manifest, "schema_revision": "0099_future"}), encoding="utf-8"
    )
    code, _, err = run_hotline(target, "restore", str(folder))
    assert code == 1 and "0099_future" in err and "newer" in err
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    # Nothing was touched by the refusals: the target is still empty and restores.
    code, _, err = run_hotline(target, "restore", str(folder))
    assert code == 0, err
    code, out, _ = run_hotline(target, "calls", "list")
    assert code == 0 and "+79131234567" in out


@pytest.mark.usefixtures("hermetic")
def test_backup_of_a_store_without_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    code, _, err = run_hotline(url, "backup", str(tmp_path / "b"))
    assert code == 1 and "no schema" in err
    assert not (tmp_path / "b").exists()
