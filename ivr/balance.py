"""Balance and payments (menu option 2): what the identified caller owes or has overpaid,
the due date, the last payment and the last accepted reading of each meter zone."""

from __future__ import annotations

from typing import Final

from hotline.speech import russian
from hotline.store.accounts import AccountRecord, ReadingStore
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome

# Sorts after every real period: the last accepted reading of all.
LATEST: Final = "9999-99"
ZONE_LABELS: Final = (prompts.ZONE_LABEL_DAY, prompts.ZONE_LABEL_NIGHT, prompts.ZONE_LABEL_PEAK)


async def tell_balance(call: IvrCall, account: AccountRecord, store: ReadingStore) -> Outcome:
    await call.enter("balance.info")
    if account.balance > 0:
        await call.play(prompts.BALANCE_DEBT)
        await call.say(russian.money(account.balance))
        if account.due_date is not None:
            await call.play(prompts.BALANCE_DUE)
            await call.say(russian.date(account.due_date))
    elif account.balance < 0:
        await call.play(prompts.BALANCE_OVERPAYMENT)
        await call.say(russian.money(-account.balance))
    else:
        await call.play(prompts.BALANCE_ZERO)
    if account.last_payment is not None:
        await call.play(prompts.BALANCE_LAST_PAYMENT)
        await call.say(russian.money(account.last_payment))
        if account.last_payment_date is not None:
            await call.play(prompts.BALANCE_RECEIVED_ON)
            await call.say(russian.date(account.last_payment_date))
    for meter in account.meters:
        for zone in range(1, meter.zones + 1):
            last = await store.last_accepted(account, meter.meter_id, zone, LATEST)
            if last is None:
                continue
            await call.play(prompts.LAST_ACCEPTED)
            if meter.zones > 1:
                await call.play(ZONE_LABELS[zone - 1])
            await call.say(russian.reading(str(last.value)))
            if last.on is not None:
                await call.play(prompts.DATED)
                await call.say(russian.date(last.on))
    return Outcome(Next.MENU)
