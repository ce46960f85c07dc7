"""The accounts import's bulk write (issue 19 item 4) keeps the old write's results exactly:
a generated billing file with new, changed, unchanged and bad rows, over several chunks,
written by the old ORM multi-row VALUES path (bench.accounts_legacy) and by
``AccountStore.upsert``, on SQLite and PostgreSQL, gives the same tables, the same counts and
the records the file holds; a failure in a later chunk leaves nothing half-imported."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, select, text

from bench.accounts_legacy import legacy_upsert
from hotline.accounts.importer import ImportResult, parse_accounts
from hotline.settings import load_settings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.db import BATCH_ROWS, Database
from hotline.store.models import Account, AccountPhone, Meter

HEADER = "account;phones;name;address;meter;zones;reading_1;reading_2;balance;due_date;pin"
OLD = 400  # accounts already in the store: 0..149 unchanged, 150..399 changed
NEW = 250  # accounts the file adds: 400..649
BAD = 10  # accounts whose only row is bad (never imported): 650..659
SKIPPED = 5  # an existing account with a bad second row: skipped, stays as it was
PINS = (1, 250, 500)  # few: a PIN costs an argon2 hash


def _number(i: int) -> str:
    return f"{300000000000 + i}"


def _rows(i: int, *, changed: bool) -> list[str]:
    """The file rows of account ``i``: yesterday's, or today's with everything changed."""
    n = _number(i)
    phones = f"+7913{i:07d}" + (f",8 913 {i % 1000:03d}-00-{i % 100:02d}" if changed else "")
    balance = f"{i % 5000},{(i + changed) % 100:02d}"
    pin = "" if i not in PINS else ("4321" if changed else "1234")
    rows = [
        [n, phones, f"Абонент {i}{' ред.' if changed else ''}", f"ул. {i}", f"M{i}", "1",
         str(1000 + i), "", balance, "25.12.2026" if changed else "", pin],
    ]  # fmt: skip
    if i % 3 == 0 or changed:
        second = f"N{i}" if not changed else f"K{i}"  # a meter replaced by another
        rows.append([n, "", "", "", second, "2", str(i % 900), str(i % 800), "", "", ""])
    return rows


def _write(path: Path, rows: list[list[str]]) -> None:
    path.write_text("\n".join([HEADER, *(";".join(r) for r in rows)]) + "\n", "utf-8")


def _files(tmp_path: Path) -> tuple[ImportResult, ImportResult]:
    settings = load_settings(environ={})
    yesterday: list[list[str]] = []
    for i in range(OLD):
        yesterday += _rows(i, changed=False)
    today: list[list[str]] = []
    for i in range(OLD + NEW):
        today += _rows(i, changed=OLD // 2 - 50 <= i < OLD)
    for i in range(OLD + NEW, OLD + NEW + BAD):
        today += [[_number(i), "", "", "", f"M{i}", "1", "1", "", "x", "", ""]]
    today += [[_number(SKIPPED), "", "", "", f"M{SKIPPED}", "1", "2", "", "", "", ""]]
    _write(tmp_path / "yesterday.csv", yesterday)
    _write(tmp_path / "today.csv", today)
    old = parse_accounts(tmp_path / "yesterday.csv", settings.accounts, settings.readings)
    new = parse_accounts(tmp_path / "today.csv", settings.accounts, settings.readings)
    assert not old.errors
    return old, new


async def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the three tables; a PIN hash is salted, so only whether there is one."""
    async with db.session() as session:
        accounts = [
            (a.number, a.name, a.address, a.timezone, a.balance_kopecks, a.due_date,
             a.last_payment_kopecks, a.last_payment_date, a.avg_monthly_kwh, a.pin_hash is None)
            for a in await session.scalars(select(Account).order_by(Account.number))
        ]  # fmt: skip
        phones = [
            tuple(r)
            for r in await session.execute(
                select(AccountPhone.account_number, AccountPhone.phone).order_by(
                    AccountPhone.account_number, AccountPhone.phone
                )
            )
        ]
        meters = [
            (m.account_number, m.meter_id, m.position, m.zones, m.digits, m.last_1, m.last_2,
             m.last_3, m.last_date)
            for m in await session.scalars(
                select(Meter).order_by(Meter.account_number, Meter.meter_id)
            )
        ]  # fmt: skip
    return {"accounts": accounts, "phones": phones, "meters": meters}


async def _wipe(db: Database) -> None:
    async with db.session() as session:
        for model in (AccountPhone, Meter, Account):
            await session.execute(delete(model))


def _stored(record: AccountRecord) -> AccountRecord:
    """A record as ``get`` reads it back: phones sorted (the store keeps a set)."""
    return dataclasses.replace(record, phones=tuple(sorted(set(record.phones))))


