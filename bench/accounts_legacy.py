"""The accounts import's write as it was before issue 19 item 4: one ORM multi-row
``INSERT ... VALUES (...), (...) ON CONFLICT DO UPDATE`` built and compiled per chunk of 500.

Kept only as the "before" of ``python -m bench accounts`` (measured in the same run as
:meth:`hotline.store.accounts.AccountStore.upsert`) and as the reference the store test
compares the new write with, table by table.  Nothing in the engine calls it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import delete, select

from hotline.core.clock import utc_now
from hotline.store.account_rows import account_rows, meter_row
from hotline.store.accounts import AccountRecord
from hotline.store.db import Database, batches, dialect_insert
from hotline.store.models import Account, AccountPhone, Meter


async def legacy_upsert(db: Database, accounts: Sequence[AccountRecord]) -> tuple[int, int]:
    """(created, updated), as ``AccountStore.upsert`` returned them before."""
    created = updated = 0
    now = utc_now()
    async with db.session() as session:
        insert = dialect_insert(db)
        for chunk in batches(accounts):
            numbers = [a.number for a in chunk]
            existing = set(
                await session.scalars(select(Account.number).where(Account.number.in_(numbers)))
            )
            updated += len(existing)
            created += len(chunk) - len(existing)
            rows = await asyncio.to_thread(account_rows, chunk, now)
            stmt = insert(Account).values(rows)
            columns = {c: stmt.excluded[c] for c in rows[0] if c != "number"}
            await session.execute(
                stmt.on_conflict_do_update(index_elements=["number"], set_=columns)
            )
            await session.execute(
                delete(AccountPhone).where(AccountPhone.account_number.in_(numbers))
            )
            await session.execute(delete(Meter).where(Meter.account_number.in_(numbers)))
            phones = [
                {"phone": p, "account_number": a.number} for a in chunk for p in set(a.phones)
            ]
            for phone_rows in batches(phones):
                await session.execute(insert(AccountPhone).values(phone_rows))
            meters = [meter_row(a.number, i, m) for a in chunk for i, m in enumerate(a.meters)]
            for meter_rows in batches(meters):
                await session.execute(insert(Meter).values(meter_rows))
    return created, updated
