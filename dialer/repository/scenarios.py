"""Scenario versions: saving a scenario under a known name adds a version; earlier versions
never change (a campaign names the version it was approved with)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from dialer.model import Scenario, dump
from dialer.repository.errors import ScenarioNotFound
from dialer.repository.records import ScenarioRecord, scenario_record
from hotline.store.db import Database
from hotline.store.models import Scenario as ScenarioRow


class ScenarioVersions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, name: str, scenario: Scenario, author: str, now: dt.datetime
    ) -> ScenarioRecord:
        """A new version of ``name`` (1 for a new name)."""
        async with self._db.session() as session:
            latest = (
                await session.execute(
                    select(func.max(ScenarioRow.version)).where(ScenarioRow.name == name)
                )
            ).scalar_one()
            row = ScenarioRow(
                name=name,
                version=(latest or 0) + 1,
                kind=scenario.kind.value,
                content=dump(scenario),
                author=author,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            return scenario_record(row)

    async def get(self, name: str, version: int | None = None) -> ScenarioRecord:
        """``version`` of ``name``; the latest without one."""
        async with self._db.session() as session:
            query = select(ScenarioRow).where(ScenarioRow.name == name)
            if version is not None:
                query = query.where(ScenarioRow.version == version)
            row = (
                await session.execute(query.order_by(ScenarioRow.version.desc()).limit(1))
            ).scalar_one_or_none()
        if row is None:
            raise ScenarioNotFound(
                f"no scenario {name!r}" + (f" version {version}" if version else "")
            )
        return scenario_record(row)

    async def by_id(self, scenario_id: int) -> ScenarioRecord:
        async with self._db.session() as session:
            row = await session.get(ScenarioRow, scenario_id)
        if row is None:
            raise ScenarioNotFound(f"no scenario #{scenario_id}")
        return scenario_record(row)

    async def all(self) -> list[ScenarioRecord]:
        async with self._db.session() as session:
            rows = (
                await session.execute(
                    select(ScenarioRow).order_by(ScenarioRow.name, ScenarioRow.version)
                )
            ).scalars()
            return [scenario_record(r) for r in rows]