async def test_the_bulk_write_stores_what_the_old_write_stored(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    old, new = _files(tmp_path)
    assert {e.row for e in new.errors} and str(_number(SKIPPED)) in new.skipped_accounts
    assert len(new.accounts) == OLD + NEW - 1 > BATCH_ROWS  # two chunks

    assert await legacy_upsert(db, old.accounts) == (OLD, 0)
    assert await legacy_upsert(db, new.accounts) == (NEW, OLD - 1)
    before = await _dump(db)
    await _wipe(db)

    store = AccountStore(db)
    seen: list[int] = []
    assert await store.upsert(old.accounts) == (OLD, 0)
    assert await store.upsert(new.accounts, progress=seen.append) == (NEW, OLD - 1)
    assert await _dump(db) == before
    assert seen == [min(len(new.accounts), k * BATCH_ROWS) for k in range(1, len(seen) + 1)]
    assert seen[-1] == len(new.accounts)

    # Against the file itself: every account as today's rows say, the skipped one as before.
    assert len(before["accounts"]) == OLD + NEW
    for record in (*new.accounts[::37], new.accounts[-1]):
        assert await store.get(record.number) == _stored(record)
    kept = next(a for a in old.accounts if a.number == _number(SKIPPED))
    assert await store.get(_number(SKIPPED)) == _stored(kept)
    for i in range(OLD + NEW, OLD + NEW + BAD):
        assert await store.get(_number(i)) is None
    changed = next(a for a in new.accounts if a.number == _number(PINS[1]))
    assert len(changed.phones) == 2 and {m.meter_id for m in changed.meters} == {
        f"M{PINS[1]}",
        f"K{PINS[1]}",
    }
    assert await store.verify_pin(_number(PINS[1]), "4321")
    assert not await store.verify_pin(_number(PINS[1]), "1234")
    assert await store.verify_pin(_number(PINS[0]), "1234")  # unchanged
    assert await store.verify_pin(_number(PINS[2]), "1234")  # new


async def test_a_failure_in_a_later_chunk_leaves_nothing_half_imported(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    old, new = _files(tmp_path)
    store = AccountStore(db)
    await store.upsert(old.accounts)
    before = await _dump(db)
    # Three decimal places cannot be kopecks: the last chunk fails after the first is written.
    broken = [*new.accounts]
    broken[-1] = dataclasses.replace(broken[-1], balance=Decimal("1.005"))
    with pytest.raises(ValueError, match="two decimal places"):
        await store.upsert(broken)
    assert await _dump(db) == before


async def test_the_write_is_one_executemany_per_table_and_chunk(tmp_path: Path) -> None:
    """The old write built and compiled one multi-row VALUES statement per chunk (nine tenths
    of its time); the new one runs statements compiled once, as executemany (checked failing
    on the old write: it sends ``executemany=False`` multi-row statements)."""
    old, new = _files(tmp_path)
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}") as db:
        await db.upgrade()
        store = AccountStore(db)
        await store.upsert(old.accounts)
        sent: list[tuple[str, bool]] = []

        def record(_conn: Any, _cursor: Any, statement: str, _p: Any, _c: Any, many: bool) -> None:
            sent.append((" ".join(statement.split()[:3]), many))

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        started = dt.datetime.now(dt.UTC)
        await store.upsert(new.accounts)
        chunks = -(-len(new.accounts) // BATCH_ROWS)
        inserts = [s for s in sent if s[0].startswith("INSERT INTO")]
        assert sorted(set(inserts)) == [
            ("INSERT INTO account_phones", True),
            ("INSERT INTO accounts", True),
            ("INSERT INTO meters", True),
        ]
        assert len(inserts) == 3 * chunks
        async with db.session() as session:
            stamps = set(await session.scalars(select(Account.updated_at)))
        assert len([s for s in stamps if s >= started]) == 1  # one import, one stamp


async def test_replacing_phones_reads_them_by_account_not_the_whole_table(tmp_path: Path) -> None:
    """Migration 0034: the phones of re-imported accounts are found through an index on their
    account number (the primary key starts with the phone: each chunk scanned the table;
    checked failing before the migration, the plan said ``SCAN account_phones``)."""
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}") as db:
        await db.upgrade()
        async with db.session() as session:
            plan = await session.execute(
                text(
                    "EXPLAIN QUERY PLAN DELETE FROM account_phones "
                    "WHERE account_number IN ('1', '2')"
                )
            )
            steps = " ".join(str(row[-1]) for row in plan)
    assert "ix_account_phones_account_number" in steps, steps
