"""``hotline doctor`` on the sandbox: a working installation passes (with the menu's levels in
dialplan too), and each of five broken ones (AMI secret wrong, prompts missing, recordings
folder not writable by Asterisk, database behind head, FastAGI port closed) is reported as
exactly that error, with its fix.

The clock is the host's, not the installation's: it may be unsynchronised (an error) or
unknown (a warning) on a test machine, so it is left out of "no other error".
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from hotline.app import Engine
from hotline.cli.doctor_cmd import ami_secrets
from hotline.doctor.checks import Finding, Status
from hotline.doctor.run import diagnose
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.db import Database
from tests.cli_support import run_hotline
from tests.e2e.engine_support import engine_settings
from tests.store.test_doctor_upgrades import revisions

pytestmark = [pytest.mark.e2e]

HOST_FACTS = {"clock"}


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "doctor.db")


def errors(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings if f.status is Status.ERROR and f.check not in HOST_FACTS}


async def doctor(db_file: Path, **sections: dict[str, Any]) -> dict[str, Finding]:
    settings = engine_settings(db_file, **sections)
    return errors(await diagnose(settings, ami_secrets(settings)))


async def test_the_sandbox_passes_and_each_broken_installation_is_named(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    db_file = tmp_path / "doctor.db"
    findings = await diagnose(settings, ami_secrets(settings))
    assert errors(findings) == {}, [f for f in findings if f.status is Status.ERROR]
    passed = {f.check for f in findings if f.status is Status.OK}
    assert {"asterisk", "ami rights", "dialplan", "fastagi", "prompts", "database"} <= passed
    assert {"recordings folder", "ami login (engine)"} <= passed

    # The menu's levels in dialplan: the engine's user may also reload the dialplan (the
    # sandbox's has config), and Asterisk's answer to the probe's module changes nothing.
    levels = engine_settings(db_file, ivr={"levels": "dialplan"})
    findings = await diagnose(levels, ami_secrets(levels))
    assert errors(findings) == {}
    rights = next(f for f in findings if f.check == "ami rights")
    assert rights.status is Status.OK and rights.message.endswith("Reload")

    # The AMI secret is wrong.
    found = await doctor(db_file, ami={"secret": "not-the-secret"})
    assert list(found) == ["ami login (engine)"]
    assert "manager.conf" in found["ami login (engine)"].fix

    # The prompts were never built for this sounds folder.
    found = await doctor(db_file, speech={"sounds_dir": str(tmp_path / "sounds")})
    assert list(found) == ["prompts"]
    assert "hotline prompts build" in found["prompts"].fix

    # The recordings folder is private to its owner, not Asterisk's.
    private = tmp_path / "recordings"
    private.mkdir(mode=0o700)
    found = await doctor(db_file, paths={"recordings_dir": str(private)})
    assert list(found) == ["recordings folder"]
    assert "Asterisk" in found["recordings folder"].message
    assert "chmod 2770" in found["recordings folder"].fix

    # The database is one revision behind head.
    behind = tmp_path / "behind.db"
    async with Database(f"sqlite+aiosqlite:///{behind}") as db:
        await db.upgrade(revisions()[-2])
    found = await doctor(behind)
    assert list(found) == ["database"]
    assert found["database"].fix == "run `hotline db upgrade`"


def test_fastagi_port_closed_fails_the_command(settings: Settings, tmp_path: Path) -> None:
    # No engine: nothing listens on the FastAGI port.
    url = settings.database_url

    async def migrate() -> None:
        async with Database(url) as db:
            await db.upgrade()

    asyncio.run(migrate())
    code, out, _err = run_hotline(url, "doctor", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    found = {
        f["check"]: f
        for f in report["findings"]
        if f["status"] == "error" and f["check"] not in HOST_FACTS
    }
    assert list(found) == ["fastagi"]
    assert f":{settings.fastagi.port}" in found["fastagi"]["message"]
    assert "hotline run" in found["fastagi"]["fix"]
