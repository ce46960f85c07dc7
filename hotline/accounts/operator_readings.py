"""A meter reading the operator types into the customer card (R-064): the same window, billing
period, checks and storage as the IVR's (``reading_rules`` and ``ReadingStore``), flagged
as taken by an operator and audited with who took it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from hotline.accounts.reading_rules import (
    Check,
    check_typed,
    check_value,
    decide_billing_period,
    plausibility_limit,
)
from hotline.core.clock import utc_now
from hotline.settings import Settings, window_days
from hotline.store.accounts import (
    FLAG_IMPLAUSIBLE,
    AccountStore,
    ReadingDraft,
    ReadingRecord,
    ReadingStore,
)
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database

# The reading's source, among its flags: taken by an operator (who: in the audit entry).
FLAG_BY_OPERATOR: Final = "operator"
READING_ACTION: Final = "reading.operator"
OUTSIDE_WINDOW: Final = "outside_window"
UNKNOWN: Final = "unknown"


@dataclass(frozen=True)
class Taken:
    """The reading stored, or why not: a ``Check`` (an implausible one is taken once the
    operator confirms it with the caller), OUTSIDE_WINDOW or UNKNOWN (no such account,
    meter or zone)."""

    record: ReadingRecord | None
    refusal: str | None = None


async def take_by_operator(
    db: Database,
    settings: Settings,
    account_number: str,
    meter_id: str,
    zone: int,
    typed: str,
    *,
    confirmed: bool,
    call_id: str | None,
    by: Actor,
    now: dt.datetime | None = None,
) -> Taken:
    account = await AccountStore(db).get(account_number)
    meter = next((m for m in account.meters if m.meter_id == meter_id), None) if account else None
    if account is None or meter is None or not 1 <= zone <= meter.zones:
        return Taken(None, UNKNOWN)
    today = (now or utc_now()).astimezone(account.zone).date()
    window = window_days(settings.readings.window_days)
    decision = decide_billing_period(today, window, settings.readings.outside_window)
    if not decision.accepted:
        return Taken(None, OUTSIDE_WINDOW)
    typed_check = check_typed(typed.strip(), meter.digits)
    if typed_check is not None:
        return Taken(None, typed_check)
    value = int(typed.strip())
    store = ReadingStore(db)
    last = await store.last_accepted(account, meter_id, zone, decision.period)
    previous = value if last is None else last.value
    limit = plausibility_limit(
        account.avg_monthly_kwh,
        None if last is None else last.on,
        today,
        settings.readings.plausibility_multiple,
        settings.readings.plausibility_ceiling_kwh,
    )
    flags = [*decision.flags, FLAG_BY_OPERATOR]
    value_check = check_value(value, previous, limit)
    if value_check is Check.LOWER or (value_check is Check.IMPLAUSIBLE and not confirmed):
        return Taken(None, value_check)
    if value_check is Check.IMPLAUSIBLE:
        flags.append(FLAG_IMPLAUSIBLE)
    record = await store.submit(
        ReadingDraft(
            call_id=call_id,
            account_number=account.number,
            meter_id=meter_id,
            zone=zone,
            period=decision.period,
            value=value,
            previous=previous,
            flags=tuple(flags),
        ),
        at=now,
    )
    await AuditLog(db).write(
        by,
        READING_ACTION,
        account.number,
        {"meter": meter_id, "zone": zone, "value": value, "period": record.period},
    )
    return Taken(record)
