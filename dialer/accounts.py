"""Contacts linked to customer accounts take their time zone and debt from the accounts the
billing import keeps (``hotline accounts import``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from dialer.contacts import AccountInfo
from hotline.store.accounts import AccountStore
from hotline.store.db import Database


class StoredAccounts:
    """``AccountLookup`` over the accounts store."""

    def __init__(self, db: Database) -> None:
        self._accounts = AccountStore(db)

    async def lookup(self, numbers: Iterable[str]) -> Mapping[str, AccountInfo]:
        balances = await self._accounts.balances(numbers)
        return {
            number: AccountInfo(
                timezone=account.timezone,
                # Only a debt is an amount to remind of; an overpaid account has none.
                debt=_plain(account.balance) if account.balance > 0 else None,
                phones=frozenset(account.phones),
            )
            for number, account in balances.items()
        }


def _plain(amount: Decimal) -> str:
    # "1234.5", "1000": no trailing zeros and no exponent, as the contact files write amounts.
    return f"{amount.normalize():f}"
