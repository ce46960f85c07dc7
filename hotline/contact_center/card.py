"""The customer card on the operator's screen pop (R-034, R-035): the account (name, address,
balance, due date), its meters with their last readings, the caller's earlier contacts newest
first, and what they did in the IVR.  An account the IVR identified fills it all; the caller
is asked for nothing they already gave.  A caller the IVR did not identify is found by the
number when exactly one account has it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hotline.settings import Settings
from hotline.store.accounts import AccountRecord, AccountStore, ReadingStore
from hotline.store.db import Database
from hotline.store.desk import Contact, DeskStore


@dataclass(frozen=True)
class MeterLine:
    meter_id: str
    zone: int
    value: int | None
    on: dt.date | None
    # Entered by the caller in this call (the IVR) or by the operator (the card's form).
    this_call: bool = False


@dataclass(frozen=True)
class Card:
    account: AccountRecord | None
    # How the account was found: "ivr" (identified in the menu) or "phone" (the caller's number).
    found_by: str | None
    meters: tuple[MeterLine, ...] = ()
    contacts: tuple[Contact, ...] = ()
    readings_this_call: tuple[str, ...] = field(default=())

    @property
    def balance(self) -> Decimal | None:
        return self.account.balance if self.account is not None else None


async def customer_card(db: Database, settings: Settings, pop: dict[str, Any]) -> Card:
    """The card for a screen pop (``hotline.contact_center.operators.screen``)."""
    accounts = AccountStore(db)
    caller = pop.get("caller")
    number: str | None = pop.get("account")
    found_by = "ivr" if number else None
    if not number and caller:
        owned = await accounts.numbers_for_phone(str(caller))
        if len(owned) == 1:
            number, found_by = owned[0], "phone"
    account = await accounts.get(number) if number else None
    if account is None:
        found_by = None
    contacts = await DeskStore(db).contacts(
        str(caller) if caller else None,
        account.number if account is not None else None,
        excluding=pop.get("uniqueid"),
        limit=settings.desk.card_history,
    )
    meters = await _meters(db, account, pop.get("call_id")) if account is not None else ()
    return Card(
        account=account,
        found_by=found_by,
        meters=meters,
        contacts=tuple(contacts),
        readings_this_call=tuple(pop.get("readings") or ()),
    )


async def _meters(
    db: Database, account: AccountRecord, call_id: str | None
) -> tuple[MeterLine, ...]:
    """Each meter zone's last reading: the newest taken here (IVR, operator) when later than
    billing's, else billing's."""
    taken = {(r.meter_id, r.zone): r for r in await ReadingStore(db).last_taken(account.number)}
    lines = []
    for meter in account.meters:
        for zone in range(1, meter.zones + 1):
            ours = taken.get((meter.meter_id, zone))
            billing = meter.last[zone - 1] if zone <= len(meter.last) else None
            ours_on = ours.taken_at.astimezone(account.zone).date() if ours else None
            if (
                ours is not None
                and ours_on is not None
                and (billing is None or meter.last_date is None or ours_on >= meter.last_date)
            ):
                lines.append(
                    MeterLine(
                        meter.meter_id,
                        zone,
                        ours.value,
                        ours_on,
                        this_call=call_id is not None and ours.call_id == call_id,
                    )
                )
            else:
                lines.append(MeterLine(meter.meter_id, zone, billing, meter.last_date))
    return tuple(lines)
