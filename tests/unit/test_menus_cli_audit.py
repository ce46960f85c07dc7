"""`hotline menu publish` and `rollback` write the audit log (issue 23), like the console's
menu editor."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hotline.store.audit import AuditLog
from hotline.store.db import Database
from tests.unit.test_menu_model import dump
from tests.unit.test_menu_publish_cli import hotline, options, swapped


def test_publish_and_rollback_are_audited(tmp_path: Path) -> None:
    opts = options(tmp_path)
    assert hotline(opts, "publish", "--author", "anna")[0] == 0
    second = tmp_path / "second.yaml"
    second.write_text(dump(swapped()), encoding="utf-8")
    assert hotline(opts, "publish", str(second), "--author", "boris")[0] == 0
    assert hotline(opts, "rollback", "1", "--author", "vera")[0] == 0

    async def entries() -> list[tuple[str, str, str, str | None]]:
        url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'hotline.db'}"
        async with Database(url) as db:
            found = sorted(await AuditLog(db).entries(action=None), key=lambda e: e.id)
            return [(e.action, e.actor, e.channel, e.target) for e in found if "menu" in e.action]

    assert asyncio.run(entries()) == [
        ("menu.publish", "anna", "cli", "menu version 1"),
        ("menu.publish", "boris", "cli", "menu version 2"),
        ("menu.rollback", "vera", "cli", "menu version 3"),
    ]
