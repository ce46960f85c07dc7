"""Keyset paging (``hotline.store.paging``, issue 19 item 3) on SQLite and PostgreSQL: every
row once, in key order, with ties in the leading key column broken by the next; rows added
while paging neither repeat nor push out a row; and the page readers built on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.models import AuditEntry
from hotline.store.paging import keyset_pages

T0 = datetime(2026, 5, 8, 5, 0, tzinfo=UTC)
# Ten entries over three instants, written out of time order: ties in ``at``.
INSTANTS = [2, 0, 1, 0, 2, 1, 0, 2, 0, 1]


async def _fill(db: Database, instants: list[int], actor: str = "anna") -> None:
    rows = [
        {"at": T0 + timedelta(minutes=m), "actor": actor, "channel": "cli", "action": f"a{m}"}
        for m in instants
    ]
    async with db.session() as session:
        await session.execute(insert(AuditEntry), rows)


async def _all(db: Database) -> list[tuple[datetime, int]]:
    async with db.session() as session:
        return [
            (at, id_) for at, id_ in (await session.execute(select(AuditEntry.at, AuditEntry.id)))
        ]


async def test_ties_in_the_key_are_read_once_in_order(db: Database) -> None:
    await db.upgrade()
    await _fill(db, INSTANTS)
    stmt = select(AuditEntry.at, AuditEntry.id)
    key = (AuditEntry.at, AuditEntry.id)
    expected = sorted(await _all(db))
    for descending in (False, True):
        pages = [p async for p in keyset_pages(db, stmt, key, 3, descending=descending)]
        assert [len(p) for p in pages] == [3, 3, 3, 1]
        seen = [tuple(row[:2]) for page in pages for row in page]
        assert seen == (expected[::-1] if descending else expected)


async def test_an_exact_last_page_ends_without_an_empty_one(db: Database) -> None:
    await db.upgrade()
    await _fill(db, INSTANTS[:9])
    pages = [p async for p in keyset_pages(db, select(AuditEntry), (AuditEntry.id,), 3)]
    assert [len(p) for p in pages] == [3, 3, 3]
    assert all(isinstance(row[0], AuditEntry) for page in pages for row in page)
    assert [row._key0 for row in pages[0]] == [1, 2, 3]  # the key, read alongside


async def test_rows_added_while_paging_do_not_repeat_or_push_rows_out(db: Database) -> None:
    await db.upgrade()
    await _fill(db, INSTANTS)
    before = sorted(await _all(db))
    stmt = select(AuditEntry.at, AuditEntry.id)
    key = (AuditEntry.at, AuditEntry.id)
    seen: list[tuple[datetime, int]] = []
    async for page in keyset_pages(db, stmt, key, 4):
        if not seen:
            # Between pages: one entry sorts before the cursor, one ties with the rows
            # already read (a higher id: after the cursor), one sorts after all.
            await _fill(db, [-1, 0, 5])
        seen.extend(tuple(row[:2]) for row in page)
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    late = [row[0] - T0 for row in seen if row not in before]
    assert late == [timedelta(0), timedelta(minutes=5)]
    assert seen[-1][0] == T0 + timedelta(minutes=5)


async def test_the_audit_log_pages_oldest_first_with_its_filter(db: Database) -> None:
    await db.upgrade()
    await _fill(db, INSTANTS, actor="anna")
    await _fill(db, [1, 1], actor="boris")
    log = AuditLog(db)
    await log.write(Actor("anna", "web"), "user.add", "x")
    pages = [p async for p in log.pages(actor="anna", size=4)]
    assert [len(p) for p in pages] == [4, 4, 3]
    ids = [entry.id for page in pages for entry in page]
    assert ids == sorted(ids)
    assert {entry.actor for page in pages for entry in page} == {"anna"}
    assert [e.action for e in pages[-1]][-1] == "user.add"
