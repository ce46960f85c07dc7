"""``hotline doctor`` on engine workers (issue 20): SQLite holds one (a second is refused),
PostgreSQL several; a worker whose heartbeat lapsed, or whose node's AMI is down, is said."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hotline.core.clock import utc_now
from hotline.doctor.checks import Finding, Status, ok
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.workers import WorkerRecord, WorkerRegistry, sqlite_engine_running

CHECK = "engine workers"


@dataclass(frozen=True)
class WorkerFacts:
    sqlite: bool
    # SQLite: who holds the engine lock (None: no engine runs).
    sqlite_holder: str | None = None
    # PostgreSQL: (name, node, seconds since its heartbeat, AMI up).
    workers: list[tuple[str, str, float, bool]] = field(default_factory=list)
    dead_after: float = 20.0
    error: str = ""


def check_workers(facts: WorkerFacts) -> Finding:
    if facts.error:
        return Finding(CHECK, Status.WARNING, f"cannot read the workers: {facts.error}")
    if facts.sqlite:
        running = (
            f"an engine runs ({facts.sqlite_holder})" if facts.sqlite_holder else "no engine runs"
        )
        return ok(
            CHECK,
            f"SQLite: {running}; SQLite holds one engine worker, a second `hotline run` is "
            "refused (several workers need PostgreSQL)",
        )
    if not facts.workers:
        return ok(CHECK, "PostgreSQL: no engine worker runs")
    dead = [name for name, _n, age, _up in facts.workers if age >= facts.dead_after]
    down = [
        f"{name} ({node or 'its Asterisk'})"
        for name, node, age, up in facts.workers
        if not up and age < facts.dead_after
    ]
    shown = ", ".join(
        f"{name}{f' on {node}' if node else ''}" for name, node, _a, _u in facts.workers
    )
    if dead:
        return Finding(
            CHECK,
            Status.WARNING,
            f"PostgreSQL: workers {shown}; not seen for {facts.dead_after:.0f} s: "
            f"{', '.join(dead)} (their dialer attempts are adopted by the others)",
            "start the stopped worker again, or leave its work to the others",
        )
    if down:
        return Finding(
            CHECK,
            Status.WARNING,
            f"PostgreSQL: workers {shown}; without AMI (node down?): {', '.join(down)}",
            "check the node's Asterisk and the AMI address in [[cluster.nodes]]",
        )
    return ok(CHECK, f"PostgreSQL: {len(facts.workers)} workers, all alive: {shown}")


def _rows(workers: list[WorkerRecord]) -> list[tuple[str, str, float, bool]]:
    now = utc_now()
    return [(w.name, w.node, (now - w.seen_at).total_seconds(), w.ami_up) for w in workers]


async def probe_workers(settings: Settings, store_exists: bool) -> WorkerFacts:
    dead_after = settings.workers.dead_after_seconds
    if not store_exists:
        return WorkerFacts(sqlite=True)
    db = Database.from_settings(settings)
    try:
        if db.is_sqlite:
            holder = await asyncio.to_thread(sqlite_engine_running, db)
            return WorkerFacts(sqlite=True, sqlite_holder=holder)
        async with asyncio.timeout(settings.doctor.probe_timeout):
            workers = await WorkerRegistry(db).all()
        return WorkerFacts(sqlite=False, workers=_rows(workers), dead_after=dead_after)
    except Exception as exc:  # not migrated yet, unreachable: said, not fatal
        return WorkerFacts(sqlite=db.is_sqlite, error=type(exc).__name__)
    finally:
        await db.dispose()
