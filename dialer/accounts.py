"""Contacts linked to customer accounts take their time zone and debt from the accounts the
billing import keeps (``hotline accounts import``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from dialer.contacts import AccountInfo
from hotline.store.db import Database
from hotline.store.models import Account

# SQL IN-lists stay below every back end's bound-parameter limit.
_SLICE: Final = 900


class StoredAccounts:
    """``AccountLookup`` over the ``accounts`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def lookup(self, numbers: Iterable[str]) -> Mapping[str, AccountInfo]:
        wanted = sorted(set(numbers))
        found: dict[str, AccountInfo] = {}
        async with self._db.session() as session:
            for start in range(0, len(wanted), _SLICE):
                rows = await session.execute(
                    select(Account.number, Account.timezone, Account.balance_kopecks).where(
                        Account.number.in_(wanted[start : start + _SLICE])
                    )
                )
                for number, timezone, kopecks in rows:
                    # Only a debt is an amount to remind of; an overpaid account has none.
                    debt = str(Decimal(kopecks) / 100) if kopecks > 0 else None
                    found[number] = AccountInfo(timezone=timezone, debt=debt)
        return found
