"""The rows an accounts import writes with Core statements (no ORM objects for thousands of
rows), and money in kopecks as the store keeps it.  Pure: the import builds its rows in a
worker thread, off the event loop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from hotline.core.pins import hash_pin

if TYPE_CHECKING:
    from hotline.store.accounts import AccountRecord, MeterRecord

_KOPECKS: Final = Decimal(100)


def to_kopecks(amount: Decimal) -> int:
    kopecks = amount * _KOPECKS
    if kopecks != kopecks.to_integral_value():
        raise ValueError(f"amount {amount} has more than two decimal places")
    return int(kopecks)


def from_kopecks(kopecks: int) -> Decimal:
    return Decimal(kopecks).scaleb(-2)  # exact, always two places: 1234.50


def account_row(account: AccountRecord, now: dt.datetime) -> dict[str, object]:
    return {
        "number": account.number,
        "name": account.name,
        "address": account.address,
        "timezone": account.timezone,
        "balance_kopecks": to_kopecks(account.balance),
        "due_date": account.due_date,
        "last_payment_kopecks": (
            None if account.last_payment is None else to_kopecks(account.last_payment)
        ),
        "last_payment_date": account.last_payment_date,
        "avg_monthly_kwh": account.avg_monthly_kwh,
        "pin_hash": None if account.pin is None else hash_pin(account.pin),
        "updated_at": now,
    }


def account_rows(accounts: Sequence[AccountRecord], now: dt.datetime) -> list[dict[str, object]]:
    return [account_row(account, now) for account in accounts]


def meter_row(number: str, position: int, meter: MeterRecord) -> dict[str, object]:
    last = (*meter.last, None, None, None)
    return {
        "account_number": number,
        "meter_id": meter.meter_id,
        "position": position,
        "zones": meter.zones,
        "digits": meter.digits,
        "last_1": last[0],
        "last_2": last[1] if meter.zones >= 2 else None,
        "last_3": last[2] if meter.zones >= 3 else None,
        "last_date": meter.last_date,
    }
