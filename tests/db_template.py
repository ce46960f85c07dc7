"""A migrated SQLite file copied into place instead of the Alembic chain on every new test
database (issue 19: a suite that halves; the chain cost a third of a CPU-second and several
fsyncs per test, hundreds of times per run).

``Database.upgrade()`` to head on a SQLite file that is still empty (as ``Database`` creates it)
copies this process's template, migrated once by the real ``upgrade`` the first time it is
needed, into the same file (same inode, so its 0600 mode is kept) and then runs the real
``upgrade``, which finds the schema at head.  Anything else (another revision, a file with a
schema) runs the real ``upgrade`` untouched; an empty PostgreSQL database gets the dump of a
template migrated once (``tests/pg_template.py``).  Tests about the migrations
themselves carry the ``migrations`` marker and always run the chain (``tests/conftest.py``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Final

from sqlalchemy import URL, make_url

from hotline.core.files import touch_private
from hotline.store.db import Database, head_revision
from tests import pg_template

MARKER: Final = "migrations"
Upgrade = Callable[[Database, str], Coroutine[Any, Any, str | None]]

_REAL_UPGRADE: Final[Upgrade] = Database.upgrade
_templates: dict[str, Path] = {}


def new_sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite ``url`` when it is missing or still empty (no schema, no WAL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    path = Path(name).expanduser()
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        return None
    try:
        return path if path.stat().st_size == 0 else None
    except FileNotFoundError:
        return path


def copy_into(source: Path, target: Path) -> None:
    """``source``'s bytes into ``target``, created 0600 like ``Database`` creates it (an
    existing empty file keeps its inode and mode)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    touch_private(target)
    with source.open("rb") as src, target.open("r+b") as dst:
        shutil.copyfileobj(src, dst)


async def _template(head: str) -> Path:
    known = _templates.get(head)
    if known is not None:
        return known
    folder = Path(tempfile.mkdtemp(prefix="hotline-db-template-"))
    path = folder / f"{head}.db"
    template = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await _REAL_UPGRADE(template, "head")
    finally:
        await template.dispose()  # the last connection checkpoints and removes the WAL
    _templates[head] = path
    return path


async def upgrade_from_template(self: Database, revision: str = "head") -> str | None:
    if revision == "head" and pg_template.is_postgres(self.url):
        await _postgres_from_template(self)
        return await _REAL_UPGRADE(self, revision)
    target = new_sqlite_file(self.url) if revision == "head" else None
    if target is not None and target.exists():
        head = await head_revision()
        if head is not None:
            source = await _template(head)
            # Nothing may hold the empty file open while its content is replaced.
            await self.engine.dispose()
            if new_sqlite_file(self.url) == target:
                copy_into(source, target)
    return await _REAL_UPGRADE(self, revision)


async def _postgres_from_template(db: Database) -> None:
    """An empty PostgreSQL database gets the template's dump (``tests/pg_template.py``)."""
    if not await pg_template.is_empty(db.url):
        return
    head = await head_revision()
    if head is None:
        return
    sql = await pg_template.script(db.url, head, _REAL_UPGRADE)
    # Nothing of this process may hold a transaction open on it while the schema is written.
    await db.engine.dispose()
    await pg_template.replay(db.url, sql)
