"""Meter readings by keypad, per meter and tariff zone in turn.

Each reading: digits then ``#``; read back digit by digit; 1 confirms, 2 re-enters.  Refused
with a spoken reason: more digits than the meter has, and a value below the last accepted
one (the caller is offered the operator: a replaced meter).  A consumption above the
plausibility limit is said and must be confirmed with 1 a second time; it is then flagged for
review.  Outside the acceptance window the caller hears the window and the reading is
refused or taken for the next period (setting ``readings.outside_window``).

A reading is committed to the database before the caller hears "accepted"; a hang-up before
that leaves nothing behind, since nothing is written earlier.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Final

from hotline.accounts.reading_rules import (
    BillingPeriodDecision,
    Check,
    check_typed,
    check_value,
    decide_billing_period,
    plausibility_limit,
)
from hotline.core.clock import Clock, utc_now
from hotline.core.keys import CONFIRM_KEY, REENTER_KEY
from hotline.core.logs import mask_account
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings, window_days
from hotline.speech import russian
from hotline.store.accounts import (
    FLAG_IMPLAUSIBLE,
    AccountRecord,
    MeterRecord,
    ReadingDraft,
    ReadingStore,
)
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome, ReadBack, question, read_back

log = logging.getLogger(__name__)

# Longest entry GET DATA takes: more than any meter has, so too many digits are noticed.
MAX_ENTRY_DIGITS: Final = 15
ZONE_PROMPTS: Final = {
    1: (prompts.ZONE_SINGLE,),
    2: (prompts.ZONE_DAY, prompts.ZONE_NIGHT),
    3: (prompts.ZONE_DAY, prompts.ZONE_NIGHT, prompts.ZONE_PEAK),
}


async def take_readings(
    call: IvrCall,
    account: AccountRecord,
    store: ReadingStore,
    settings: Settings,
    clock: Clock = utc_now,
) -> Outcome:
    await call.enter("readings.take")
    if not account.meters:
        await call.play(prompts.READINGS_NO_METERS)
        return Outcome(Next.OPERATOR, OperatorReason.NO_METERS, announce=False)
    today = clock().astimezone(account.zone).date()
    window = window_days(settings.readings.window_days)
    decision = decide_billing_period(today, window, settings.readings.outside_window)
    if not decision.in_window:
        await call.enter("readings.outside_window")
        await _say_window(call, window)
        if not decision.accepted:
            await call.play(prompts.WINDOW_CALL_IN_WINDOW)
            return Outcome(Next.MENU)
        await call.play(prompts.NEXT_PERIOD)
    several = len(account.meters) > 1
    for index, meter in enumerate(account.meters, 1):
        if several:
            await call.play(prompts.READINGS_METER)
            await call.say(russian.number(index))
        for zone in range(1, meter.zones + 1):
            outcome = await _zone(call, account, meter, zone, decision, today, store, settings)
            if outcome is not None:
                return outcome
    await call.play(prompts.READINGS_ALL_ACCEPTED)
    return Outcome(Next.GOODBYE)


async def _say_window(call: IvrCall, window: tuple[int, int]) -> None:
    first, last = window
    await call.play(prompts.WINDOW_FROM)
    await call.say(russian.day_of_month(first))
    await call.play(prompts.WINDOW_UNTIL)
    await call.say(russian.day_of_month(last))
    await call.play(prompts.WINDOW_DAY_OF_MONTH)


async def _zone(
    call: IvrCall,
    account: AccountRecord,
    meter: MeterRecord,
    zone: int,
    decision: BillingPeriodDecision,
    today: dt.date,
    store: ReadingStore,
    settings: Settings,
) -> Outcome | None:
    """One zone's reading taken and committed (None), or where the call goes instead."""
    timeout = settings.ivr.input_timeout
    operator_key = settings.ivr.operator_key
    attempts = settings.readings.entry_attempts
    last = await store.last_accepted(account, meter.meter_id, zone, decision.period)
    prompt = ZONE_PROMPTS[meter.zones][zone - 1]
    failures = rounds = 0
    while failures < attempts and rounds < 3 * attempts:
        rounds += 1
        await call.enter("readings.entry")
        typed = await call.ask(prompt, timeout, MAX_ENTRY_DIGITS)
        if typed == operator_key:
            return Outcome(Next.OPERATOR, OperatorReason.MENU)
        typed_check = check_typed(typed, meter.digits)
        if typed_check is Check.NOT_A_NUMBER:
            failures += 1
            continue
        if typed_check is Check.TOO_MANY_DIGITS:
            failures += 1
            await call.play(prompts.READING_TOO_MANY_DIGITS)
            continue
        await call.enter("readings.confirm")
        answer = await read_back(call, timeout, russian.reading(typed), operator_key)
        if answer is ReadBack.OPERATOR:
            return Outcome(Next.OPERATOR, OperatorReason.MENU)
        if answer is not ReadBack.CONFIRMED:
            failures += answer is ReadBack.UNCLEAR  # typing it again is no failure
            continue
        value = int(typed)
        flags = list(decision.flags)
        previous = value if last is None else last.value
        limit = plausibility_limit(
            account.avg_monthly_kwh,
            None if last is None else last.on,
            today,
            settings.readings.plausibility_multiple,
            settings.readings.plausibility_ceiling_kwh,
        )
        value_check = check_value(value, previous, limit)
        if value_check is Check.LOWER:
            await call.enter("readings.lower")
            key = await question(call, timeout, prompts.READING_LOWER)
            if key == operator_key:
                return Outcome(Next.OPERATOR, OperatorReason.READING_REFUSED)
            failures += 1
            continue
        if value_check is Check.IMPLAUSIBLE:
            await call.enter("readings.implausible")
            key = await question(
                call,
                timeout,
                prompts.READING_CONSUMPTION,
                russian.kwh(value - previous),
                prompts.READING_TOO_HIGH,
            )
            if key == operator_key:
                return Outcome(Next.OPERATOR, OperatorReason.MENU)
            if key != CONFIRM_KEY:
                if key != REENTER_KEY:
                    failures += 1
                continue
            flags.append(FLAG_IMPLAUSIBLE)
        record = await store.submit(
            ReadingDraft(
                call_id=call.call_id or None,
                account_number=account.number,
                meter_id=meter.meter_id,
                zone=zone,
                period=decision.period,
                value=value,
                previous=previous,
                flags=tuple(flags),
            )
        )
        # Committed: now (and only now) the caller may hear that it was accepted.
        log.info(
            "reading %s/%s of account %s committed (period %s, flags %s)",
            meter.meter_id,
            zone,
            mask_account(account.number),
            record.period,
            ",".join(record.flags) or "-",
        )
        await call.reading_committed(
            record.label,
            {
                "meter": meter.meter_id,
                "zone": zone,
                "value": record.value,
                "previous": record.previous,
                "consumption": record.consumption,
                "flags": list(record.flags),
            },
        )
        await call.play(prompts.READING_ACCEPTED)
        return None
    await call.play(prompts.TOO_MANY_ATTEMPTS)
    return Outcome(Next.OPERATOR, OperatorReason.NO_INPUT, announce=False)
